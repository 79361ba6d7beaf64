"""``logs/metrics.csv``: the Lightning logger of a run folder, kept in step with its resume checkpoints.

One row per log call (``epoch``, ``step`` and the logged names, columns sorted, empty cells where a row
does not log a name), as Lightning's CSVLogger writes it. Unlike that logger it never deletes the file
of the run it continues: :func:`skillsight.training.loop.fit` hands it the rows that the resume
checkpoint counted (``metrics_rows``), and rows logged after that checkpoint by the killed process are
dropped at the first write. Rows are appended and fsynced (a kill mid-append can only tear rows that
no checkpoint counts yet); a new column rewrites the file atomically. :meth:`MetricsCsvLogger.flush`
is called before each checkpoint is written, so a checkpoint never counts a row that is not on disk.
"""

from __future__ import annotations

import csv
import io
import os
import warnings
from pathlib import Path
from typing import Any

from lightning.pytorch.loggers.logger import Logger
from lightning.pytorch.utilities.rank_zero import rank_zero_only

from skillsight.exceptions import RunWriteError
from skillsight.runs.atomic import atomic_write_text, remove_stale_temp_files

__all__ = ["MetricsCsvLogger", "read_metric_rows", "rows_to_keep"]


def read_metric_rows(path: str | Path, limit: int | None = None) -> list[dict[str, str]]:
    """The first ``limit`` (all if None) data rows of a metrics.csv, empty cells dropped; [] if absent."""
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
    if hasattr(value, "item"):
        value = value.item()
    return str(value)


class MetricsCsvLogger(Logger):
    """Lightning logger writing ``path`` (``run_dir/logs/metrics.csv``), resumable and crash-safe.

    Args:
        path: the CSV file.
        keep_rows: rows of an earlier run to continue after (resume); None starts a new file.
    """

    def __init__(self, path: str | Path, keep_rows: list[dict[str, str]] | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self._rows: list[dict[str, str]] = [dict(r) for r in keep_rows or []]
        self._columns: list[str] = sorted({k for r in self._rows for k in r})
        self._on_disk = 0  # rows of self._rows known to be in the file, in order, under self._columns
        self._rewrite = True  # the file may hold other rows or columns: the next flush rewrites it

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
        """Rows logged so far (including those kept from the run this one continues)."""
        return len(self._rows)

    @rank_zero_only
    def log_hyperparams(self, params: Any, *args: Any, **kwargs: Any) -> None:
        """Ignored: the run's resolved config is ``config.json`` in the run folder."""

    @rank_zero_only
    def log_metrics(self, metrics: dict[str, Any], step: int | None = None) -> None:
        """Append one row (written at the next :meth:`save`)."""
        row = {k: _cell(v) for k, v in metrics.items()}
        row["step"] = str(len(self._rows) if step is None else step)
        self._rows.append(row)

    @rank_zero_only
    def save(self) -> None:
        """Write the rows logged since the last write (Lightning calls this after each log call)."""
        self.flush()

    @rank_zero_only
    def finalize(self, status: str) -> None:
        self.flush()

    def flush(self) -> int:
        """Make every logged row durable on disk; returns how many rows the file holds.

        Raises:
            RunWriteError: the file could not be written (disk full); rows already on disk are kept.
        """
        if getattr(rank_zero_only, "rank", 0) != 0:
            return 0
        columns = sorted({k for r in self._rows for k in r} | set(self._columns))
        if columns != self._columns or self._rewrite or not self.path.is_file():
            self._columns = columns
            remove_stale_temp_files(self.path.parent, self.path.name)
            atomic_write_text(self.path, self._render(self._rows, header=True))
            self._on_disk, self._rewrite = len(self._rows), False
        elif self._on_disk < len(self._rows):
            try:
                with open(self.path, "a", encoding="utf-8", newline="") as handle:
                    handle.write(self._render(self._rows[self._on_disk :], header=False))
                    handle.flush()
                    os.fsync(handle.fileno())
            except OSError as err:
                self._rewrite = True  # the append may be torn: the next flush rewrites the file whole
                raise RunWriteError(
                    self.path,
                    err,
                    f"its first {self._on_disk} rows are intact; the rows after them are not saved",
                ) from err
            self._on_disk = len(self._rows)
        return self._on_disk

    def _render(self, rows: list[dict[str, str]], header: bool) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self._columns, lineterminator="\n")
        if header:
            writer.writeheader()
        writer.writerows(rows)
        return buffer.getvalue()


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
