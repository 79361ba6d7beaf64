"""Expert-Novice Soccer rows fit 64 synthetic samples through ``run_fold`` (its real tasks and loop).

The fold trains and predicts the same 64 samples, so its predictions are training-set predictions. Two
subsets put the label in ONE modality only: the teacher must fit both (so neither of its branches is
frozen or dropped), each single-modality baseline only the one it sees, and with the labels permuted
across samples the teacher does not fit in the same budget. The recipe is the pipeline's default
(AdamW 1e-3, dropout 0.1, batch 32).
"""

from __future__ import annotations

import numpy as np

from skillsight.data.records import Motion
from skillsight.evaluation.crossval import Fold
from skillsight.projects.soccer.pipeline import SoccerTrainConfig, run_fold
from skillsight.projects.soccer.reader import SoccerSample
from tests.functional.learning.budgets import budget

ROW = budget("Expert-Novice Soccer teacher, motion-only, gaze-only and student")
N_SAMPLES, BATCH = 64, 32
GAZE_NAMES = ("gp0", "gp1", "gp30", "pd0", "ac0")
MOTION_NAMES = ("01-X-x", "01-X-y", "01-X-z", "02-X-x", "02-X-y", "02-X-z", "01-V-x")


def _samples(label_in: str, permute: bool = False) -> dict[str, SoccerSample]:
    """64 samples of 8 players; the label shifts the mean of one gaze or motion channel (``label_in``)."""
    rng = np.random.default_rng(0)
    labels = np.tile([0, 1], N_SAMPLES // 2)
    shown = rng.permutation(labels) if permute else labels  # what the inputs carry
    out = {}
    for k in range(N_SAMPLES):
        player, index = k // 8 + 1, k % 8 + 1
        gaze = rng.normal(size=(6, len(GAZE_NAMES))).astype(np.float32)
        motion = rng.normal(size=(6, len(MOTION_NAMES))).astype(np.float32)
        if label_in in ("gaze", "both"):
            gaze[:, 3] += 1.5 * shown[k]  # pupil diameter channel (no transform touches it)
        if label_in in ("motion", "both"):
            motion[:, 6] += 1.5 * shown[k]  # a velocity column (kept as read)
        sample = SoccerSample(player=player, sample_index=index, action_id=(index - 1) // 4,
                              action_name="penalty kick", score=1.5 + 2 * labels[k], label=int(labels[k]),
                              gaze=gaze, gaze_channel_names=GAZE_NAMES,
                              motion=Motion(values=motion, feature_names=MOTION_NAMES))  # fmt: skip
        out[sample.sample_id] = sample
    return out


def _training_accuracy(samples: dict[str, SoccerSample], rows: tuple[str, ...]) -> dict[str, float]:
    """Per row: accuracy on the 64 training samples after ROW.steps optimiser steps of the default recipe."""
    steps_per_epoch = N_SAMPLES // BATCH
    cfg = SoccerTrainConfig(epochs=ROW.steps // steps_per_epoch, batch_size=BATCH,
                            teacher_model="test_soccer_teacher", motion_model="test_soccer_motion_only",
                            gaze_model="test_soccer_gaze_only", student_model="test_skillsight_student",
                            student_args={}, rows=rows)  # fmt: skip
    ids = tuple(samples)
    records = run_fold(samples, Fold("train=test", ids, ids), cfg, seed=0, distill_weight=1.0)
    return {
        row: float(np.mean([r["pred"] == r["label"] for r in records if r["row"] == row])) for row in rows
    }


def test_teacher_and_motion_baseline_fit_a_label_only_in_motion() -> None:
    """The teacher fits through its motion branch alone; the gaze-only row cannot see the label."""
    acc = _training_accuracy(_samples("motion"), ("teacher", "motion_only", "gaze_only"))
    for row in ("teacher", "motion_only"):
        assert ROW.reached(acc[row]), f"{row}, label only in motion: {ROW.explain(acc[row])}"
    assert acc["gaze_only"] < 0.8, f"gaze_only fitted a label that is only in motion: {acc['gaze_only']:.3f}"


def test_teacher_gaze_baseline_and_student_fit_a_label_only_in_gaze() -> None:
    """The teacher fits through its gaze branch alone, and so do the gaze-only row and the distilled
    student; the motion-only row cannot see the label. A frozen or dropped branch fails one of the two."""
    acc = _training_accuracy(_samples("gaze"), ("teacher", "motion_only", "gaze_only", "student"))
    for row in ("teacher", "gaze_only", "student"):
        assert ROW.reached(acc[row]), f"{row}, label only in gaze: {ROW.explain(acc[row])}"
    assert acc["motion_only"] < 0.8, (
        f"motion_only fitted a label that is only in gaze: {acc['motion_only']:.3f}"
    )


def test_permuted_labels_are_not_fitted_in_the_same_budget() -> None:
    acc = _training_accuracy(_samples("both", permute=True), ("teacher",))
    assert not ROW.reached(acc["teacher"]), f"permuted labels were fitted: {ROW.explain(acc['teacher'])}"
