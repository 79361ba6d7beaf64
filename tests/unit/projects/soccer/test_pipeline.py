"""Soccer fold training (tiny test_* models, a few synthetic samples) and the benchmark summary."""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import pytest

from skillsight.data.records import Motion
from skillsight.evaluation.crossval import Fold
from skillsight.projects.soccer.bench import PAPER_ACCURACY, format_lines, make_folds, summarise
from skillsight.projects.soccer.pipeline import SoccerTrainConfig, run_fold, select_distill_weight
from skillsight.projects.soccer.reader import SoccerSample

GAZE_NAMES = ("gp0", "gp1", "gp30", "pd0", "ac0")
MOTION_NAMES = (
    *tuple(f"01-{f}-{a}" for f, axes in (("X", "xyz"), ("V", "xyz")) for a in axes),
    "02-X-x",
    "02-X-y",
    "02-X-z",
)


@pytest.fixture(autouse=True)
def _quiet() -> None:
    warnings.filterwarnings("ignore")
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)


def _samples(n_per_player: int = 4) -> dict[str, SoccerSample]:
    """3 players; label carried by the mean of gaze channel 0 and motion column 3."""
    rng = np.random.default_rng(0)
    out = {}
    for p in (1, 2, 3):
        for s in range(1, n_per_player + 1):
            label = int((p + s) % 2 == 0)
            gaze = rng.normal(size=(6, 5)).astype(np.float32) + 2.0 * label
            motion = None
            if (p, s) != (2, 1):  # one sample without motion, like P2-S30/S31 in the real data
                motion = Motion(
                    values=rng.normal(size=(6, 9)).astype(np.float32) + label, feature_names=MOTION_NAMES
                )
            sample = SoccerSample(
                player=p,
                sample_index=s,
                action_id=(s - 1) // 4,
                action_name="penalty kick",
                score=1.5 + 2 * label,
                label=label,
                gaze=gaze,
                gaze_channel_names=GAZE_NAMES,
                motion=motion,
            )
            out[sample.sample_id] = sample
    return out


def _cfg(**kw) -> SoccerTrainConfig:
    return SoccerTrainConfig(
        epochs=2,
        batch_size=4,
        teacher_model="test_soccer_teacher",
        motion_model="test_soccer_motion_only",
        gaze_model="test_soccer_gaze_only",
        student_model="test_skillsight_student",
        student_args={},
        **kw,
    )


def test_run_fold_predicts_every_row_on_the_test_fold() -> None:
    samples = _samples()
    test_ids = ("P2-S01", "P2-S02", "P2-S03", "P2-S04")
    fold = Fold("out_P2", tuple(i for i in samples if i not in test_ids), test_ids)
    records = run_fold(samples, fold, _cfg(), seed=0, distill_weight=1.0)
    by_row: dict[str, list[dict]] = {}
    for rec in records:
        by_row.setdefault(rec["row"], []).append(rec)
    assert set(by_row) == {"student", "teacher", "motion_only", "gaze_only", "majority", "student_no_distill"}
    # Gaze rows predict every test sample; motion rows skip P2-S01 (no motion).
    assert [r["sample_id"] for r in by_row["gaze_only"]] == list(test_ids)
    assert [r["sample_id"] for r in by_row["teacher"]] == list(test_ids[1:])
    assert all(r["pred"] in (0, 1) and 0.0 <= r["p_expert"] <= 1.0 for r in by_row["student"])
    train_labels = [samples[i].label for i in fold.train]
    assert {r["pred"] for r in by_row["majority"]} == {int(np.mean(train_labels) > 0.5)}
    assert math.isnan(by_row["majority"][0]["p_expert"])
    assert all(r["distill_weight"] == 1.0 for r in by_row["student"])
    again = run_fold(samples, fold, _cfg(rows=("gaze_only",)), seed=0, distill_weight=1.0)
    assert [r["p_expert"] for r in again] == pytest.approx(
        [r["p_expert"] for r in by_row["gaze_only"]], abs=1e-6
    )


def test_distill_weight_is_chosen_on_the_inner_split_only() -> None:
    samples = _samples()
    inner = Fold("inner", tuple(sorted(samples))[:8], tuple(sorted(samples))[8:])
    best, scores = select_distill_weight(samples, inner, _cfg(distill_grid=(0.5, 2.0)), seed=0)
    assert set(scores) == {0.5, 2.0} and best in scores
    assert scores[best] == max(scores.values())


def test_make_folds_and_summary_lines() -> None:
    samples = list(_samples().values())
    lopo = make_folds(samples, "lopo")
    assert len(lopo) == 3 and all(len(f.test) == 4 for f in lopo)
    assert len(make_folds(samples, "kfold", k=3)) == 3
    records = [
        dict(
            protocol="lopo",
            row=row,
            fold=f"f{i % 2}",
            seed=0,
            sample_id=f"s{i}",
            label=i % 2,
            pred=(i % 2) if row == "teacher" else 1,
            has_motion=i != 0,
        )
        for row in ("teacher", "majority")
        for i in range(8)
    ]
    summary = summarise(records, ("teacher", "majority"))
    assert summary["lopo"]["teacher"]["acc_mean"] == 100.0 and summary["lopo"]["teacher"]["n_test"] == 7
    assert summary["lopo"]["majority"]["balanced_acc"] == 50.0
    assert summary["lopo"]["majority"]["pooled_acc_all_samples"] == 50.0
    lines = format_lines(summary)
    assert lines[0].startswith("soccer_lopo_teacher_acc=100 ref=73.3 ratio=")
    assert f"ratio={100.0 / PAPER_ACCURACY['teacher']:.3g}" in lines[0] and "ref_kind=paper" in lines[0]
    # the paper's majority (50.0) is a balanced-accuracy figure: compared with our balanced accuracy
    assert lines[1].startswith("soccer_lopo_majority_balanced=50 ref=50 ratio=1 ref_kind=paper")


def test_identity_leakage_detects_person_fingerprints() -> None:
    """Players with a constant per-person offset are recognised; the label follows the person."""
    from skillsight.projects.soccer.bench import identity_leakage

    samples = list(_samples(n_per_player=6).values())
    rng = np.random.default_rng(1)
    offsets = {1: 0.0, 2: 50.0, 3: -50.0}
    fingerprinted = [
        SoccerSample(
            player=s.player,
            sample_index=s.sample_index,
            action_id=0,
            action_name="x",
            score=s.score,
            label=int(s.player == 2),
            gaze=rng.normal(size=(6, 5)).astype(np.float32) + offsets[s.player],
            gaze_channel_names=("pc00", *GAZE_NAMES[1:]),
            motion=None,
        )
        for s in samples
    ]
    folds = make_folds(fingerprinted, "kfold", k=3)
    leak = identity_leakage(fingerprinted, folds)
    assert leak["player_id_acc_all"] == 100.0 and leak["label_via_player_acc_all"] == 100.0
    assert leak["player_id_acc_pupil_centre"] == 100.0
