"""``predictions_<split>.csv``: one row per take with its averaged logits, written and read back exactly.

Columns::

    take_uid, take_name, scenario, label, predicted, num_clips, p_<class>..., logit_<class>...

``label`` and ``predicted`` are class ids (``label`` is empty for an unlabelled take); ``p_*`` are the
softmax of the averaged logits (6 decimals, for reading); ``logit_*`` are the averaged logits written
as their shortest round-trip text, so a leaderboard file built from this CSV holds exactly the logits
the model produced.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["PREDICTION_COLUMNS", "TakePredictions", "read_predictions_csv", "write_predictions_csv"]


@dataclass
class TakePredictions:
    """Per-take averaged logits.

    Attributes:
        take_uids: N take ids (sorted).
        scenarios: N scenario names.
        labels: (N,) true class ids, -1 for an unlabelled take.
        logits: (N, C) mean of the clip logits of each take.
        num_clips: (N,) clips averaged per take.
        take_names: N take names (the official test list's identifiers); empty when unknown.
    """

    take_uids: list[str]
    scenarios: list[str]
    labels: np.ndarray
    logits: np.ndarray
    num_clips: np.ndarray
    class_names: list[str] = field(default_factory=list)
    take_names: list[str] = field(default_factory=list)

    @property
    def labelled(self) -> np.ndarray:
        """(N,) bool: True where the take has a label."""
        return np.asarray(self.labels) >= 0

    def subset(self, keep: np.ndarray) -> TakePredictions:
        """The takes where ``keep`` (N,) bool is True, in the same order."""
        idx = np.flatnonzero(keep)
        return TakePredictions(
            take_uids=[self.take_uids[i] for i in idx],
            scenarios=[self.scenarios[i] for i in idx],
            labels=np.asarray(self.labels)[idx],
            logits=np.asarray(self.logits)[idx],
            num_clips=np.asarray(self.num_clips)[idx],
            class_names=list(self.class_names),
            take_names=[self.take_names[i] for i in idx] if self.take_names else [],
        )

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


#: Leading columns of every predictions CSV (class columns follow).
PREDICTION_COLUMNS: tuple[str, ...] = ("take_uid", "take_name", "scenario", "label", "predicted", "num_clips")


def write_predictions_csv(path: str | Path, preds: TakePredictions) -> Path:
    """Write ``preds`` (atomically). Class columns are named after ``preds.class_names`` (or 0..C-1)."""
    num_classes = int(np.asarray(preds.logits).shape[1])
    names = [str(n) for n in (preds.class_names or range(num_classes))]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*PREDICTION_COLUMNS, *(f"p_{n}" for n in names), *(f"logit_{n}" for n in names)])
    probs = preds.probabilities
    for i, uid in enumerate(preds.take_uids):
        label = int(preds.labels[i])
        writer.writerow(
            [
                uid,
                preds.take_names[i] if preds.take_names else "",
                preds.scenarios[i],
                "" if label < 0 else label,
                int(preds.predicted[i]),
                int(preds.num_clips[i]),
                *(f"{p:.6f}" for p in probs[i]),
                *(repr(float(v)) for v in preds.logits[i]),
            ]
        )
    path = Path(path)
    atomic_write_text(path, buf.getvalue())
    return path


def _number(path: Path, line: int, column: str, text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise DataFormatError(f"{path}:{line}", column, text, f"expected {kind.__name__}") from None
    if not math.isfinite(value):
        raise DataFormatError(f"{path}:{line}", column, text, "not a finite number")
    return value


def read_predictions_csv(path: str | Path) -> TakePredictions:
    """Read a predictions CSV back into :class:`~skillsight.evaluation.evaluate.TakePredictions`.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: a missing column, no logit columns, or a cell that is not a finite number
            (naming the line and column).
    """
    path = Path(path)
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    if not rows:
        raise DataFormatError(path, "", "", "empty predictions file (no header)")
    header = rows[0]
    missing = [c for c in PREDICTION_COLUMNS if c not in header]
    logit_cols = [c for c in header if c.startswith("logit_")]
    if missing or not logit_cols:
        raise DataFormatError(
            path, ",".join(missing) or "logit_*", header[:8], "not a predictions file of `skillsight predict`"
        )
    col = {name: header.index(name) for name in header}
    uids, names, scenarios, labels, counts, logits = [], [], [], [], [], []
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise DataFormatError(f"{path}:{line}", "", len(row), f"expected {len(header)} cells")
        uids.append(row[col["take_uid"]])
        names.append(row[col["take_name"]])
        scenarios.append(row[col["scenario"]])
        label = row[col["label"]]
        labels.append(-1 if label == "" else int(_number(path, line, "label", label, int)))
        counts.append(int(_number(path, line, "num_clips", row[col["num_clips"]], int)))
        logits.append([_number(path, line, c, row[col[c]], float) for c in logit_cols])
    return TakePredictions(
        take_uids=uids,
        scenarios=scenarios,
        labels=np.asarray(labels, dtype=np.int64),
        logits=np.asarray(logits, dtype=np.float64).reshape(len(uids), len(logit_cols)),
        num_clips=np.asarray(counts, dtype=np.int64),
        class_names=[c.removeprefix("logit_") for c in logit_cols],
        take_names=names if any(names) else [],
    )
