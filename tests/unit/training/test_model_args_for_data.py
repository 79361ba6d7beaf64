"""model_args_for_data: each model family's data_args hook gives the constructor arguments it took before
the hooks replaced the name-prefix chain. The expectations are written out from the data, per family."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from skillsight.config import DataConfig, ModelConfig, RunConfig, TaskConfig
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.exceptions import ConfigError
from skillsight.models import register_model
from skillsight.models._factory import BUILTIN_MODEL_INDEX, model_data_args
from skillsight.models.data_args import DataFacts
from skillsight.training import skill_run
from skillsight.training.skill_data import SkillData
from skillsight.training.skill_run import model_args_for_data

# Distinct values, so an argument taken from the wrong field shows.
FRAMES, FRAME_PX, CROP_PX, FPS, ACTIONS, TEACHER_DIM = 6, 40, 24, 3.0, ["a", "b", "c"], 48
USER_ARGS: dict[str, Any] = {
    "dropout": 0.25,
    "num_frames": 99,  # the data wins over model.args
    "backbone": {"depth": 2},
    "video": {"heads": 3},
}

SPINE_MODELS = sorted(name for names in BUILTIN_MODEL_INDEX.values() for name in names)


def _family(name: str) -> str:
    """The family of a spine model name, read from the index (the module that registers it)."""
    return next(module.rsplit(".", 1)[1] for module, names in BUILTIN_MODEL_INDEX.items() if name in names)


def _expected(name: str, teacher: bool) -> dict[str, Any]:
    """What the run builds model ``name`` with, from the data above (model.args overridden by it)."""
    family = _family(name)
    expected: dict[str, Any] = {**USER_ARGS, "num_classes": len(PROFICIENCY_LABELS)}
    video_backbone = {"backbone": {"image_size": FRAME_PX, "depth": 2}}
    if family == "skillsight_student":
        expected["num_steps"] = FRAMES
        if "gaze_only" not in name:
            expected["num_actions"] = len(ACTIONS)
    elif family == "skillsight_teacher":
        expected.update(
            num_scenarios=len(SCENARIOS), num_frames=FRAMES, video={"image_size": FRAME_PX, "heads": 3}
        )
    elif family == "video_baselines" and "gaze_crop" in name:
        expected.update(num_frames=FRAMES, backbone={"image_size": CROP_PX, "depth": 2})
    elif family in ("video_baselines", "skillformer", "naive_teacher", "gaze_pooled_video"):
        expected.update(num_frames=FRAMES, **video_backbone)
    elif family == "x3d":
        expected.update(num_frames=FRAMES, image_size=FRAME_PX)
    elif family == "egotrigger":
        expected.update(num_frames=FRAMES, clip_fps=FPS, image_size=FRAME_PX)
    elif family == "egodistill":
        expected.update(num_frames=FRAMES, image_size=FRAME_PX)
        if teacher:
            expected["teacher_feature_dim"] = TEACHER_DIM
    else:
        raise AssertionError(f"{name}: spine family {family} is new to this test; add its expectation")
    return expected


def _cfg(name: str, teacher_run: str = "") -> RunConfig:
    return RunConfig(
        data=DataConfig(num_frames=FRAMES, frame_px=FRAME_PX, crop_px=CROP_PX, sample_fps=FPS),
        model=ModelConfig(name=name, args=dict(USER_ARGS)),
        task=TaskConfig(teacher_run=teacher_run),
    )


_DATA = SkillData(train=[], val=[], test=[], actions=list(ACTIONS))


@pytest.mark.parametrize("teacher", [False, True], ids=["no_teacher", "teacher_run"])
@pytest.mark.parametrize("name", SPINE_MODELS)
def test_every_spine_model_gets_its_family_arguments(
    name: str, teacher: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []

    def fake_teacher(run: str) -> SimpleNamespace:
        loaded.append(run)
        return SimpleNamespace(feature_dim=TEACHER_DIM)

    monkeypatch.setattr(skill_run, "load_teacher", fake_teacher)
    args = model_args_for_data(_cfg(name, "runs/teacher" if teacher else ""), _DATA)
    assert args == _expected(name, teacher)
    # the teacher's checkpoint is read only by a family that needs its width
    assert loaded == (["runs/teacher"] if teacher and _family(name) == "egodistill" else [])


def test_the_index_covers_every_spine_family() -> None:
    # a new spine family lands here with its expectation, or _expected raises for its names
    assert {_family(n) for n in SPINE_MODELS} == {
        "skillsight_teacher",
        "skillsight_student",
        "skillformer",
        "video_baselines",
        "x3d",
        "naive_teacher",
        "gaze_pooled_video",
        "egodistill",
        "egotrigger",
    }


def test_a_model_without_a_hook_takes_only_the_class_count() -> None:
    @register_model("test_hookless_model_args")
    def factory(**kwargs: Any) -> Any:
        raise AssertionError("never built here")

    assert model_data_args("test_hookless_model_args") is None
    args = model_args_for_data(_cfg("test_hookless_model_args"), _DATA)
    assert args == {**USER_ARGS, "num_classes": len(PROFICIENCY_LABELS)}


def test_a_new_family_declares_its_own_arguments_without_touching_skill_run() -> None:
    def hook(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
        return {"clip_seconds": cfg.data.num_frames / cfg.data.sample_fps, "vocab": facts.num_actions}

    @register_model("test_hooked_model_args", data_args=hook)
    def factory(**kwargs: Any) -> Any:
        raise AssertionError("never built here")

    args = model_args_for_data(_cfg("test_hooked_model_args"), _DATA)
    assert args["clip_seconds"] == pytest.approx(FRAMES / FPS)
    assert args["vocab"] == len(ACTIONS)


def test_unknown_model_names_list_the_valid_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown model 'no_such_model'.*skillsight_student"):
        model_args_for_data(_cfg("no_such_model"), _DATA)


def test_a_backbone_override_that_is_not_a_mapping_is_refused() -> None:
    cfg = _cfg("test_timesformer_video")
    cfg.model.args["backbone"] = 7
    with pytest.raises(ConfigError, match=r"model.args.backbone must be a mapping.*7"):
        model_args_for_data(cfg, _DATA)
