"""Raw MPS eye-gaze rows (any of the four layouts) -> gaze arrays, as :func:`read_gaze_csv` reads them.

A live eye tracker delivers rows one at a time, as mappings ``column -> cell`` with the column
names of the MPS CSV layouts (``skillsight.data.readers.aria_gaze.GAZE_LAYOUTS``); cells may be strings
(as read from a CSV line), numbers or None. The layout is detected from the first row's columns
with the reader's own :func:`detect_gaze_layout`, and a row becomes the same (timestamp, combined
yaw, pitch, depth) the file reader produces: vergence rows through the shared
:func:`skillsight.gaze.geometry.vergence_to_combined`, depth from ``depth_m`` where the layout has
it (never for gen2). ``tests/unit/deploy/test_inference.py`` checks this against
:func:`read_gaze_csv` on every layout.

Unlike the file reader (which refuses a file with a bad cell), a stream must go on:

* an empty or non-numeric yaw/pitch cell gives NaN yaw/pitch (the row is kept and counted in
  ``nan_rows``; resampling treats it as tracking lost, so the steps around it are masked);
* an empty/non-numeric depth gives ``depth_valid`` False (normal: most layouts have no depth);
* a row without a usable integer timestamp cannot be placed in time: it is dropped and counted in
  ``bad_timestamp_rows``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from skillsight.data.readers.aria_gaze import REQUIRED_COLUMNS, TS, detect_gaze_layout
from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import vergence_to_combined

__all__ = ["GazeRowParser", "GazeRows", "iter_csv_rows"]


@dataclass(frozen=True)
class GazeRows:
    """Parsed rows, in arrival order.

    Attributes:
        timestamps_us: (N,) int64 device clock.
        yaw_rad, pitch_rad: (N,) combined yaw and pitch in CPF; NaN where the row had no value.
        depth_m: (N,) depth; NaN where unknown. depth_valid: (N,) bool.
        nan_rows: rows kept with NaN yaw/pitch. bad_timestamp_rows: rows dropped (no timestamp).
    """

    timestamps_us: np.ndarray
    yaw_rad: np.ndarray
    pitch_rad: np.ndarray
    depth_m: np.ndarray
    depth_valid: np.ndarray
    nan_rows: int = 0
    bad_timestamp_rows: int = 0

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


def _number(cell: Any) -> float:
    """A cell as float; empty, None or unparsable -> NaN."""
    if cell is None:
        return float("nan")
    if isinstance(cell, (int, float, np.integer, np.floating)):
        return float(cell)
    try:
        return float(str(cell).strip())
    except ValueError:
        return float("nan")


def _timestamp(cell: Any) -> int | None:
    """A timestamp cell as int microseconds; None when missing or not a whole number."""
    if cell is None or isinstance(cell, bool):
        return None
    if isinstance(cell, (int, np.integer)):
        return int(cell)
    text = str(cell).strip()
    try:
        return int(text)
    except ValueError:
        value = _number(text)
        return int(value) if np.isfinite(value) and value == np.round(value) else None


class GazeRowParser:
    """Turns MPS gaze rows into :class:`GazeRows` with the layout of the first row seen.

    Args:
        layout: force a layout ("legacy_v1", "legacy_v2", "vergence", "gen2"); None -> detected
            from the first row's columns (an unknown header raises :class:`DataFormatError`).
        source: name used in error messages (a file path, "stdin", ...).
    """

    def __init__(self, layout: str | None = None, source: str = "<rows>") -> None:
        if layout is not None and layout not in REQUIRED_COLUMNS:
            raise DataFormatError(source, "layout", layout, f"not one of {sorted(REQUIRED_COLUMNS)}")
        self.layout = layout
        self.source = source
        self._checked = False

    def _check_columns(self, columns: Iterable[str]) -> None:
        cols = [str(c).strip() for c in columns]
        if self.layout is None:
            self.layout = detect_gaze_layout(cols, self.source)
        missing = [c for c in REQUIRED_COLUMNS[self.layout] if c not in cols]
        if missing:
            raise DataFormatError(
                self.source, missing[0], cols, f"layout {self.layout!r} needs column(s) {missing}"
            )
        self._has_depth = "depth_m" in cols and self.layout != "gen2"
        self._checked = True

    def parse(self, rows: Iterable[Mapping[str, Any]]) -> GazeRows:
        """Parse rows (mappings column -> cell). The first row fixes the layout when not forced."""
        ts_list: list[int] = []
        values: list[tuple[float, float, float, float]] = []  # (yaw or left yaw, right yaw, pitch, depth)
        bad_ts = 0
        for row in rows:
            if not self._checked:
                self._check_columns(row.keys())
            vergence = self.layout == "vergence"
            ts = _timestamp(row.get(TS))
            if ts is None:
                bad_ts += 1
                continue
            ts_list.append(ts)
            depth = _number(row.get("depth_m")) if self._has_depth else float("nan")
            if vergence:
                values.append(
                    (
                        _number(row.get("left_yaw_rads_cpf")),
                        _number(row.get("right_yaw_rads_cpf")),
                        _number(row.get("pitch_rads_cpf")),
                        depth,
                    )
                )
            else:
                values.append(
                    (
                        _number(row.get("yaw_rads_cpf")),
                        float("nan"),
                        _number(row.get("pitch_rads_cpf")),
                        depth,
                    )
                )
        cols = np.asarray(values, dtype=np.float64).reshape(-1, 4)  # (N, 4)
        if self.layout == "vergence":
            yaw, _ = vergence_to_combined(
                cols[:, 0], cols[:, 1], cols[:, 2]
            )  # depth stays the file's, as read_gaze_csv
        else:
            yaw = cols[:, 0]
        pitch, depth = cols[:, 2], cols[:, 3]
        depth_valid = np.isfinite(depth) & (depth >= 0)
        nan_rows = int((~(np.isfinite(yaw) & np.isfinite(pitch))).sum())
        return GazeRows(
            timestamps_us=np.asarray(ts_list, dtype=np.int64),
            yaw_rad=np.asarray(yaw, np.float64),
            pitch_rad=pitch.copy(),
            depth_m=np.where(depth_valid, depth, np.nan),
            depth_valid=depth_valid,
            nan_rows=nan_rows,
            bad_timestamp_rows=bad_ts,
        )


def iter_csv_rows(source: str | Path | TextIO) -> Iterator[dict[str, str]]:
    """Rows of an MPS gaze CSV (a path, or an open text stream such as stdin) as they are read.

    Raises:
        DataFormatError: the file or stream is empty (no header line).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            handle: TextIO = open(path, newline="", encoding="utf-8-sig")
        except OSError as err:
            raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
        name = str(path)
    else:
        handle, name = source, getattr(source, "name", "<stream>")
    try:
        header_line = handle.readline()
        if not header_line.strip():
            raise DataFormatError(name, "", "", "empty input (no header line)")
        header = [c.strip().lstrip("\ufeff") for c in next(csv.reader(io.StringIO(header_line)))]
        for line in iter(
            handle.readline, ""
        ):  # readline, not iteration: stdin rows are yielded as they arrive
            if not line.strip():
                continue
            cells = next(csv.reader(io.StringIO(line)))
            yield dict(zip(header, cells))
    finally:
        if isinstance(source, (str, Path)):
            handle.close()
