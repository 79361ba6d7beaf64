"""``logs/metrics.csv`` and ``logs/steps.csv``: the run's metrics as two tidy tables, kept in step with its
resume checkpoints.

* ``metrics.csv``: ONE row per epoch, ``epoch``, ``step`` (the global step at the epoch's end) and every
  epoch-level value in its own column (``train/loss``, ``val/take_acc``, ``lr``, ...), so a curve is one
  column against ``epoch``;
* ``steps.csv``: one row per logged optimiser step (every ``log_every_n_steps``): ``epoch``, ``step``,
  ``lr`` and any value a task logs per step.

Which table a value goes to follows from when Lightning logs it: :class:`MetricsPhase` (a callback
:func:`skillsight.training.loop.fit` adds) marks the validation pass and the epoch end; values logged
there are the epoch's. An epoch's row is written once complete (at the next checkpoint or the end), never
rewritten. Unlike Lightning's CSVLogger it never deletes the file of the run it continues:
:func:`skillsight.training.loop.fit` hands it the rows the resume checkpoint counted (``metrics_rows``,
``steps_rows``), and rows logged after that checkpoint by the killed process are dropped at the first
write. Rows are appended and fsynced (a kill mid-append can only tear rows no checkpoint counts yet); a
new column rewrites the file atomically. :meth:`MetricsCsvLogger.flush` runs before each checkpoint is
written, so a checkpoint never counts a row that is not on disk.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from skillsight.exceptions import RunWriteError
from skillsight.runs.atomic import atomic_write_text, remove_stale_temp_files

__all__ = ["CsvTable", "MetricsCsvLogger", "MetricsPhase", "read_metric_rows", "rows_to_keep"]


def read_metric_rows(path: str | Path, limit: int | None = None) -> list[dict[str, str]]:
    """The first ``limit`` (all if None) data rows of a metrics CSV, empty cells dropped; [] if absent."""
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8", errors="replace") as handle:
        rows: list[dict[str, str]] = []
        for row in csv.DictReader(handle):
            if limit is not None and len(rows) >= limit:
                break
            rows.append({k: v for k, v in row.items() if k is not None and v not in (None, "")})
    return rows


def _cell(value: Any) -> str:
    return str(value.item() if hasattr(value, "item") else value)


class CsvTable:
    """One CSV file of rows with sorted columns (``epoch`` and ``step`` first), durable on :meth:`write`.

    Args:
        path: the file.
        keep_rows: rows of an earlier run to continue after (resume); None starts a new file.
    """

    FIRST = ("epoch", "step")

    def __init__(self, path: Path, keep_rows: list[dict[str, str]] | None = None) -> None:
        self.path = path
        self.rows: list[dict[str, str]] = [dict(r) for r in keep_rows or []]
        self._columns: list[str] = self._order({k for r in self.rows for k in r})
        self._on_disk = 0  # rows of self.rows known to be in the file, in order, under self._columns
        self._rewrite = True  # the file may hold other rows or columns: the next write rewrites it

    def _order(self, names: set[str]) -> list[str]:
        return [c for c in self.FIRST if c in names] + sorted(names - set(self.FIRST))

    @property
    def on_disk(self) -> int:
        """Rows known to be in the file."""
        return self._on_disk

    def write(self, upto: int) -> int:
        """Make the first ``upto`` rows durable on disk; returns how many rows the file holds.

        Raises:
            RunWriteError: the file could not be written (disk full); rows already on disk are kept.
        """
        upto = min(upto, len(self.rows))
        if upto == 0 and not self.path.is_file():
            return 0
        columns = self._order({k for r in self.rows[:upto] for k in r} | set(self._columns))
        if columns != self._columns or self._rewrite or not self.path.is_file():
            self._columns = columns
            remove_stale_temp_files(self.path.parent, self.path.name)
            atomic_write_text(self.path, self._render(self.rows[:upto], header=True))
            self._on_disk, self._rewrite = upto, False
        elif self._on_disk < upto:
            try:
                with open(self.path, "a", encoding="utf-8", newline="") as handle:
                    handle.write(self._render(self.rows[self._on_disk : upto], header=False))
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as err:
                self._rewrite = True  # the append may be torn: the next write rewrites the file whole
                raise RunWriteError(
                    self.path,
                    err,
                    f"its first {self._on_disk} rows are intact; the rows after them are not saved",
                ) from err
            self._on_disk = upto
        return self._on_disk

    def _render(self, rows: list[dict[str, str]], header: bool) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self._columns, lineterminator="\n")
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()


class MetricsCsvLogger(Logger):
    """Lightning logger writing ``metrics.csv`` (one row per epoch) and ``steps.csv`` beside it.

    Args:
        path: the epoch table (``run_dir/logs/metrics.csv``); the step table is ``steps.csv`` beside it.
        keep_rows: epoch rows of an earlier run to continue after (resume); None starts a new file.
        keep_steps: step rows of that run to continue after.
    """

    def __init__(
        self,
        path: str | Path,
        keep_rows: list[dict[str, str]] | None = None,
        keep_steps: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.epochs = CsvTable(self.path, keep_rows)
        self.steps = CsvTable(self.path.with_name("steps.csv"), keep_steps)
        self._sealed = len(self.epochs.rows)  # epoch rows known complete (no later value can join them)
        self.epoch_phase = False  # set by MetricsPhase: values logged now belong to the epoch's row

    @property
    def name(self) -> str:
        return "metrics_csv"

    @property
    def version(self) -> str:
        return ""

    @property
    def save_dir(self) -> str:
        return str(self.path.parent)

    @property
    def log_dir(self) -> str:
        return str(self.path.parent)

    @property
    def num_rows(self) -> int:
        """Epoch rows logged so far (including those kept from the run this one continues)."""
        return len(self.epochs.rows)

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """Ignored: the run's resolved config is ``config.json`` in the run folder."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Add ``metrics`` to the current epoch's row (epoch phase) or as a new step row."""
        row = {k: _cell(v) for k, v in metrics.items()}
        table = self.epochs if self.epoch_phase else self.steps
        row["step"] = str(len(table.rows) if step is None else step)
        if "epoch" in row:
            row["epoch"] = str(int(float(row["epoch"])))
        if self.epoch_phase:
            last = self.epochs.rows[-1] if len(self.epochs.rows) > self._sealed else None
            if last is not None and last.get("epoch") == row.get("epoch"):
                last.update(row)  # the validation pass, the learning rate, the training means: one row
                return
            self._sealed = len(self.epochs.rows)  # a row of a new epoch closes the previous one
        elif table.rows[self.steps.on_disk :] and table.rows[-1]["step"] == row["step"]:
            table.rows[-1].update(row)  # the learning rate and the task's values of one step: one row
            return
        table.rows.append(row)

    @rank_zero_only
    def save(self) -> None:
        """Write the complete rows logged since the last write (Lightning calls this after each log call)."""
        self.epochs.write(self._sealed)
        self.steps.write(len(self.steps.rows))

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.flush()

    def seal(self) -> None:
        """Mark every epoch row logged so far complete (the epoch it belongs to has ended)."""
        self._sealed = len(self.epochs.rows)

    def flush(self) -> dict[str, str]:
        """Seal and write every row; returns the row counts a checkpoint records
        (``metrics_rows``, ``steps_rows``).

        Raises:
            RunWriteError: a file could not be written (disk full); rows already on disk are kept.
        """
        if getattr(rank_zero_only, "rank", 0) != 0:
            return {"metrics_rows": "0", "steps_rows": "0"}
        self.seal()
        return {
            "metrics_rows": str(self.epochs.write(self._sealed)),
            "steps_rows": str(self.steps.write(len(self.steps.rows))),
        }


class MetricsPhase(Callback):
    """Tells a :class:`MetricsCsvLogger` which table values go to, and logs the learning rate: in each
    step row (every ``log_every_n_steps``) and, at the epoch's end, in its epoch row.

    Args:
        logger: the run's CSV logger.
        every_n_steps: the step rows' interval (the trainer's ``log_every_n_steps``).
    """

    def __init__(self, logger: MetricsCsvLogger, every_n_steps: int) -> None:
        self.logger = logger
        self.every_n_steps = max(1, every_n_steps)
        self._last_lr: dict[str, float] = {}  # the rate of the epoch's last optimiser step
        self._stepped = False

    @staticmethod
    def _lr(trainer: L.Trainer) -> dict[str, float]:
        if not trainer.optimizers:
            return {}
        groups = trainer.optimizers[0].param_groups
        return {"lr": float(groups[0]["lr"])} if groups else {}

    def _log(self, trainer: L.Trainer, values: dict[str, float]) -> None:
        # Lightning's step of the optimiser step just taken is its 0-based index (global_step - 1)
        if values and trainer.is_global_zero:
            step = max(0, trainer.global_step - 1)
            for logger in trainer.loggers:
                logger.log_metrics({**values, "epoch": trainer.current_epoch}, step=step)

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        self.logger.epoch_phase = False
        self._stepped = False

    def on_before_optimizer_step(self, trainer: L.Trainer, *args: Any) -> None:
        self._last_lr = self._lr(trainer)  # the rate this step uses (the schedule advances after it)
        self._stepped = True

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self._stepped and trainer.global_step % self.every_n_steps == 0:
            self._log(trainer, self._last_lr)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.logger.epoch_phase = True

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.logger.epoch_phase = False

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.logger.epoch_phase = False

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.logger.epoch_phase = True  # Lightning logs the epoch's training means right after this hook
        self._log(trainer, self._last_lr)


def rows_to_keep(
    path: str | Path, counted: int | None, legacy_last_epoch: int | None
) -> list[dict[str, str]]:
    """The rows of ``path`` that a resume checkpoint covers: its first ``counted`` rows, or (checkpoints
    of the first format, which did not count) those of epochs up to ``legacy_last_epoch``."""
    if counted is None:
        rows = read_metric_rows(path)
        return [r for r in rows if legacy_last_epoch is None or int(r.get("epoch", 0)) <= legacy_last_epoch]
    rows = read_metric_rows(path, limit=counted)
    if len(rows) < counted:
        warnings.warn(
            f"{path} holds {len(rows)} rows but the resume checkpoint counted {counted}: "
            "it was shortened after the checkpoint; continuing after the rows that remain",
            stacklevel=2,
        )
    return rows
