"""What a training run reports when it ends: the best score, its epoch, the run folder, and (when the
caller evaluated the result) its test or validation metrics, as one line."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["FitResult", "result_line"]


@dataclass
class FitResult:
    """Where the run wrote its outputs and the best monitored value.

    Attributes:
        run_dir: the run folder.
        best_model_path: ``run_dir/model.safetensors``.
        best_score: the best value of ``monitor`` (nan without one).
        epochs_run: epochs trained in all (including those before a resume).
        is_global_zero: False in the other processes of a DDP run.
        monitor: the metric that chose the best model (None: the latest model is the result).
        best_epoch: the epoch of the saved model (-1 if none was saved).
    """

    run_dir: Path
    best_model_path: Path
    best_score: float
    epochs_run: int
    is_global_zero: bool = True
    monitor: str | None = None
    best_epoch: int = -1

    def line(self, evaluated: dict[str, float] | None = None, label: str = "result") -> str:
        """The run's one-line result, e.g. ``result: best val/take_acc 0.625 at epoch 7 of 40 |
        test_overall_accuracy 0.583 | run runs/teacher``."""
        return result_line(self, evaluated, label)


def _number(value: float) -> str:
    return "nan" if isinstance(value, float) and math.isnan(value) else f"{value:.4g}"


def result_line(result: FitResult, evaluated: dict[str, float] | None = None, label: str = "result") -> str:
    """One line: best score and its epoch (or the final model's epoch), the metrics the caller evaluated
    the result on (named with their split, e.g. ``test_overall_accuracy``), the run folder."""
    parts = []
    if result.monitor and not math.isinf(result.best_score) and not math.isnan(result.best_score):
        parts.append(
            f"best {result.monitor} {_number(result.best_score)} at epoch {result.best_epoch} "
            f"of {result.epochs_run}"
        )
    else:
        parts.append(f"model of epoch {result.best_epoch} of {result.epochs_run}")
    if evaluated:
        parts.append(", ".join(f"{k} {_number(v)}" for k, v in evaluated.items()))
    parts.append(f"run {result.run_dir}")
    return f"{label}: " + " | ".join(parts)
