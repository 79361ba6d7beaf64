"""Shared helpers of the learning tests: train a budget row through ``train_run`` and score its fit."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

from skillsight.config import RunConfig, load_config
from skillsight.training.skill_run import evaluate_run, train_run
from tests.functional.learning.budgets import FitBudget

#: random clips per training take per epoch on the subset.
CLIPS_PER_TAKE = 4

#: The subset's clip protocol: 8 frames at 1 fps (the 8 s SkillSight clip, half the steps), 32 px frames,
#: 16 px crops, four random clips per take per epoch, gaze standardised.
SUBSET_SETTINGS: tuple[str, ...] = (
    "data.frame_px=32",
    "data.crop_px=16",
    "data.num_frames=8",
    "data.sample_fps=1.0",
    f"data.train_clips_per_take={CLIPS_PER_TAKE}",
    "data.standardize_gaze=true",
    "data.num_workers=0",
    "optim.warmup_epochs=0",
    "trainer.progress_bar=false",
)


def row_config(row: FitBudget, root: Path, extra: Sequence[str] = ()) -> RunConfig:
    """The row's preset on the subset, its model swapped for the row's variant, stopped after ``row.steps``.

    The tiny recipes decay the learning rate x0.1 for their last quarter; the budget does the same at
    75 % of its steps (milestones are in epochs: ``row.takes * CLIPS_PER_TAKE / batch`` steps each).
    """
    cfg = load_config(row.preset, [*SUBSET_SETTINGS, *row.overrides, *extra])
    steps_per_epoch = math.ceil(row.takes * cfg.data.train_clips_per_take / cfg.data.batch_size)
    decay_epoch = int(0.75 * row.steps / steps_per_epoch)
    return load_config(
        row.preset,
        [
            f"data.root={root}",
            f"model.name={row.variant}",
            *SUBSET_SETTINGS,
            *row.overrides,
            f"optim.milestones=[{decay_epoch}]",
            "optim.gamma=0.1",
            f"trainer.max_steps={row.steps}",
            "trainer.max_epochs=100000",  # the step budget ends the run
            *extra,
        ],
    )


def train_row(row: FitBudget, root: Path, run_dir: Path, extra: Sequence[str] = ()) -> Path:
    """Train the row through the real entry point; returns the run folder."""
    return train_run(row_config(row, root, extra), run_dir, cache_root=run_dir.parent / "cache")


def training_take_accuracy(run_dir: Path) -> float:
    """Take accuracy of the run's model on its TRAINING takes (10 protocol clips each, logits averaged)."""
    return float(evaluate_run(run_dir, split="train")["overall_accuracy"])


def logged_steps(run_dir: Path) -> int:
    """Optimiser steps the run logged (Lightning's ``step`` column of its last row)."""
    with (run_dir / "logs" / "metrics.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    return max(int(r["step"]) for r in rows) + 1


def logged_series(run_dir: Path, column: str) -> list[float]:
    """Per-epoch values of ``column`` from the run's metrics.csv (rows without it skipped)."""
    with (run_dir / "logs" / "metrics.csv").open(newline="") as f:
        return [float(r[column]) for r in csv.DictReader(f) if r.get(column)]
