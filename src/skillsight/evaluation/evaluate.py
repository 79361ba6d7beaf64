"""Take-level evaluation: average clip logits per take, then score per scenario and pooled.

"Overall" is pooled over all test takes (micro average), as in SkillSight, not the mean of the
per-scenario accuracies. Outputs are plain files in the run folder, one pair per split:
``predictions_<split>.csv`` (one row per take: uid, name, scenario, label, logits, probabilities;
see :mod:`skillsight.evaluation.predictions_file`) and ``metrics_<split>.json``. The test split's
pair is also written as ``predictions.csv`` and ``metrics.json`` (the run's headline result).
Unlabelled takes (the official test split) are predicted, never scored: their label is -1.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from skillsight.evaluation.metrics import (
    accuracy,
    balanced_accuracy,
    confusion_matrix,
    majority_labels,
    per_group_accuracy,
)
from skillsight.evaluation.predictions_file import TakePredictions, write_predictions_csv
from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "TakePredictions",
    "majority_predictions",
    "predict_takes",
    "score_predictions",
    "split_file_names",
    "write_evaluation",
]


@torch.no_grad()
def predict_takes(
    model: nn.Module,
    batches: Iterable[dict[str, Any]],
    scenario_names: Sequence[str],
    class_names: Sequence[str] = (),
    take_names: Mapping[str, str] | None = None,
) -> TakePredictions:
    """Run ``model`` over clip batches and average logits per take.

    Each batch holds the model's declared inputs plus ``take_uid`` (list of str), ``scenario``
    (B,) scenario ids indexing ``scenario_names`` and ``label`` (B,), -1 for an unlabelled take.
    ``take_names`` maps take uids to names (stored with the predictions; the leaderboard uses names).

    Raises:
        DataFormatError: the model gives a non-finite logit (NaN/inf weights or a diverged run): an
            argmax over NaN is class 0, a silent "25 %" accuracy, so it is refused naming the take.
    """
    model.eval()
    names = tuple(getattr(model, "input_names", ()))
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = defaultdict(int)
    meta: dict[str, tuple[str, int]] = {}
    for batch in batches:
        logits = model(**{n: batch[n] for n in names})["logits"].float()
        finite = torch.isfinite(logits).all(-1)  # (B,)
        if not bool(finite.all()):
            uid = batch["take_uid"][int((~finite).nonzero()[0])]
            raise DataFormatError(
                uid,
                "logits",
                None,
                "the model gave NaN/inf logits for a clip of this take (NaN in its inputs?)",
            )
        for i, uid in enumerate(batch["take_uid"]):
            sums[uid] = sums[uid] + logits[i] if uid in sums else logits[i].clone()
            counts[uid] += 1
            scenario, label = scenario_names[int(batch["scenario"][i])], int(batch["label"][i])
            if uid in meta and meta[uid] != (scenario, label):
                raise ValueError(
                    f"take {uid}: clips disagree on scenario/label {meta[uid]} vs {(scenario, label)}"
                )
            meta[uid] = (scenario, label)
    if not sums:
        raise ValueError("no clips to evaluate (empty test set)")
    uids = sorted(sums)
    return TakePredictions(
        take_uids=uids,
        scenarios=[meta[u][0] for u in uids],
        labels=np.array([meta[u][1] for u in uids], dtype=np.int64),
        logits=np.stack([(sums[u] / counts[u]).numpy() for u in uids]),
        num_clips=np.array([counts[u] for u in uids], dtype=np.int64),
        class_names=list(class_names),
        take_names=[take_names.get(u, "") for u in uids] if take_names else [],
    )


def score_predictions(
    labels: np.ndarray, predicted: np.ndarray, scenarios: Sequence[str], num_classes: int
) -> dict[str, Any]:
    """Overall (pooled) top-1, per-scenario top-1, balanced accuracy and the confusion matrix."""
    return {
        "num_takes": len(labels),
        "overall_accuracy": accuracy(labels, predicted),
        "balanced_accuracy": balanced_accuracy(labels, predicted, num_classes),
        "per_scenario_accuracy": per_group_accuracy(labels, predicted, scenarios),
        "confusion_matrix": confusion_matrix(labels, predicted, num_classes).tolist(),
    }


def majority_predictions(
    train_labels: Sequence[int], train_scenarios: Sequence[str], test_scenarios: Sequence[str]
) -> np.ndarray:
    """Per-scenario training majority label for each test take (the paper's "majority vote")."""
    return majority_labels(train_labels, train_scenarios, test_scenarios)


def split_file_names(split: str) -> tuple[str, str]:
    """``(predictions_<split>.csv, metrics_<split>.json)``: the file names of one split's evaluation."""
    return f"predictions_{split}.csv", f"metrics_{split}.json"


def write_evaluation(
    run_dir: str | Path,
    preds: TakePredictions,
    metrics: dict[str, Any] | None = None,
    split: str | None = None,
) -> list[Path]:
    """Write ``predictions_<split>.csv`` and (when given) ``metrics_<split>.json`` into ``run_dir``.

    ``split`` defaults to ``metrics["split"]``, else "test". The test split's files are also written as
    ``predictions.csv`` / ``metrics.json``. Returns the paths written.
    """
    run_dir = Path(run_dir)
    split = split or (metrics or {}).get("split") or "test"
    pred_name, metrics_name = split_file_names(split)
    names = [(pred_name, metrics_name)] + ([("predictions.csv", "metrics.json")] if split == "test" else [])
    written = []
    for pred_file, metrics_file in names:
        written.append(write_predictions_csv(run_dir / pred_file, preds))
        if metrics is not None:
            path = run_dir / metrics_file
            atomic_write_text(path, json.dumps(metrics, indent=2, sort_keys=True))
            written.append(path)
    return written
