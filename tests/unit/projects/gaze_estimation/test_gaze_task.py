"""GazeEstimationTask modes and the train/eval/predict pipeline on tiny models (CPU, seconds)."""

import json
import os
import signal

import lightning as L
import numpy as np
import pytest
import torch
from lightning.pytorch.callbacks import Callback
from torch.utils.data import DataLoader

from skillsight.config import load_config
from skillsight.exceptions import ConfigError, TrainingInterrupted
from skillsight.models import create_model
from skillsight.projects.gaze_estimation.pipeline import train_gaze
from skillsight.projects.gaze_estimation.readers import FaceArrayDataset
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces
from skillsight.projects.gaze_estimation.task import GazeEstimationTask
from tests.robustness._toy_runs import first_callback

TINY = [
    "model.teacher=test_privigaze_teacher",
    "model.student=test_privigaze_student",
    "data.face_size=32",
    "data.eye_size=[32, 32]",
    "data.n_train=32",
    "data.n_val=16",
    "task.teacher_epochs=1",
    "task.student_epochs=1",
    "data.batch_size=16",
    "trainer.progress_bar=false",
]


def _cfg(*overrides: str):
    return load_config("privigaze_tiny", [*TINY, *overrides], method="gaze")


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
    with pytest.raises(ConfigError, match="unknown gaze task mode 'both'"):  # a pipeline mode: two fits
        GazeEstimationTask("both", teacher=create_model("test_privigaze_teacher"))
    with pytest.raises(ConfigError, match="needs a teacher"):
        GazeEstimationTask("distill", student=create_model("test_privigaze_student"))
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


def test_pipeline_run_folder_and_distill_from_checkpoint(tmp_path):
    lines = []
    metrics = train_gaze(_cfg("task.mode=both"), tmp_path / "run", log=lines.append)
    run = tmp_path / "run"
    for name in (
        "config.json",
        "metrics.json",
        "teacher/model.safetensors",
        "teacher/model.json",
        "student/model.safetensors",
        "student/model.json",
        "teacher/checkpoints/last.ckpt",
        "student/logs/metrics.csv",
    ):
        assert (run / name).is_file(), name
    assert set(metrics) == {"teacher", "student"} and metrics["student"]["n"] == 16
    saved = json.loads((run / "config.json").read_text())
    assert saved["config_schema"] == "gaze" and saved["task"]["mode"] == "both"
    assert json.loads((run / "metrics.json").read_text())["teacher"]["mean_deg"] == pytest.approx(
        metrics["teacher"]["mean_deg"]
    )
    assert [line.split(":")[0] for line in lines] == ["teacher", "student (distill)"]
    assert "val_mean_deg" in lines[0] and str(run / "teacher") in lines[0]
    m2 = train_gaze(
        _cfg("task.mode=distill", f"model.teacher_checkpoint={run / 'teacher' / 'model'}"), tmp_path / "run2"
    )
    assert set(m2) == {"student"} and np.isfinite(m2["student"]["mean_deg"])
    with pytest.raises(ConfigError, match=r"model\.teacher_checkpoint: task\.mode 'distill' needs"):
        _cfg("task.mode=distill")
    with pytest.raises(ConfigError, match=r"data\.root: the 'mpiifacegaze' dataset needs its folder"):
        _cfg("data.dataset=mpiifacegaze")


class _SigtermInStudentEpoch1(Callback):
    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if pl_module.mode == "distill" and trainer.current_epoch == 1 and batch_idx == 0:
            os.kill(os.getpid(), signal.SIGTERM)


def test_a_run_stopped_in_its_student_phase_resumes_to_the_same_result(tmp_path):
    cfg = _cfg("task.mode=both", "task.student_epochs=2", "data.batch_size=8")  # 4 batches per epoch
    full = train_gaze(cfg, tmp_path / "full")
    with pytest.MonkeyPatch.context() as patch:
        first_callback(patch, _SigtermInStudentEpoch1())
        with pytest.raises(TrainingInterrupted, match="SIGTERM in epoch 1 after batch 1 of 4"):
            train_gaze(cfg, tmp_path / "cut")
    assert train_gaze(cfg, tmp_path / "cut", resume=True) == full, "the finished teacher phase is restored"


def test_presets_resolve_and_the_paper_preset_is_paper_size():
    paper = load_config("privigaze_paper", method="gaze")
    assert (paper.model.teacher, paper.data.face_size, paper.data.batch_size) == (
        "privigaze_teacher",
        224,
        32,
    )
    assert (paper.task.teacher_epochs, paper.task.student_epochs) == (50, 100)
    assert paper.optim.schedule == "cosine" and paper.optim.min_lr_ratio == 0.02
    with pytest.raises(ConfigError, match="'adam' is not allowed"):
        load_config("privigaze_tiny", ["optim.optimizer=adam"], method="gaze")


def test_a_one_sample_last_batch_is_dropped_not_fed_to_batchnorm(tmp_path):
    """33 training faces in batches of 16 leave one: BatchNorm cannot train on it, so it is dropped."""
    metrics = train_gaze(_cfg("data.n_train=33", "task.mode=both"), tmp_path / "run")
    assert set(metrics) == {"teacher", "student"}
