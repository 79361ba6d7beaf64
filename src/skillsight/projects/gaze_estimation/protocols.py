"""Leave-one-person-out on MPIIFaceGaze-layout data: the dataset's standard protocol, automated.

MPIIFaceGaze (Zhang et al., CVPRW 2017) is evaluated by leave-one-person-out cross-validation: one fold
per subject (15: ``p00`` .. ``p14``), trained on the others and tested on that subject; the reported
figure is the mean over folds of the fold's mean angular error. :func:`leave_one_person_out` runs every
fold through :func:`~skillsight.projects.gaze_estimation.pipeline.train_gaze` (the configured mode:
teacher, distilled student, plain student) and writes::

    RUN/fold_<subject>/     an ordinary PriviGaze run folder (data.val_subjects = [subject])
    RUN/lopo.json           per fold and model: mean / median / p95 error and samples; across folds:
                            the mean and standard deviation of the fold means, and the sample-pooled mean

A fold's held-out subject is its evaluation set (never seen in training); no other subject is held out.
``resume=True`` keeps finished folds (those with metrics) and continues the others.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.config import GazeTrainConfig
from skillsight.projects.gaze_estimation.pipeline import train_gaze
from skillsight.projects.gaze_estimation.readers import read_mpiifacegaze
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.run_config import save_config

__all__ = ["leave_one_person_out", "summarise_folds"]


def _subjects(cfg: GazeTrainConfig, subjects: Sequence[str] | None) -> list[str]:
    if cfg.data.dataset != "mpiifacegaze":
        raise ConfigError(
            f"data.dataset: leave-one-person-out is MPIIFaceGaze's protocol, got {cfg.data.dataset!r}"
        )
    if not cfg.data.root:
        raise ConfigError("data.root: leave-one-person-out needs the MPIIFaceGaze folder")
    found = sorted(set(read_mpiifacegaze(cfg.data.root).subject_ids.tolist()))
    if subjects:
        unknown = sorted(set(subjects) - set(found))
        if unknown:
            raise ConfigError(f"subjects {unknown} are not in {cfg.data.root} (found {found})")
        found = [s for s in found if s in set(subjects)]
    if len(found) < 2:
        raise ConfigError(f"leave-one-person-out needs at least 2 subjects, {cfg.data.root} has {found}")
    return found


def summarise_folds(per_fold: dict[str, dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Across folds, per model: mean and std (ddof 0) of the fold means, and the sample-pooled mean."""
    roles = sorted({role for fold in per_fold.values() for role in fold})
    out: dict[str, dict[str, float]] = {}
    for role in roles:
        folds = [f[role] for f in per_fold.values() if role in f]
        means = np.array([f["mean_deg"] for f in folds], dtype=np.float64)
        counts = np.array([f["n"] for f in folds], dtype=np.float64)
        out[role] = {
            "mean_of_fold_means_deg": float(means.mean()),
            "std_of_fold_means_deg": float(means.std()),
            "sample_pooled_mean_deg": float((means * counts).sum() / counts.sum()),
            "folds": len(folds),
        }
    return out


def leave_one_person_out(
    cfg: GazeTrainConfig,
    run_dir: str | Path,
    subjects: Sequence[str] | None = None,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train and evaluate one fold per subject of ``cfg.data.root`` (MPIIFaceGaze layout).

    Args:
        cfg: the PriviGaze config (``data.dataset`` "mpiifacegaze"); its held-out subjects are replaced
            per fold.
        run_dir: the protocol's folder (one run folder per fold inside).
        subjects: the folds to run (default: every subject found).
        resume: keep finished folds, continue the others from their checkpoints.
        log: receives each fold's result lines and the summary.

    Returns:
        What ``lopo.json`` holds: ``per_fold`` and ``summary``.
    """
    run = Path(run_dir)
    folds = _subjects(cfg, subjects)
    run.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run / "config.json", resume=resume)
    per_fold: dict[str, dict[str, dict[str, float]]] = {}
    for subject in folds:
        fold_dir = run / f"fold_{subject}"
        done = fold_dir / "metrics.json"
        if resume and done.is_file():
            per_fold[subject] = json.loads(done.read_text(encoding="utf-8"))
            continue
        fold_cfg = replace(cfg, data=replace(cfg.data, val_subjects=[subject], test_subjects=[]))
        per_fold[subject] = train_gaze(fold_cfg, fold_dir, resume=resume and fold_dir.exists(), log=log)
    summary = summarise_folds(per_fold)
    result = {"protocol": "leave_one_person_out", "subjects": folds, "per_fold": per_fold, "summary": summary}
    atomic_write_text(run / "lopo.json", json.dumps(result, indent=2))
    if log is not None:
        for role, s in summary.items():
            log(
                f"{role}: leave-one-person-out mean angular error {s['mean_of_fold_means_deg']:.2f} deg "
                f"(std over {s['folds']} folds {s['std_of_fold_means_deg']:.2f})"
            )
    return result
