"""Take-level evaluation: average clip logits per take, then score per scenario and pooled.

"Overall" is pooled over all test takes (micro average), as in SkillSight, not the mean of the
per-scenario accuracies. Outputs are plain files in the run folder: ``predictions.csv`` (one row
per take) and ``metrics.json``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
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
from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "TakePredictions",
    "majority_predictions",
    "predict_takes",
    "score_predictions",
    "write_evaluation",
]


@dataclass
class TakePredictions:
    """Per-take averaged logits.

    Attributes:
        take_uids: N take ids (sorted).
        scenarios: N scenario names.
        labels: (N,) true class ids.
        logits: (N, C) mean of the clip logits of each take.
        num_clips: (N,) clips averaged per take.
    """

    take_uids: list[str]
    scenarios: list[str]
    labels: np.ndarray
    logits: np.ndarray
    num_clips: np.ndarray
    class_names: list[str] = field(default_factory=list)

    @property
    def predicted(self) -> np.ndarray:
        """(N,) argmax class ids."""
        return self.logits.argmax(-1)

    @property
    def probabilities(self) -> np.ndarray:
        """(N, C) softmax of the averaged logits."""
        z = self.logits - self.logits.max(-1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(-1, keepdims=True)


@torch.no_grad()
def predict_takes(
    model: nn.Module,
    batches: Iterable[dict[str, Any]],
    scenario_names: Sequence[str],
    class_names: Sequence[str] = (),
) -> TakePredictions:
    """Run ``model`` over clip batches and average logits per take.

    Each batch holds the model's declared inputs plus ``take_uid`` (list of str), ``scenario``
    (B,) scenario ids indexing ``scenario_names`` and ``label`` (B,).

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


def write_evaluation(run_dir: str | Path, preds: TakePredictions, metrics: dict[str, Any]) -> None:
    """Write ``predictions.csv`` (one row per take, with probabilities) and ``metrics.json``."""
    run_dir = Path(run_dir)
    rows: list[list[Any]] = [
        ["take_uid", "scenario", "label", "predicted", "num_clips"]
        + [f"p_{name or i}" for i, name in enumerate(preds.class_names or range(preds.logits.shape[1]))]
    ]
    for i, uid in enumerate(preds.take_uids):
        rows.append(
            [uid, preds.scenarios[i], int(preds.labels[i]), int(preds.predicted[i]), int(preds.num_clips[i])]
            + [f"{p:.6f}" for p in preds.probabilities[i]]
        )
    lines = []

    class _Sink:
        def write(self, text: str) -> None:
            lines.append(text)

    csv.writer(_Sink(), lineterminator="\n").writerows(rows)
    atomic_write_text(run_dir / "predictions.csv", "".join(lines))
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
