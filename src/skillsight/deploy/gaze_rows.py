"""Raw MPS eye-gaze rows (any of the four layouts) -> gaze arrays, as :func:`read_gaze_csv` reads them.

A live eye tracker delivers rows one at a time, as mappings ``column -> cell`` with the column
names of the MPS CSV layouts (``skillsight.data.readers.aria_gaze.GAZE_LAYOUTS``); cells may be strings
(as read from a CSV line), numbers or None. The layout is detected from the first row's columns
with the reader's own :func:`detect_gaze_layout`, and a row becomes the same (timestamp, combined
yaw, pitch, depth) the file reader produces: vergence rows through the shared
:func:`skillsight.gaze.geometry.vergence_to_combined`, depth from ``depth_m`` where the layout has
it (never for gen2). ``tests/unit/deploy/test_inference.py`` checks this against
:func:`read_gaze_csv` on every layout.

Cells follow the ONE cell rule the file readers apply (:mod:`skillsight.data.readers.csv_cells`, plus
the reader's |angle| < pi/2 check): the file reader refuses a file with a bad cell, a stream cannot
refuse, so a row with a bad cell is COUNTED and handled the safe way:

* a bad yaw/pitch cell (empty, not a number, inf/nan, beyond float64, |angle| >= pi/2) makes the row a
  missing sample (NaN yaw/pitch, counted in ``nan_rows`` and ``bad_cell_rows``): resampling treats it
  as tracking lost, so the steps around it are masked, never bridged;
* an empty depth cell is normal (most layouts have no depth): ``depth_valid`` False; a bad one (text,
  inf, negative) is counted in ``bad_cell_rows`` and the depth is dropped;
* a row without a usable int64 timestamp (empty, text, >= 2^63, fractional) cannot be placed in time:
  it is dropped and counted in ``bad_timestamp_rows``; so is a malformed line (wrong cell count,
  unparsable CSV, a field over the CSV size limit), which :func:`iter_csv_rows` yields as a
  :class:`MalformedRow`.

The first few bad cells are described (row, field, value, reason) in ``GazeRows.examples``.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from skillsight.data.readers.aria_gaze import REQUIRED_COLUMNS, TS, detect_gaze_layout
from skillsight.data.readers.csv_cells import BadCell, parse_cell
from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import vergence_to_combined

__all__ = ["MAX_EXAMPLES", "GazeRowParser", "GazeRows", "MalformedRow", "iter_csv_rows"]

#: bad cells described per parse (the rest are only counted).
MAX_EXAMPLES = 5


class MalformedRow(dict):
    """A CSV line that could not be split into the header's cells; it has no columns, only a reason."""

    def __init__(self, reason: str, line_number: int) -> None:
        super().__init__()
        self.reason = reason
        self.line_number = line_number


@dataclass(frozen=True)
class GazeRows:
    """Parsed rows, in arrival order.

    Attributes:
        timestamps_us: (N,) int64 device clock.
        yaw_rad, pitch_rad: (N,) combined yaw and pitch in CPF; NaN where the row had no value.
        depth_m: (N,) depth; NaN where unknown. depth_valid: (N,) bool.
        nan_rows: rows kept with NaN yaw/pitch (a bad gaze cell). bad_timestamp_rows: rows dropped
        (no usable timestamp, or a malformed line). bad_cell_rows: rows with any cell breaking the
        rule. examples: descriptions of the first bad cells.
    """

    timestamps_us: np.ndarray
    yaw_rad: np.ndarray
    pitch_rad: np.ndarray
    depth_m: np.ndarray
    depth_valid: np.ndarray
    nan_rows: int = 0
    bad_timestamp_rows: int = 0
    bad_cell_rows: int = 0
    examples: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


def _angle(cell: Any) -> float:
    """A gaze angle cell by the shared rule, and |angle| < pi/2 as the file reader checks."""
    value = float(parse_cell(cell, "float", nullable=False))  # type: ignore[arg-type]
    if not abs(value) < math.pi / 2:
        raise BadCell("|angle| >= pi/2 rad: gaze angles are radians in CPF (degrees?)")
    return value


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
        bad_ts = bad_rows = 0
        examples: list[str] = []

        def note(i: int, name: str, cell: Any, reason: str) -> None:
            if len(examples) < MAX_EXAMPLES:
                text = cell[:40] + "..." if isinstance(cell, str) and len(cell) > 40 else cell
                shown = repr(text)
                examples.append(f"{self.source} row {i + 1}: {name} {shown}: {reason}")

        for i, row in enumerate(rows):
            if isinstance(row, MalformedRow):
                bad_ts += 1
                bad_rows += 1
                note(i, f"line {row.line_number}", "", row.reason)
                continue
            if not self._checked:
                self._check_columns(row.keys())
            try:
                ts = int(parse_cell(row.get(TS), "int", nullable=False))  # type: ignore[arg-type]
            except BadCell as bad:
                bad_ts += 1
                bad_rows += 1
                note(i, TS, row.get(TS), bad.reason)
                continue
            ts_list.append(ts)
            names = (
                ("left_yaw_rads_cpf", "right_yaw_rads_cpf", "pitch_rads_cpf")
                if self.layout == "vergence"
                else ("yaw_rads_cpf", None, "pitch_rads_cpf")
            )
            row_bad = False
            angles = [float("nan")] * 3
            try:
                angles = [_angle(row.get(n)) if n is not None else float("nan") for n in names]
            except BadCell as bad:
                row_bad = True
                failing = next(n for n in names if n is not None and not _ok(row.get(n)))
                note(i, failing, row.get(failing), bad.reason)
                angles = [float("nan")] * 3
            depth = float("nan")
            if self._has_depth:
                try:
                    value = parse_cell(row.get("depth_m"), "float", nullable=True)
                    if value is not None and value < 0:
                        raise BadCell("depth must be >= 0")
                    depth = float("nan") if value is None else float(value)
                except BadCell as bad:
                    row_bad = True
                    note(i, "depth_m", row.get("depth_m"), bad.reason)
            bad_rows += row_bad
            values.append((angles[0], angles[1], angles[2], depth))
        cols = np.asarray(values, dtype=np.float64).reshape(-1, 4)  # (N, 4)
        if self.layout == "vergence":
            yaw, _ = vergence_to_combined(cols[:, 0], cols[:, 1], cols[:, 2])  # depth stays the file's
        else:
            yaw = cols[:, 0]
        pitch, depth_m = cols[:, 2], cols[:, 3]
        depth_valid = np.isfinite(depth_m) & (depth_m >= 0)
        nan_rows = int((~(np.isfinite(yaw) & np.isfinite(pitch))).sum())
        return GazeRows(
            timestamps_us=np.asarray(ts_list, dtype=np.int64),
            yaw_rad=np.asarray(yaw, np.float64),
            pitch_rad=pitch.copy(),
            depth_m=np.where(depth_valid, depth_m, np.nan),
            depth_valid=depth_valid,
            nan_rows=nan_rows,
            bad_timestamp_rows=bad_ts,
            bad_cell_rows=bad_rows,
            examples=examples,
        )


def _ok(cell: Any) -> bool:
    try:
        _angle(cell)
    except BadCell:
        return False
    return True


def iter_csv_rows(source: str | Path | TextIO) -> Iterator[dict[str, str]]:
    """Rows of an MPS gaze CSV (a path, or an open text stream such as stdin) as they are read.

    A line that cannot be split into the header's cells (another cell count, a lone carriage return
    inside it, a field over the CSV size limit, bytes that are not text) is yielded as a
    :class:`MalformedRow` for the parser to count; the stream goes on.

    Raises:
        DataFormatError: the file or stream is empty (no header line).
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            handle: TextIO = open(path, newline="", encoding="utf-8-sig", errors="replace")  # noqa: SIM115
        except OSError as err:
            raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
        name = str(path)
    else:
        handle, name = source, getattr(source, "name", "<stream>")
    try:
        header_line = handle.readline()
        if not header_line.strip():
            raise DataFormatError(name, "", "", "empty input (no header line)")
        try:
            header = [c.strip().lstrip("\ufeff") for c in next(csv.reader(io.StringIO(header_line)))]
        except csv.Error as err:
            raise DataFormatError(name, "header", header_line[:80], f"header is not CSV: {err}") from None
        line_number = 1
        for line in iter(handle.readline, ""):  # readline, not iteration: stdin rows arrive one by one
            line_number += 1
            if not line.strip():
                continue
            try:
                cells = next(csv.reader([line.rstrip("\r\n")]))
            except csv.Error as err:
                yield MalformedRow(f"not a CSV line: {err}", line_number)
                continue
            if len(cells) != len(header):
                yield MalformedRow(f"has {len(cells)} cells, the header has {len(header)}", line_number)
                continue
            yield dict(zip(header, cells))
    finally:
        if isinstance(source, (str, Path)):
            handle.close()
