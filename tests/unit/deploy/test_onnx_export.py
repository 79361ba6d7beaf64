"""ONNX export of a tiny transformer-encoder model with a boolean mask: parity, dynamic batch, metadata."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from skillsight.deploy.onnx_export import (
    OnnxParityError,
    check_onnx_parity,
    export_onnx,
    flatten_outputs,
    load_onnx_session,
)
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models.layers.base import DeclaredInputsModule

T_STEPS, CHANNELS, D = 6, 5, 16


class TinyEncoder(DeclaredInputsModule):
    """Gaze (B, T, C) + padding mask (B, T) + scenario id (B,) -> logits, features, nested aux."""

    input_names = ("gaze", "gaze_mask", "scenario")
    sensors = ("eye_tracker",)

    def __init__(self, num_classes: int = 4, num_scenarios: int = 3) -> None:
        super().__init__()
        self.inp = nn.Linear(CHANNELS, D)
        self.cls = nn.Embedding(num_scenarios, D)  # per-scenario class token
        layer = nn.TransformerEncoderLayer(D, nhead=2, dim_feedforward=32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.head = nn.Linear(D, num_classes)
        self.act = nn.Linear(D, 2)

    def forward(self, gaze: torch.Tensor, gaze_mask: torch.Tensor, scenario: torch.Tensor) -> dict:
        B, _T, _ = gaze.shape
        tokens = torch.cat([self.cls(scenario)[:, None], self.inp(gaze)], dim=1)  # (B, 1+T, D)
        valid = torch.cat([torch.ones(B, 1, dtype=torch.bool), gaze_mask], dim=1)  # (B, 1+T)
        h = self.encoder(tokens, src_key_padding_mask=~valid)
        return {"logits": self.head(h[:, 0]), "features": h[:, 0], "aux": {"act": self.act(h[:, 0])}}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        g = torch.Generator().manual_seed(batch_size)
        mask = torch.rand(batch_size, T_STEPS, generator=g) > 0.3
        mask[:, 0] = True
        if batch_size > 1:
            mask[-1, T_STEPS // 2 :] = False  # a padded sequence in every batch
        return {
            "gaze": torch.randn(batch_size, T_STEPS, CHANNELS, generator=g),
            "gaze_mask": mask,
            "scenario": torch.randint(0, 3, (batch_size,), generator=g),
        }


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[TinyEncoder, Path]:
    torch.manual_seed(0)
    model = TinyEncoder().train()  # export must switch to eval (dropout off) by itself
    model.model_name = "test_tiny_encoder"
    model.model_args = {"num_classes": 4, "num_scenarios": 3}
    meta = {
        "class_names": ["Novice", "Early Expert", "Intermediate Expert", "Late Expert"],
        "normalisation": {"image_size_px": 1408, "depth_clip_m": 10.0},
    }
    path = export_onnx(model, tmp_path_factory.mktemp("onnx") / "sub" / "tiny.onnx", metadata=meta)
    return model, path


def test_outputs_match_pytorch_at_batch_1_and_3(exported) -> None:
    model, path = exported
    assert model.training  # export restored the mode
    err = check_onnx_parity(model, path, batch_sizes=(1, 3), atol=1e-4)
    assert 0.0 <= err < 1e-4


def test_dynamic_batch_names_and_mask_semantics(exported) -> None:
    model, path = exported
    session, _ = load_onnx_session(path)
    assert [i.name for i in session.get_inputs()] == ["gaze", "gaze_mask", "scenario"]
    assert [o.name for o in session.get_outputs()] == ["logits", "features", "aux.act"]
    assert all(isinstance(i.shape[0], str) for i in session.get_inputs())  # symbolic batch axis
    assert session.get_inputs()[1].type == "tensor(bool)"
    inputs = model.example_inputs(5)
    feed = {k: v.numpy() for k, v in inputs.items()}
    logits, features, act = session.run(None, feed)
    assert logits.shape == (5, 4) and features.shape == (5, D) and act.shape == (5, 2)
    # the mask is live in the graph: padding different steps changes the result
    feed2 = dict(feed, gaze_mask=np.ones_like(feed["gaze_mask"]))
    assert not np.allclose(session.run(None, feed2)[0][-1], logits[-1])
    model.eval()
    with torch.no_grad():
        ref = model(**{k: torch.from_numpy(v) for k, v in feed2.items()})["logits"].numpy()
    model.train()
    np.testing.assert_allclose(session.run(None, feed2)[0], ref, atol=1e-4)


def test_metadata_round_trips_as_json(exported) -> None:
    _, path = exported
    _, meta = load_onnx_session(path)
    assert meta["model_name"] == "test_tiny_encoder"
    assert meta["model_args"] == {"num_classes": 4, "num_scenarios": 3}
    assert meta["class_names"][3] == "Late Expert"
    assert meta["normalisation"] == {"image_size_px": 1408, "depth_clip_m": 10.0}
    assert meta["input_spec"] == {
        "gaze": {"shape": ["batch", T_STEPS, CHANNELS], "dtype": "float32"},
        "gaze_mask": {"shape": ["batch", T_STEPS], "dtype": "bool"},
        "scenario": {"shape": ["batch"], "dtype": "int64"},
    }
    assert meta["output_names"] == ["logits", "features", "aux.act"]
    assert meta["sensors"] == ["eye_tracker"]
    import onnx

    props = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert props["class_names"].startswith('["Novice"')  # stored as JSON strings


def test_parity_failure_is_reported(exported) -> None:
    _model, path = exported
    torch.manual_seed(123)
    other = TinyEncoder()  # different random weights
    with pytest.raises(OnnxParityError, match="'logits' at batch 1"):
        check_onnx_parity(other, path)


def test_bad_models_and_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="input_names"):
        export_onnx(nn.Linear(2, 2), tmp_path / "x.onnx")

    class ScalarOut(TinyEncoder):
        def forward(self, gaze, gaze_mask, scenario):
            return {"loss": gaze.sum()}

    with pytest.raises(ConfigError, match=r"'loss'.*batch axis"):
        export_onnx(ScalarOut(), tmp_path / "x.onnx")
    with pytest.raises(ConfigError, match="'input_spec'"):
        export_onnx(TinyEncoder(), tmp_path / "x.onnx", metadata={"input_spec": {}})
    with pytest.raises(ConfigError, match="JSON"):
        export_onnx(TinyEncoder(), tmp_path / "x.onnx", metadata={"bad": object()})
    assert not (tmp_path / "x.onnx").exists()
    with pytest.raises(DataFormatError, match="does not exist"):
        load_onnx_session(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"not a model")
    with pytest.raises(DataFormatError, match="onnxruntime cannot load"):
        load_onnx_session(tmp_path / "junk.onnx")


def test_flatten_outputs_order_and_names() -> None:
    out = {"b": torch.zeros(1), "a": (torch.ones(1), {"z": torch.zeros(2)})}
    assert list(flatten_outputs(out)) == ["b", "a.0", "a.1.z"]
