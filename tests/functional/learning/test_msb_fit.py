"""MSB 2D-gaze teacher and distilled student fit a small synthetic MSB set through ``train_msb``.

``train_msb`` scores its test players; the same function scores the training swings when the data's
test split is its training split, so the figure below is the training-swing accuracy.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from skillsight.projects.msb.dataset import load_msb
from skillsight.projects.msb.pipeline import evaluate_msb_model, train_msb
from skillsight.projects.msb.synthetic import generate_msb_dataset
from skillsight.runs.checkpoint import load_model
from tests.functional.learning.budgets import budget

ROW = budget("MSB 2D-gaze teacher and student")
BATCH = 32  # train_msb's batch size


def test_msb_teacher_and_student_fit_their_training_swings(tmp_path: Path) -> None:
    root = generate_msb_dataset(tmp_path / "msb", seed=0, swings_per_player=4)
    data = load_msb(root)
    steps_per_epoch = -(-len(data.train) // BATCH)
    train_msb(root, tmp_path / "runs", size="tiny", epochs=max(1, ROW.steps // steps_per_epoch), seed=0)
    on_train = dataclasses.replace(data, test=data.train)
    for name in ("teacher", "student"):
        accuracy = evaluate_msb_model(load_model(tmp_path / "runs" / name / "model"), on_train)[
            "overall_accuracy"
        ]
        assert ROW.reached(accuracy), f"{name}: {ROW.explain(accuracy)} ({len(data.train)} swings)"
