"""What a resumed run continues from: the verified checkpoint, the epoch it starts with, and the metrics rows
it keeps (those the checkpoint counted; rows a killed process logged after it are dropped)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lightning as L

from skillsight.exceptions import CheckpointError, ConfigError
from skillsight.runs.atomic import remove_stale_temp_files
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from skillsight.training.metrics_log import rows_to_keep

__all__ = ["ResumePoint", "check_checkpoint_fits", "resume_epoch", "resume_point"]


@dataclass
class ResumePoint:
    """Where a fit call starts: epoch, kept metrics rows, and the checkpoint already read (by path)."""

    first_epoch: int = 0
    kept_rows: list[dict[str, str]] | None = None
    kept_steps: list[dict[str, str]] | None = None
    preloaded: dict[str, dict[str, Any]] = field(default_factory=dict)


def resume_epoch(checkpoint: dict[str, Any]) -> int:
    """The epoch a resume checkpoint continues with: the number of epochs whose training had ended when
    it was taken (an end-of-epoch snapshot continues with the next epoch, a mid-epoch one with its own)."""
    try:
        return int(checkpoint["loops"]["fit_loop"]["epoch_progress"]["total"]["processed"])
    except (KeyError, TypeError, ValueError):
        return int(checkpoint.get("epoch", -1)) + 1


def check_checkpoint_fits(task: L.LightningModule, checkpoint: dict[str, Any], path: Path) -> None:
    """The checkpoint's weights have the task's tensor names and shapes, else a CheckpointError naming one."""
    stored = checkpoint.get("state_dict")
    if not isinstance(stored, dict):
        raise CheckpointError(path, "resume checkpoint holds no state_dict (not written by skillsight fit)")
    expected = task.state_dict()
    hint = "resume checkpoint was written by another model or task than the one being resumed"
    for key, tensor in expected.items():
        if key not in stored:
            raise CheckpointError(path, f"{hint}: tensor missing", field=key)
        if tuple(stored[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                path,
                f"{hint}: shape {list(stored[key].shape)} stored, {list(tensor.shape)} expected",
                field=key,
            )
    extra = [k for k in stored if k not in expected]
    if extra:
        raise CheckpointError(path, f"{hint}: unexpected tensor ({len(extra)} in all)", field=extra[0])


def _counted(fields: dict[str, str], key: str) -> int | None:
    value = fields.get(key, "")
    return int(value) if value.isdigit() else None


def resume_point(
    task: L.LightningModule, run_dir: Path, last: Path, metrics_csv: Path, resume: bool
) -> ResumePoint:
    """Check that ``run_dir`` may be trained into, and (``resume``) read and verify its checkpoint.

    Raises:
        ConfigError: not ``resume`` but the folder holds a run (nothing is overwritten).
        FileNotFoundError: ``resume`` without a checkpoint.
        CheckpointError: the checkpoint is damaged or belongs to another model (nothing is changed).
    """
    if not resume:
        if last.is_file():
            raise ConfigError(
                f"{run_dir} already holds a run ({last}); pass --resume to continue it, or choose "
                "another output folder (nothing was overwritten)"
            )
        return ResumePoint()
    if not last.is_file():
        raise FileNotFoundError(f"--resume given but {last} does not exist (nothing to resume)")
    for folder in (last.parent, run_dir, metrics_csv.parent):
        remove_stale_temp_files(folder)
    checkpoint, fields = read_resume_checkpoint(last)  # verified before anything is changed
    check_checkpoint_fits(task, checkpoint, last)
    epoch = int(checkpoint.get("epoch", -1))
    steps_csv = metrics_csv.with_name("steps.csv")
    return ResumePoint(
        first_epoch=resume_epoch(checkpoint),
        kept_rows=rows_to_keep(metrics_csv, _counted(fields, "metrics_rows"), epoch),
        kept_steps=rows_to_keep(steps_csv, _counted(fields, "steps_rows"), epoch),
        preloaded={str(last): checkpoint},
    )
