"""PriviGaze teacher and distilled student fit 64 synthetic faces through ``train_gaze`` (its task and loop).

The bar is relative to the label spread: the mean angle between each training gaze and the mean gaze
direction (what a constant predictor errs by). A model that ignores its input stays near 1.0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from skillsight.projects.gaze_estimation.angles import (
    angular_error_deg,
    pitchyaw_to_vector,
    vector_to_pitchyaw,
)
from skillsight.projects.gaze_estimation.config import (
    GazeDataConfig,
    GazeModelConfig,
    GazeTaskConfig,
    GazeTrainConfig,
)
from skillsight.projects.gaze_estimation.pipeline import build_datasets, evaluate_gaze, train_gaze
from skillsight.runs.checkpoint import load_model
from tests.functional.learning.budgets import budget

TEACHER = budget("PriviGaze teacher")
STUDENT = budget("PriviGaze student (distilled)")
N_TRAIN, BATCH = 64, 16


def _label_spread_deg(dataset) -> float:
    """Mean angle (degrees) between each label and the labels' mean direction."""
    labels = np.stack([dataset[i]["pitchyaw_rad"].numpy() for i in range(len(dataset))])
    mean_dir = pitchyaw_to_vector(labels).mean(0)
    centre = vector_to_pitchyaw(mean_dir / np.linalg.norm(mean_dir))
    return float(angular_error_deg(np.broadcast_to(centre, labels.shape), labels).mean())


def test_teacher_and_distilled_student_fit_their_training_faces(tmp_path: Path) -> None:
    """64 faces of 64 px (the demo size; at 32 px the student's last stage is 1 x 1 and it fits slower)."""
    steps_per_epoch = N_TRAIN // BATCH
    assert TEACHER.steps % steps_per_epoch == 0 and STUDENT.steps % steps_per_epoch == 0
    cfg = GazeTrainConfig(
        data=GazeDataConfig(face_size=64, eye_size=(32, 32), n_train=N_TRAIN, n_val=16, batch_size=BATCH),
        model=GazeModelConfig(teacher=TEACHER.variant, student=STUDENT.variant),
        task=GazeTaskConfig(
            mode="both",
            teacher_epochs=TEACHER.steps // steps_per_epoch,
            student_epochs=STUDENT.steps // steps_per_epoch,
        ),
    )  # the privigaze_tiny recipe (optimiser, schedule, loss weights) on a small subset
    train_gaze(cfg, tmp_path)
    train, _ = build_datasets(cfg)  # the same faces (seeded by cfg.seed)
    spread = _label_spread_deg(train)
    assert spread > 5.0, f"the subset's gaze labels barely vary ({spread:.2f} deg)"
    for row, name in ((TEACHER, "teacher"), (STUDENT, "student")):
        error = evaluate_gaze(load_model(tmp_path / name / "model.safetensors"), train)["mean_deg"]
        ratio = error / spread
        assert row.reached(ratio), f"{row.explain(ratio)} ({error:.2f} deg vs spread {spread:.2f} deg)"
