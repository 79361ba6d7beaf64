"""MSB 2D-gaze teacher and distilled student fit a small synthetic MSB set through ``train_msb``.

``train_msb`` keeps the model that is best on its validation players; the subset has none (their fold is
moved to training, as the SkillSight rows train without a validation split), so it keeps the latest best
on training, and ``evaluate_msb_model`` scores it on the training swings.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

from skillsight.projects.msb.dataset import load_msb
from skillsight.projects.msb.pipeline import evaluate_msb_model, train_msb
from skillsight.projects.msb.synthetic import generate_msb_dataset
from skillsight.runs.checkpoint import load_model
from tests.functional.learning.budgets import budget

ROW = budget("MSB 2D-gaze teacher and student")
BATCH = 32  # train_msb's batch size


def _without_validation_players(root: Path) -> None:
    """Move the validation fold (1) to training (folds 2-4); the test fold (0) stays out."""
    path = root / "annotations" / "subjects.csv"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert any(r["fold"] == "1" for r in rows), "the generator no longer puts players in fold 1"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows({**r, "fold": "2" if r["fold"] == "1" else r["fold"]} for r in rows)


def test_msb_teacher_and_student_fit_their_training_swings(tmp_path: Path) -> None:
    root = generate_msb_dataset(tmp_path / "msb", seed=0, swings_per_player=4)
    _without_validation_players(root)
    data = load_msb(root)
    assert not data.val
    steps_per_epoch = -(-len(data.train) // BATCH)
    train_msb(root, tmp_path / "runs", size="tiny", epochs=max(1, ROW.steps // steps_per_epoch), seed=0)
    on_train = dataclasses.replace(data, test=data.train)
    for name in ("teacher", "student"):
        accuracy = evaluate_msb_model(load_model(tmp_path / "runs" / name / "model"), on_train)[
            "overall_accuracy"
        ]
        assert ROW.reached(accuracy), f"{name}: {ROW.explain(accuracy)} ({len(data.train)} swings)"
