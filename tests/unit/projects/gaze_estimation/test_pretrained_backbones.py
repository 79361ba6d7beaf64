"""PriviGaze teacher from local ConvNeXtV2 folders: the face stem adapted to grayscale, never re-initialised.

The run takes one epoch at lr 1e-30 (every update rounds away), so the checkpoint that evaluation,
export and power load must hold the pretrained tensors bit for bit; the training loop's model is spied on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.config import load_config
from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.models.layers.stem_adaptation import adapt_stem_weight
from skillsight.projects.gaze_estimation import pipeline
from skillsight.projects.gaze_estimation.pipeline import train_gaze
from skillsight.runs.checkpoint import load_model
from tests._hf_folders import convnextv2_folder, same_tensors

LAYOUT = dict(hidden_sizes=(8, 8, 16, 16), depths=(1, 1, 1, 1))  # test_privigaze_teacher's backbones
STEM = "embeddings.patch_embeddings.weight"


@pytest.fixture(scope="module")
def backbones(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("convnextv2")
    face = convnextv2_folder(root / "face", **LAYOUT, seed=31)
    eye = convnextv2_folder(root / "eye", **LAYOUT, seed=32)
    return {"face": (root / "face", face), "eye": (root / "eye", eye)}


def _check(state: dict[str, torch.Tensor], backbones) -> None:
    """``state`` (a PriviGaze teacher's) holds the eye folder as is and the face folder, stem to grayscale."""
    face, eye = backbones["face"][1], backbones["eye"][1]
    assert same_tensors(state, face, "face_backbone.", skip=(STEM,)) == []
    held = state["face_backbone." + STEM]
    assert held.shape == (8, 1, 4, 4)
    torch.testing.assert_close(held, adapt_stem_weight(face[STEM], 1, "grayscale"), rtol=0, atol=0)
    assert same_tensors(state, eye, "left_eye_backbone.") == []


@pytest.mark.filterwarnings("ignore:Constant folding:UserWarning")  # torch's ONNX exporter on ConvNeXtV2
def test_teacher_run_trains_evaluates_exports_and_estimates_power_with_the_given_backbones(
    backbones, tmp_path: Path
) -> None:
    from skillsight.deploy.onnx_export import export_onnx
    from skillsight.deploy.power import estimate_power

    seen = {}
    real_fit = pipeline._fit_phase

    def spy(task, *args, **kwargs):
        seen["teacher"] = {k: v.clone() for k, v in task.teacher.state_dict().items()}
        return real_fit(task, *args, **kwargs)

    cfg = load_config(
        "privigaze_tiny",
        [
            "task.mode=pretrain_teacher",
            "model.teacher=test_privigaze_teacher",
            f"model.face_backbone={backbones['face'][0]}",
            f"model.eye_backbone={backbones['eye'][0]}",
            "data.face_size=32",
            "data.eye_size=[32, 32]",
            "data.n_train=16",
            "data.n_val=8",
            "task.teacher_epochs=1",
            "data.batch_size=16",
            "optim.lr=1e-30",
            "trainer.accelerator=cpu",
        ],
        method="gaze",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "_fit_phase", spy)
        metrics = train_gaze(cfg, tmp_path / "run")
    assert np.isfinite(metrics["teacher"]["mean_deg"])
    _check(seen["teacher"], backbones)  # the model the training loop received
    # what `skillsight gaze eval` loads
    evaluated = load_model(tmp_path / "run" / "teacher" / "model.safetensors")
    _check(evaluated.state_dict(), backbones)
    onnx_path = export_onnx(evaluated, tmp_path / "teacher.onnx")
    import onnx
    from onnx import numpy_helper

    stems = [numpy_helper.to_array(t) for t in onnx.load(str(onnx_path)).graph.initializer]
    gray = adapt_stem_weight(backbones["face"][1][STEM], 1, "grayscale").numpy()
    assert any(a.shape == gray.shape and np.array_equal(a, gray) for a in stems)
    assert estimate_power(evaluated, window_s=1.0).macs > 0


def test_a_gray_face_meets_the_adapted_stem_as_its_rgb_copy_meets_the_pretrained_one(backbones) -> None:
    from transformers import ConvNextV2Model

    model = create_model("test_privigaze_teacher", face_backbone_path=str(backbones["face"][0]))
    rgb = ConvNextV2Model.from_pretrained(str(backbones["face"][0])).eval()
    gray = torch.rand(2, 1, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        got = model.face_backbone.eval()(pixel_values=gray).last_hidden_state
        want = rgb(pixel_values=gray.expand(-1, 3, -1, -1)).last_hidden_state
    torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_a_backbone_of_another_layout_is_refused(tmp_path: Path) -> None:
    convnextv2_folder(tmp_path / "wide", hidden_sizes=(8, 8, 16, 32), depths=(1, 1, 1, 1))
    with pytest.raises(
        ConfigError, match=r"face_backbone_path .*hidden_sizes \[8, 8, 16, 32\] in the folder"
    ):
        create_model("test_privigaze_teacher", face_backbone_path=str(tmp_path / "wide"))
