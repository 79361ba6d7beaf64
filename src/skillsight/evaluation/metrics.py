"""Classification metrics on integer labels (numpy; no torch import)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

__all__ = [
    "Labels",
    "accuracy",
    "balanced_accuracy",
    "confusion_matrix",
    "majority_labels",
    "per_group_accuracy",
]

#: integer class labels, (N,): a list or an integer array.
Labels = Sequence[int] | np.ndarray


def _check(y_true: np.ndarray, y_pred: np.ndarray) -> None:
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal-length 1-D arrays")


def accuracy(y_true: Labels, y_pred: Labels) -> float:
    """Top-1 accuracy in [0, 1]; NaN for no samples."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    _check(t, p)
    return float(np.mean(t == p)) if t.size else float("nan")


def confusion_matrix(y_true: Labels, y_pred: Labels, num_classes: int) -> np.ndarray:
    """(num_classes, num_classes) int counts; rows = true class, columns = predicted class."""
    t, p = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    _check(t, p)
    if t.size and (t.min() < 0 or p.min() < 0 or t.max() >= num_classes or p.max() >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}); got true {np.unique(t)}, predicted {np.unique(p)}"
        )
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (t, p), 1)
    return cm


def balanced_accuracy(y_true: Labels, y_pred: Labels, num_classes: int) -> float:
    """Mean recall over the classes present in ``y_true``."""
    cm = confusion_matrix(y_true, y_pred, num_classes)
    support = cm.sum(1)
    present = support > 0
    if not present.any():
        return float("nan")
    return float(np.mean(np.diag(cm)[present] / support[present]))


def per_group_accuracy(y_true: Labels, y_pred: Labels, groups: Sequence[str]) -> dict[str, float]:
    """Accuracy within each group (e.g. scenario), sorted by group name."""
    t, p, g = np.asarray(y_true), np.asarray(y_pred), np.asarray(groups)
    _check(t, p)
    return {str(name): float(np.mean(t[g == name] == p[g == name])) for name in sorted(set(g.tolist()))}


def majority_labels(
    train_labels: Sequence[int], train_groups: Sequence[str], test_groups: Sequence[str]
) -> np.ndarray:
    """Majority baseline: each test item gets its group's most frequent TRAINING label.

    Ties go to the smaller label (deterministic). A test group absent from training raises ValueError.
    """
    by_group: dict[str, Counter[int]] = {}
    for label, group in zip(train_labels, train_groups):
        by_group.setdefault(str(group), Counter())[int(label)] += 1
    out = []
    for group in test_groups:
        if str(group) not in by_group:
            raise ValueError(f"group {group!r} has no training labels; known: {sorted(by_group)}")
        counts = by_group[str(group)]
        best = max(counts.values())
        out.append(min(label for label, c in counts.items() if c == best))
    return np.asarray(out, dtype=np.int64)
