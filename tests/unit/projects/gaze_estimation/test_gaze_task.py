"""GazeEstimationTask modes and the train/eval/predict pipeline on tiny models (CPU, seconds)."""

import json

import lightning as L
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.projects.gaze_estimation.pipeline import GazeTrainConfig, train_gaze
from skillsight.projects.gaze_estimation.readers import FaceArrayDataset
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces
from skillsight.projects.gaze_estimation.task import GazeEstimationTask

TINY = dict(
    teacher_model="test_privigaze_teacher",
    student_model="test_privigaze_student",
    face_size=32,
    eye_size=(32, 32),
    n_train=32,
    n_val=16,
    teacher_epochs=1,
    student_epochs=1,
    batch_size=16,
)


def _loader(n=32):
    arrays = generate_synthetic_faces(n, seed=0, config=SyntheticFaceConfig(face_size=32, eye_size=(32, 32)))
    return DataLoader(FaceArrayDataset(arrays), batch_size=16)


def _fit(task, epochs):
    L.Trainer(
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
    ).fit(task, _loader(), _loader(16))  # a validation loader: the task defines validation_step


def _snapshot(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _changed(before, model):
    return any(
        not torch.equal(before[k], v) for k, v in model.state_dict().items() if v.dtype.is_floating_point
    )


def test_mode_validation():
    with pytest.raises(ConfigError, match="unknown gaze task mode"):
        GazeEstimationTask("teach")
    with pytest.raises(ConfigError, match="needs a teacher"):
        GazeEstimationTask("distill", student=create_model("test_privigaze_student"))
    with pytest.raises(ConfigError, match="teacher_epochs"):
        GazeEstimationTask(
            "both",
            teacher=create_model("test_privigaze_teacher"),
            student=create_model("test_privigaze_student"),
        )
    with pytest.raises(ConfigError, match="bins"):
        GazeEstimationTask(
            "distill",
            teacher=create_model("test_privigaze_teacher", num_bins=9),
            student=create_model("test_privigaze_student"),
        )


def test_distill_trains_the_student_and_leaves_the_teacher_frozen():
    teacher, student = create_model("test_privigaze_teacher"), create_model("test_privigaze_student")
    t0, s0 = _snapshot(teacher), _snapshot(student)
    task = GazeEstimationTask("distill", teacher=teacher, student=student)
    _fit(task, 1)
    assert not _changed(t0, teacher)
    assert _changed(s0, student)
    logged = task.trainer.logged_metrics
    assert {
        "train_distill_contrast",
        "train_distill_mmd",
        "train_distill_logit",
        "train_distill_task",
    } <= set(logged)


def test_both_pretrains_the_teacher_then_distils():
    teacher, student = create_model("test_privigaze_teacher"), create_model("test_privigaze_student")
    task = GazeEstimationTask("both", teacher=teacher, student=student, teacher_epochs=1)
    t0, s0 = _snapshot(teacher), _snapshot(student)
    _fit(task, 1)  # the teacher phase only
    assert _changed(t0, teacher) and not _changed(s0, student)
    t1 = _snapshot(teacher)
    task2 = GazeEstimationTask("both", teacher=teacher, student=student, teacher_epochs=1)
    _fit(task2, 2)  # epoch 0 teacher again, epoch 1 distillation
    assert _changed(s0, student)
    assert "train_distill_loss" in task2.trainer.logged_metrics and _changed(t1, teacher)


def test_pipeline_run_folder_and_distill_from_checkpoint(tmp_path):
    metrics = train_gaze(GazeTrainConfig(mode="both", **TINY), tmp_path / "run")
    run = tmp_path / "run"
    for name in (
        "config.json",
        "metrics.json",
        "teacher.safetensors",
        "teacher.json",
        "student.safetensors",
        "student.json",
    ):
        assert (run / name).is_file(), name
    assert set(metrics) == {"teacher", "student"} and metrics["student"]["n"] == 16
    assert json.loads((run / "config.json").read_text())["mode"] == "both"
    assert json.loads((run / "metrics.json").read_text())["teacher"]["mean_deg"] == pytest.approx(
        metrics["teacher"]["mean_deg"]
    )
    m2 = train_gaze(
        GazeTrainConfig(mode="distill", teacher_checkpoint=str(run / "teacher.safetensors"), **TINY),
        tmp_path / "run2",
    )
    assert set(m2) == {"student"} and np.isfinite(m2["student"]["mean_deg"])
    with pytest.raises(ConfigError, match="teacher_checkpoint"):
        GazeTrainConfig(mode="distill")
    with pytest.raises(ConfigError, match="data_root"):
        GazeTrainConfig(data="mpiifacegaze")
