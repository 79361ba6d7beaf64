"""Training curves of a run from its ``logs/metrics.csv``.

The run's metrics table has one row per epoch (``epoch``, ``step`` and a column per epoch-level value,
see :mod:`skillsight.training.metrics_log`); each plotted metric becomes one series over epochs. Rows
with the same epoch (a log from an older layout, which interleaved training and validation rows) keep
the last value logged in that epoch; empty and non-finite cells are left out.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

__all__ = ["CURVE_METRICS", "read_curves"]

#: The metrics the report plots, in panel order, with their axis labels.
CURVE_METRICS: dict[str, str] = {
    "train/loss": "training loss",
    "val/loss": "validation loss",
    "val/take_acc": "validation take accuracy",
}


def read_curves(run_dir: str | Path) -> dict[str, tuple[list[int], list[float]]]:
    """``{metric: (epochs, values)}`` of the :data:`CURVE_METRICS` the run logged; ``{}`` without a log."""
    path = Path(run_dir) / "logs" / "metrics.csv"
    if not path.is_file():
        return {}
    per_epoch: dict[str, dict[int, float]] = {name: {} for name in CURVE_METRICS}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            try:
                epoch = int(float(row.get("epoch") or "nan"))
            except ValueError:
                continue
            for name in CURVE_METRICS:
                cell = row.get(name) or ""
                try:
                    value = float(cell)
                except ValueError:
                    continue
                if math.isfinite(value):
                    per_epoch[name][epoch] = value  # the epoch's last logged value
    return {
        name: (sorted(values), [values[e] for e in sorted(values)])
        for name, values in per_epoch.items()
        if values
    }
