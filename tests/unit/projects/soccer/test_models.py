"""Expert-Novice Soccer teacher and baselines (the generic contract is in test_model_contract.py)."""

from __future__ import annotations

import pytest
import torch

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models import create_model, model_inputs


def test_variants_declare_inputs_and_sensors() -> None:
    teacher = create_model("test_soccer_teacher")
    assert model_inputs(teacher) == ("gaze", "gaze_mask", "motion", "motion_mask")
    assert teacher.sensors == ("eye_tracker", "imu")
    motion_only = create_model("test_soccer_motion_only")
    assert model_inputs(motion_only) == ("motion", "motion_mask") and motion_only.sensors == ("imu",)
    gaze_only = create_model("test_soccer_gaze_only")
    assert model_inputs(gaze_only) == ("gaze", "gaze_mask") and gaze_only.sensors == ("eye_tracker",)
    paper = create_model("soccer_teacher")
    assert paper.example_inputs(1)["motion"].shape == (1, 16, 336)
    assert paper.example_inputs(1)["gaze"].shape == (1, 16, 25)


def test_teacher_features_concatenate_the_branches() -> None:
    teacher = create_model("test_soccer_teacher").eval()
    with torch.no_grad():
        out = teacher(**teacher.example_inputs(3))
    assert out["logits"].shape == (3, 2)
    assert out["features"].shape == (3, teacher.feature_dim) == (3, 32)
    torch.testing.assert_close(
        out["features"], torch.cat([out["motion_embedding"], out["gaze_embedding"]], -1)
    )


def test_masked_motion_steps_are_ignored() -> None:
    """With motion_mask all False the motion embedding no longer depends on the motion values."""
    teacher = create_model("test_soccer_teacher").eval()
    inputs = teacher.example_inputs(2)
    inputs["motion_mask"] = torch.zeros_like(inputs["motion_mask"])
    other = dict(inputs, motion=torch.randn_like(inputs["motion"]) * 5)
    with torch.no_grad():
        a, b = teacher(**inputs), teacher(**other)
    torch.testing.assert_close(a["motion_embedding"], b["motion_embedding"])
    inputs["motion_mask"][:, 0] = True  # one valid step: now the values matter
    other["motion_mask"] = inputs["motion_mask"]
    with torch.no_grad():
        assert not torch.allclose(teacher(**inputs)["motion_embedding"], teacher(**other)["motion_embedding"])


def test_sinusoidal_positions_variant_and_errors() -> None:
    model = create_model("test_soccer_teacher", positions="sinusoidal").eval()
    with torch.no_grad():
        assert torch.isfinite(model(**model.example_inputs(2))["logits"]).all()
    with pytest.raises(ConfigError, match="positions"):
        create_model("test_soccer_teacher", positions="rotary")
    with pytest.raises(ConfigError, match="at least one"):
        create_model("test_soccer_teacher", use_motion=False, use_gaze=False)
    inputs = model.example_inputs(2)
    with pytest.raises(DataFormatError, match="motion"):
        model(**dict(inputs, motion=inputs["motion"][..., :-1]))
    with pytest.raises(DataFormatError, match="inputs must be exactly"):
        model(gaze=inputs["gaze"], gaze_mask=inputs["gaze_mask"])


def test_student_is_the_generic_skillsight_student_for_soccer() -> None:
    """The gaze-only student is skillsight_student_* with 9 action classes, not a soccer model."""
    student = create_model(
        "test_skillsight_student",
        gaze_channels=5,
        num_classes=2,
        num_actions=9,
        num_steps=6,
        use_channel_mask=False,  # soccer channels are always observed (the pipeline builds it so)
    )
    out = student(**student.example_inputs(2))
    assert out["logits"].shape == (2, 2) and out["action_logits"].shape == (2, 9)
    assert model_inputs(student) == ("gaze", "gaze_mask")
