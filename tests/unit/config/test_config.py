"""Run configs: presets, overrides, files, and errors that name the bad key or value."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsight.config import PRESETS, load_config
from skillsight.exceptions import ConfigError
from skillsight.runs.run_config import save_config


def test_every_preset_builds_and_names_a_registered_model() -> None:
    from skillsight.models._factory import MODELS, _load_builtin_models

    _load_builtin_models()
    for name in PRESETS.names():
        cfg = load_config(name)
        MODELS.get(cfg.model.name)  # raises for an unknown model


def test_paper_presets_follow_the_reference_recipes() -> None:
    # the paper's teacher recipe, and the released code's under its own name
    teacher = load_config("teacher_paper")
    o = teacher.optim
    assert (o.optimizer, o.lr, o.momentum, o.nesterov, o.weight_decay) == ("sgd", 5e-3, 0.9, True, 1e-4)
    assert (o.milestones, teacher.trainer.max_epochs, teacher.model.args) == ([], 15, {"fusion_layers": 3})
    assert (teacher.data.frame_px, teacher.data.crop_px, teacher.data.batch_size) == (448, 224, 8)
    released = load_config("teacher_released")
    r = released.optim
    assert (r.optimizer, r.lr, r.milestones, r.gamma, released.trainer.max_epochs) == (
        "sgd",
        1e-3,
        [11, 14],
        0.1,
        20,
    )
    assert released.model.args == {} and released.data == teacher.data
    assert load_config("video_only_paper").model.args["fusion_layers"] == 3
    student = load_config("student_paper")
    assert (student.task.kind, student.task.action_loss_weight, student.task.distill_weight) == (
        "distillation",
        0.1,
        1.0,
    )
    frames_lr = {
        stem: (load_config(f"{stem}_paper").data.num_frames, load_config(f"{stem}_paper").optim.lr)
        for stem in ("skillformer_ego", "skillformer_exos", "skillformer_egoexos")
    }
    assert frames_lr == {
        "skillformer_ego": (32, 5e-5),
        "skillformer_exos": (24, 3e-5),
        "skillformer_egoexos": (16, 2e-5),
    }


def test_overrides_are_typed_like_the_defaults() -> None:
    cfg = load_config(
        "student_tiny",
        [
            "optim.lr=1e-3",
            "trainer.progress_bar=false",
            "optim.milestones=[3, 5]",
            "data.batch_size=4",
            'model.args={"num_layers": 1}',
        ],
    )
    assert cfg.optim.lr == pytest.approx(1e-3) and isinstance(
        cfg.optim.lr, float
    )  # YAML reads 1e-3 as a string
    assert cfg.trainer.progress_bar is False and cfg.optim.milestones == [3, 5] and cfg.data.batch_size == 4
    assert cfg.model.args == {"num_layers": 1}


@pytest.mark.parametrize(
    "override, message",
    [
        ("optim.lr=fast", "optim.lr: expected a number, got 'fast'"),
        ("data.batch_size=2.5", "data.batch_size: expected an integer"),
        ("trainer.progress_bar=maybe", "expected true/false"),
        ("optim.nonsense=1", "unknown key 'optim.nonsense'"),
        ("no_equals_sign", "must look like section.key=value"),
    ],
)
def test_bad_overrides_name_the_key_and_value(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace(".", r"\.")):
        load_config("teacher_tiny", [override])


def test_file_on_a_preset_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "run.yaml"
    path.write_text("preset: teacher_tiny\ntrainer:\n  max_epochs: 3\n")
    cfg = load_config(str(path))
    assert cfg.model.name == "skillsight_teacher_tiny" and cfg.trainer.max_epochs == 3
    save_config(cfg, tmp_path / "config.json")
    assert load_config(str(tmp_path / "config.json")) == cfg
    with pytest.raises(ConfigError, match="unknown"):
        load_config("no_such_preset")
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "missing.yaml"))
