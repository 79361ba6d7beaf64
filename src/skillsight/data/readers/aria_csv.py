"""Fast numeric column reader and writer for the Aria MPS CSV files (numpy only).

Reading: the file is read once as bytes and numpy's C tokenizer (``np.loadtxt``) converts only
the requested columns (string columns such as ``session_uid`` or ``graph_uid`` are skipped, never
converted); columns that may hold empty cells (``depth_m``, ``quality_score``) are read as short
byte strings and converted with empty -> NaN. Any parse failure is located
(line, column, text) and reported as a :class:`DataFormatError` naming the file, field and value.

Writing: numbers are written with ``repr`` (shortest text that reads back to the same float64),
column by column, joined without a Python loop over rows.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = [
    "check_no_nan",
    "check_strictly_increasing",
    "format_float_column",
    "read_csv_columns",
    "read_csv_header",
    "write_csv_columns",
]


_NON_SPACE = re.compile(rb"\S")
_NULLABLE_WIDTH = 48  # bytes kept per nullable cell; longer text is reported, never truncated


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if not raw or raw.isspace():
        raise DataFormatError(path, "", "", "empty file (no header and no rows)")
    return raw


def read_csv_header(path: str | Path) -> list[str]:
    """Column names of the first line (surrounding spaces and a BOM stripped)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            first = fh.readline()
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if not first.strip():
        raise DataFormatError(path, "", "", "empty file (no header and no rows)")
    return [c.strip() for c in first.decode("utf-8-sig").strip().split(",")]


def _locate_bad_cell(
    path: Path, body: bytes, header: list[str], indices: Sequence[int], kinds: Sequence[str]
) -> DataFormatError:
    """Find the first row/cell that does not parse (error path only) and describe it."""
    for row, line in enumerate(body.decode("utf-8", errors="replace").splitlines()):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            reason = f"has {len(cells)} cells, the header has {len(header)}"
            return DataFormatError(path, f"line {row + 2}", line[:80], reason)
        for col, kind in zip(indices, kinds):
            text = cells[col].strip()
            if kind == "nullable" and (text == "" or len(text) >= _NULLABLE_WIDTH):
                if text:
                    return DataFormatError(path, header[col], text, f"line {row + 2}: value text is too long")
                continue
            try:
                int(text) if kind == "int" else float(text)
            except ValueError:
                expected = "an integer" if kind == "int" else "a number"
                return DataFormatError(path, header[col], text, f"line {row + 2}: expected {expected}")
    return DataFormatError(path, "", "", "numpy could not parse the file")


def read_csv_columns(
    path: str | Path,
    columns: Sequence[str],
    int_columns: Sequence[str] = (),
    nullable_columns: Sequence[str] = (),
) -> dict[str, np.ndarray]:
    """Parse the named columns of a comma-separated file with a header line.

    Args:
        path: CSV file.
        columns: names to read (each must be in the header).
        int_columns: subset of ``columns`` parsed as int64.
        nullable_columns: subset of ``columns`` whose cells may be empty (-> NaN); the other
            float columns must hold a number in every row.

    Returns:
        name -> (N,) array (int64 or float64).

    Raises:
        DataFormatError: empty file, no data rows, a missing column, a ragged row or an empty or
            unparsable cell (message names file, field/line and value).
    """
    path = Path(path)
    raw = _read_bytes(path)
    newline = raw.find(b"\n")
    header_bytes = raw if newline < 0 else raw[:newline]
    header = [c.strip() for c in header_bytes.decode("utf-8-sig").strip().split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(path, missing[0], header, f"missing column(s) {missing}")
    if newline < 0 or _NON_SPACE.search(raw, newline + 1) is None:
        raise DataFormatError(path, "", header, "no data rows after the header")
    indices = [header.index(c) for c in columns]
    kinds = ["int" if c in int_columns else "nullable" if c in nullable_columns else "float" for c in columns]
    try:
        # Fast path: every column numeric. numpy's C tokenizer converts only the used columns (string
        # columns are skipped); encoding=None reads the bytes as they are (no UTF-8 decode of the whole
        # file), ~2x faster. It stops at the first empty cell, e.g. an empty depth_m.
        return _load(raw, indices, columns, ["float" if k == "nullable" else k for k in kinds])
    except ValueError as err:
        if "nullable" not in kinds:
            raise _locate_bad_cell(path, raw[newline + 1 :], header, indices, kinds) from err
    try:
        # Slow path: nullable columns as short byte strings, empty -> NaN.
        return _load(raw, indices, columns, kinds)
    except ValueError as err:
        raise _locate_bad_cell(path, raw[newline + 1 :], header, indices, kinds) from err


def _load(
    raw: bytes, indices: Sequence[int], columns: Sequence[str], kinds: Sequence[str]
) -> dict[str, np.ndarray]:
    """np.loadtxt on the data rows; raises ValueError on anything it cannot convert."""
    field_types = {"int": np.int64, "float": np.float64, "nullable": f"S{_NULLABLE_WIDTH}"}
    dtype = np.dtype([(f"c{i}", field_types[k]) for i, k in enumerate(kinds)])
    table = np.loadtxt(
        io.BytesIO(raw), delimiter=",", skiprows=1, usecols=indices, dtype=dtype, ndmin=1, encoding=None
    )
    out: dict[str, np.ndarray] = {}
    for i, (name, kind) in enumerate(zip(columns, kinds)):
        values = np.ascontiguousarray(table[f"c{i}"])
        if kind == "nullable":
            text = values.view(np.uint8).reshape(len(values), _NULLABLE_WIDTH)
            if np.any(text[:, -1] != 0):  # a cell filled the buffer: it may have been cut
                raise ValueError("nullable cell too long")
            values = np.where(values == b"", b"nan", values).astype(np.float64)
        out[name] = values
    return out


def check_no_nan(path: str | Path, name: str, values: np.ndarray) -> None:
    """Raise naming the first line whose required cell is empty or NaN."""
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        reason = f"line {int(bad[0]) + 2}: required value is empty or NaN ({bad.size} such rows)"
        raise DataFormatError(path, name, "", reason)


def check_strictly_increasing(path: str | Path, name: str, values: np.ndarray) -> None:
    """Raise naming the first line whose timestamp does not increase."""
    bad = np.flatnonzero(np.diff(values) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        reason = f"line {i + 2}: timestamps must strictly increase (previous line has {int(values[i - 1])})"
        raise DataFormatError(path, name, int(values[i]), reason)


def format_float_column(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of each float (``""`` for NaN, the MPS way of writing 'no value')."""
    text = list(map(repr, np.asarray(values, dtype=np.float64).tolist()))
    nan = np.flatnonzero(np.isnan(values))
    if nan.size:
        text_arr = np.array(text, dtype=object)
        text_arr[nan] = ""
        text = text_arr.tolist()
    return text


def write_csv_columns(
    path: str | Path, header: Sequence[str], cells: Sequence[list[str] | str], n_rows: int
) -> None:
    """Write columns of pre-formatted text (a ``str`` repeats one value on every row)."""
    columns = [[c] * n_rows if isinstance(c, str) else c for c in cells]
    if any(len(c) != n_rows for c in columns):
        raise ValueError(f"every column needs {n_rows} rows")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(map(",".join, zip(*columns)))
    path.write_text(",".join(header) + "\n" + body + ("\n" if n_rows else ""))
