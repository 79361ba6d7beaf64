"""AttentionRNN: shapes, attention normalisation, the attend step against a hand computation,
ablation switches, gradients, checkpoint round trip."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from skillsight.exceptions import ConfigError
from skillsight.models import create_model, list_models
from skillsight.projects.ranking.models import SpatialAttentionStep, feature_grid_hw, resnet_config
from skillsight.runs.checkpoint import load_model, save_model

ABLATIONS = [
    {},
    {"attention": "none"},
    {"attention_rnn": "fc"},
    {"attention_input": "xbar"},
    {"attention_input": "htask"},
]


def test_registered_variants() -> None:
    names = set(list_models())
    assert {"attention_rnn", "attention_rnn_tiny", "test_attention_rnn"} <= names


@pytest.mark.parametrize("overrides", ABLATIONS)
def test_shapes_and_attention_sums_to_one(overrides: dict) -> None:
    model = create_model("test_attention_rnn", **overrides)
    assert model.input_names == ("frames", "flow") and model.sensors == ("rgb",)
    inputs = model.example_inputs(batch_size=3)
    assert inputs["frames"].shape == (3, 3, 3, 32, 32) and inputs["flow"].shape == (3, 3, 4, 32, 32)
    out = model(**inputs)
    assert out["score"].shape == (3,) and out["logits"].shape == (3, 1)
    assert out["attention"].shape == (
        3,
        3,
        3,
        3,
    )  # (B, N, h, w): 32 px -> 4 x 4 conv map -> 3 x 3 after 2x2 conv
    assert torch.isfinite(out["score"]).all()
    sums = out["attention"].sum(dim=(-1, -2))
    torch.testing.assert_close(sums, torch.ones_like(sums))
    assert (out["attention"] >= 0).all()
    if overrides.get("attention") == "none":
        torch.testing.assert_close(out["attention"], torch.full_like(out["attention"], 1 / 9))
    else:
        assert out["attention"].std() > 0  # the maps actually depend on the input


@pytest.mark.parametrize("overrides", ABLATIONS)
def test_gradients_reach_every_parameter(overrides: dict) -> None:
    model = create_model("test_attention_rnn", **overrides)
    model(**model.example_inputs(2))["score"].sum().backward()
    missing = [
        n
        for n, p in model.named_parameters()
        if p.requires_grad and (p.grad is None or not p.grad.abs().sum() > 0)
    ]
    assert not missing


def test_attend_step_matches_hand_computation() -> None:
    step = SpatialAttentionStep(feature_dim=2, hidden_dim=1, attention_dim=1)
    with torch.no_grad():
        step.w_x.weight.copy_(torch.tensor([[1.0, -1.0]]))
        step.w_h.weight.copy_(torch.tensor([[2.0]]))
        step.w_h.bias.copy_(torch.tensor([0.5]))
        step.w.weight.copy_(torch.tensor([[3.0]]))
    x = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [2.0, 2.0]]])  # (B=1, L=3, D=2)
    h = torch.tensor([[0.25]])
    v, alpha = step(x, h)
    # a_i = 3 * tanh(x_i0 - x_i1 + 2 * 0.25 + 0.5)
    energy = 3.0 * torch.tanh(torch.tensor([1.0 + 1.0, -1.0 + 1.0, 0.0 + 1.0]))
    expected_alpha = torch.softmax(energy, dim=0)
    torch.testing.assert_close(alpha[0], expected_alpha)
    torch.testing.assert_close(v[0], (expected_alpha[:, None] * x[0]).sum(0))


def test_scores_of_a_batch_do_not_depend_on_its_other_members() -> None:
    model = create_model("test_attention_rnn").eval()
    inputs = model.example_inputs(3)
    with torch.no_grad():
        together = model(**inputs)["score"]
        alone = model(**{k: v[1:2] for k, v in inputs.items()})["score"]
    torch.testing.assert_close(together[1:2], alone, rtol=1e-5, atol=1e-5)


def test_bad_switch_and_bad_flow_shape_raise() -> None:
    with pytest.raises(ConfigError, match="attention_input"):
        create_model("test_attention_rnn", attention_input="both_and_more")
    model = create_model("test_attention_rnn")
    inputs = model.example_inputs(1)
    with pytest.raises(ValueError, match="flow shape"):
        model(frames=inputs["frames"], flow=inputs["flow"][:, :, :2])


def test_paper_size_backbone_config() -> None:
    cfg = resnet_config("resnet101", num_channels=10)
    assert cfg.depths == [3, 4, 23, 3] and cfg.hidden_sizes[-1] == 2048 and cfg.layer_type == "bottleneck"
    assert cfg.num_channels == 10  # 5 stacked flow fields


@pytest.mark.slow
def test_paper_size_model_maps() -> None:
    model = create_model("attention_rnn", num_segments=1).eval()
    assert model.hidden_dim == 128 and model.attention_module.attend.w_x.out_features == 32
    with torch.no_grad():
        x = model.forward_features(torch.randn(1, 1, 3, 448, 448), torch.randn(1, 1, 10, 448, 448))
    assert x.shape == (1, 1, 256, 13, 13)  # conv5 14 x 14 -> 2x2 conv -> 13 x 13


def test_save_load_round_trip(tmp_path) -> None:
    model = create_model("test_attention_rnn", attention_rnn="fc").eval()
    inputs = model.example_inputs(2)
    save_model(model, tmp_path / "m.safetensors")
    loaded = load_model(tmp_path / "m.safetensors")
    with torch.no_grad():
        torch.testing.assert_close(loaded(**inputs)["score"], model(**inputs)["score"])
    assert loaded.attention_rnn == "fc"


def test_onnx_export_matches_pytorch() -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    import io

    model = create_model("test_attention_rnn").eval()
    inputs = model.example_inputs(2)
    buffer = io.BytesIO()
    # Tracing our own model: TracerWarnings about shape checks turned constants are expected (the export
    # is checked against PyTorch below); the legacy exporter
    # (and its internal deprecations) is chosen on purpose, as in skillsight.deploy.onnx_export.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
        torch.onnx.export(
            model,
            (),
            buffer,
            kwargs=inputs,
            input_names=["frames", "flow"],
            output_names=["score", "logits", "attention"],
            dynamo=False,
            opset_version=17,
        )
    session = ort.InferenceSession(buffer.getvalue())
    score, _, attention = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    with torch.no_grad():
        ref = model(**inputs)
    np.testing.assert_allclose(score, ref["score"].numpy(), atol=1e-5)
    np.testing.assert_allclose(attention, ref["attention"].numpy(), atol=1e-6)


@pytest.mark.parametrize(
    ("preset", "size"), [("test", 32), ("test", 33), ("test", 100), ("tiny", 64), ("tiny", 90)]
)
def test_feature_grid_matches_the_fused_map(preset: str, size: int) -> None:
    model = create_model("test_attention_rnn", backbone=preset, image_size=size, num_segments=1).eval()
    with torch.no_grad():
        x = model.forward_features(torch.randn(1, 1, 3, size, size), torch.randn(1, 1, 4, size, size))
    assert tuple(x.shape[-2:]) == model.grid_hw == feature_grid_hw(model.features.rgb.config, size)


def test_checkpoints_from_before_the_attention_module_still_load() -> None:
    model = create_model("test_attention_rnn").eval()
    old_layout = {
        k.replace("attention_module.", "", 1): v.clone() for k, v in model.state_dict().items()
    }  # rnn_att.* / attend.* at the top level, as the first release wrote them
    assert any(k.startswith("attend.") for k in old_layout)
    fresh = create_model("test_attention_rnn").eval()
    fresh.load_state_dict(old_layout)
    inputs = model.example_inputs(2)
    with torch.no_grad():
        torch.testing.assert_close(fresh(**inputs)["score"], model(**inputs)["score"])
