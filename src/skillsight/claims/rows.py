"""Train one row of the benchmark on one seed and read back its per-take test predictions.

Every trained row goes through ``train_run`` (the same entry point as ``skillsight train``) into
``<condition>/seed<N>/<row>/``; a finished row (its ``claims_row.json`` names the same resolved
config) is read back instead of retrained, so an interrupted benchmark resumes where it stopped.
A distilled row reuses the teacher features another row of the same seed already computed from the
same teacher on the same training takes (the run checks the teacher's weights before using them).
The majority row is the per-scenario training majority label, as in the paper.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.claims.plan import BenchPlan, RowSpec, row_config
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.evaluation.metrics import accuracy, balanced_accuracy
from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["SeedPredictions", "majority_row", "read_predictions", "row_power_mw", "train_row"]

_MARKER = "claims_row.json"
_FEATURES = "teacher_features.safetensors"


@dataclass
class SeedPredictions:
    """One row's test predictions on one seed, one entry per test take (sorted by take uid).

    Attributes:
        take_uids, scenarios: N take ids and scenario names.
        labels, predicted: (N,) class ids.
        probabilities: (N, C) softmax of the take's mean clip logits (one-hot for the majority vote).
        seconds: wall time of training + evaluation (0 when read back).
    """

    take_uids: list[str]
    scenarios: list[str]
    labels: np.ndarray
    predicted: np.ndarray
    probabilities: np.ndarray
    seconds: float = 0.0

    @property
    def correct(self) -> np.ndarray:
        """(N,) 1.0 where the take is classified right."""
        return (self.labels == self.predicted).astype(np.float64)

    @property
    def accuracy(self) -> float:
        return accuracy(self.labels, self.predicted)

    @property
    def balanced_accuracy(self) -> float:
        return balanced_accuracy(self.labels, self.predicted, len(PROFICIENCY_LABELS))

    def to_dict(self) -> dict[str, Any]:
        return {
            "take_uids": self.take_uids,
            "scenarios": self.scenarios,
            "labels": self.labels.tolist(),
            "predicted": self.predicted.tolist(),
            "probabilities": np.round(self.probabilities, 5).tolist(),
            "accuracy": self.accuracy,
            "balanced_accuracy": self.balanced_accuracy,
            "seconds": round(self.seconds, 1),
        }


def read_predictions(path: Path) -> SeedPredictions:
    """Parse a run's ``predictions.csv`` (``write_evaluation``'s layout).

    Raises:
        DataFormatError: a missing column or an unparsable cell, naming the file.
    """
    with Path(path).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows:
        raise DataFormatError(path, "", None, "no prediction rows")
    prob_cols = [f"p_{name}" for name in PROFICIENCY_LABELS]
    try:
        uids = [r["take_uid"] for r in rows]
        scenarios = [r["scenario"] for r in rows]
        labels = np.array([int(r["label"]) for r in rows])
        predicted = np.array([int(r["predicted"]) for r in rows])
        probabilities = np.array([[float(r[c]) for c in prob_cols] for r in rows])
    except (KeyError, ValueError) as err:
        raise DataFormatError(path, str(err), None, "not a predictions.csv of write_evaluation") from None
    order = np.argsort(uids, kind="stable")
    return SeedPredictions(
        [uids[i] for i in order],
        [scenarios[i] for i in order],
        labels[order],
        predicted[order],
        probabilities[order],
    )


def _config_hash(cfg: Any) -> str:
    text = json.dumps(dataclasses.asdict(cfg), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _features_store(seed_dir: Path, teacher_key: str, data_root: str) -> Path:
    """Where a seed keeps the teacher features of one teacher run (its weights) on one dataset."""
    from skillsight.runs.hashes import weights_sha256

    weights = weights_sha256(seed_dir / teacher_key)[:12]
    tag = hashlib.sha256(str(Path(data_root).resolve()).encode()).hexdigest()[:8]
    return seed_dir / "teacher_features" / f"{teacher_key}_{weights}_{tag}.safetensors"


def train_row(
    row: RowSpec,
    plan: BenchPlan,
    data_root: Path,
    seed_dir: Path,
    seed: int,
    cache_root: Path,
    log: Callable[[str], None],
    overrides: tuple[str, ...] = (),
    run_name: str | None = None,
) -> tuple[SeedPredictions, Path]:
    """Train (or read back) ``row`` on ``seed``; returns its test predictions and run folder.

    ``overrides`` are appended to the row's (the sweeps change ``task.distill_weight``); ``run_name``
    names the folder (default: the row key).
    """
    from skillsight.config import apply_overrides
    from skillsight.training.skill_run import train_run

    run_dir = seed_dir / (run_name or row.key)
    teacher_run = str(seed_dir / row.teacher) if row.teacher else ""
    cfg = row_config(row, plan, str(data_root), seed, teacher_run)
    if overrides:
        cfg = apply_overrides(cfg, list(overrides))
    digest = _config_hash(cfg)
    marker = run_dir / _MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("config_sha") == digest:
        return read_predictions(run_dir / "predictions.csv"), run_dir
    if run_dir.exists():  # unfinished or another recipe: the run folder refuses to be overwritten
        shutil.rmtree(run_dir)
    store = _features_store(seed_dir, row.teacher, str(data_root)) if row.teacher else None
    if store is not None and store.is_file():
        run_dir.mkdir(parents=True)
        shutil.copyfile(store, run_dir / _FEATURES)
    start = time.perf_counter()
    train_run(cfg, run_dir, cache_root=cache_root)
    seconds = time.perf_counter() - start
    if store is not None and not store.is_file() and (run_dir / _FEATURES).is_file():
        store.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(run_dir / _FEATURES, store)
    preds = read_predictions(run_dir / "predictions.csv")
    preds.seconds = seconds
    atomic_write_text(marker, json.dumps({"config_sha": digest, "seconds": seconds, "row": row.key}))
    log(
        f"  seed {seed} {run_name or row.key}: test acc {preds.accuracy:.3f} "
        f"bal {preds.balanced_accuracy:.3f} ({seconds:.0f} s)"
    )
    return preds, run_dir


def majority_row(data_root: Path) -> SeedPredictions:
    """The majority vote: every test take gets its scenario's most frequent training label."""
    from skillsight.config import DataConfig
    from skillsight.evaluation.evaluate import majority_predictions
    from skillsight.training.skill_data import load_skill_data

    data = load_skill_data(DataConfig(root=str(data_root)))
    test = sorted(data.test, key=lambda t: t.take_uid)
    labels = np.array([t.label for t in test])
    train_labels = [int(t.label) for t in data.train if t.label is not None]
    predicted = majority_predictions(
        train_labels, [t.scenario for t in data.train], [t.scenario for t in test]
    )
    probabilities = np.eye(len(PROFICIENCY_LABELS))[predicted]
    return SeedPredictions(
        [t.take_uid for t in test], [t.scenario for t in test], labels, np.asarray(predicted), probabilities
    )


def row_power_mw(run_dir: Path, window_s: float = 8.0) -> float:
    """The power model's estimate (mW) of a run's model for one ``window_s`` window."""
    from skillsight.deploy.power import estimate_deployed_power
    from skillsight.runs.checkpoint import load_model

    return float(estimate_deployed_power(load_model(run_dir / "model"), window_s=window_s).total_mw)
