"""SkillSight teacher and distilled student, tiny presets (dropout 0.1): stopped after epoch 1 and resumed,
each reaches bit for bit the weights, optimiser state, metrics.csv and test metrics of an uninterrupted run.

Cost: ~30 s on 2 cores (2 teacher and 2 student runs of 2 epochs on the 72-take synthetic set, 2 test
clips per take)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
import torch

from skillsight.config import load_config
from skillsight.runs.checkpoint import load_model
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV
from skillsight.training.skill_run import train_run

SMALL = [
    "data.frame_px=32",
    "data.crop_px=16",
    "data.num_val_clips=1",
    "data.num_test_clips=2",
    "trainer.progress_bar=false",
]
TEACHER = ["model.args={video: {patch_size: 8}}"]


def _train(preset: str, data: Path, out: Path, epochs: int, extra: list[str], resume: bool = False) -> Path:
    cfg = load_config(preset, [f"data.root={data}", *SMALL, *extra, f"trainer.max_epochs={epochs}"])
    return train_run(cfg, out, resume=resume)


def _assert_dropout_on(run: Path) -> None:
    rates = [m.p for m in load_model(run / "model").modules() if isinstance(m, torch.nn.Dropout)]
    assert max(rates, default=0.0) > 0, "the point is to resume with dropout on (the tiny presets use 0.1)"


def _assert_identical(full: Path, resumed: Path) -> None:
    _assert_dropout_on(full)
    a, fields_a = read_resume_checkpoint(full / LAST_CHECKPOINT)
    b, fields_b = read_resume_checkpoint(resumed / LAST_CHECKPOINT)
    assert a["global_step"] == b["global_step"] and a["epoch"] == b["epoch"]
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), f"weight {key} differs"
    for index, slots in a["optimizer_states"][0]["state"].items():
        for name, value in slots.items():
            assert torch.equal(value, b["optimizer_states"][0]["state"][index][name]), (
                f"optimiser {index}/{name}"
            )
    assert a["optimizer_states"][0]["param_groups"] == b["optimizer_states"][0]["param_groups"]
    assert (full / METRICS_CSV).read_text() == (resumed / METRICS_CSV).read_text(), "metrics.csv differs"
    assert fields_a["metrics_rows"] == fields_b["metrics_rows"]
    metrics_a = json.loads((full / "metrics.json").read_text())
    metrics_b = json.loads((resumed / "metrics.json").read_text())
    assert metrics_a == metrics_b
    assert (full / "predictions.csv").read_text() == (resumed / "predictions.csv").read_text()


@pytest.fixture(scope="module")
def runs(small_skill_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("resume_runs")  # one parent: the runs share the crop-feature cache


def test_teacher_resumed_after_epoch_1_equals_uninterrupted(small_skill_dataset: Path, runs: Path):
    data = small_skill_dataset
    _train("teacher_tiny", data, runs / "teacher", 2, TEACHER)
    _train("teacher_tiny", data, runs / "teacher_cut", 1, TEACHER)
    _train("teacher_tiny", data, runs / "teacher_cut", 2, TEACHER, resume=True)
    _assert_identical(runs / "teacher", runs / "teacher_cut")


def test_student_resumed_after_epoch_1_equals_uninterrupted(small_skill_dataset: Path, runs: Path):
    teacher = runs / "teacher"
    if not (teacher / "model.safetensors").is_file():
        _train("teacher_tiny", small_skill_dataset, teacher, 2, TEACHER)
    student = ["task.teacher_run=" + str(teacher)]
    _train("student_tiny", small_skill_dataset, runs / "student", 2, student)
    _train("student_tiny", small_skill_dataset, runs / "student_cut", 1, student)
    features = runs / "student_cut" / "teacher_features.safetensors"
    features.write_bytes(features.read_bytes()[:100])  # as a kill during its first write would leave it
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _train("student_tiny", small_skill_dataset, runs / "student_cut", 2, student, resume=True)
    assert any("recomputing the teacher features" in str(w.message) for w in caught)
    _assert_identical(runs / "student", runs / "student_cut")
