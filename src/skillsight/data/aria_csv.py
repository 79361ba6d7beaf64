"""Fast numeric column reader and writer for the Aria MPS CSV files (numpy only).

Reading: the file is read once as bytes; empty cells become ``nan`` with a few C-level byte
replacements, then numpy's C tokenizer parses only the requested columns (string columns such
as ``session_uid`` or ``graph_uid`` are skipped, never converted). Any parse failure is located
(line, column, text) and reported as a :class:`DataFormatError` naming the file, field and value.

Writing: numbers are written with ``repr`` (shortest text that reads back to the same float64),
column by column, joined without a Python loop over rows.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Sequence

import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = ["read_csv_header", "read_csv_columns", "format_float_column", "write_csv_columns", "check_strictly_increasing", "check_no_nan"]


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if not raw.strip():
        raise DataFormatError(path, "", "", "empty file (no header and no rows)")
    return raw


def read_csv_header(path: str | Path) -> list[str]:
    """Column names of the first line (surrounding spaces and a BOM stripped)."""
    path = Path(path)
    with open(path, "rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise DataFormatError(path, "", "", "empty file (no header and no rows)")
    return [c.strip() for c in first.decode("utf-8-sig").strip().split(",")]


def _fill_empty_cells(body: bytes) -> bytes:
    """Write ``nan`` into empty cells (``,,``, a leading or a trailing comma) with C-level replaces."""
    if b"\r" in body:
        body = body.replace(b"\r\n", b"\n")
    if b",," in body:
        body = body.replace(b",,", b",nan,").replace(b",,", b",nan,")
    if b",\n" in body:
        body = body.replace(b",\n", b",nan\n")
    if b"\n," in body:
        body = body.replace(b"\n,", b"\nnan,")
    if body.startswith(b","):
        body = b"nan" + body
    if body.endswith(b","):
        body = body + b"nan"
    return body


def _locate_bad_cell(path: Path, body: bytes, header: list[str], indices: Sequence[int], int_mask: Sequence[bool]) -> DataFormatError:
    """Find the first row/cell numpy refused (error path only) and describe it."""
    for row, line in enumerate(body.decode("utf-8", errors="replace").split("\n")):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(header):
            return DataFormatError(path, f"line {row + 2}", line[:80], f"has {len(cells)} cells, the header has {len(header)}")
        for col, is_int in zip(indices, int_mask):
            text = cells[col].strip()
            try:
                int(text) if is_int else float(text)
            except ValueError:
                shown = "" if text == "nan" and is_int else text
                kind = "an integer" if is_int else "a number"
                return DataFormatError(path, header[col], shown, f"line {row + 2}: expected {kind}")
    return DataFormatError(path, "", "", "numpy could not parse the file")


def read_csv_columns(path: str | Path, columns: Sequence[str], int_columns: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Parse the named columns of a comma-separated file with a header line.

    Args:
        path: CSV file.
        columns: names to read (each must be in the header).
        int_columns: subset of ``columns`` parsed as int64 (the rest as float64; empty -> NaN).

    Returns:
        name -> (N,) array.

    Raises:
        DataFormatError: empty file, no data rows, a missing column, a ragged row or an
            unparsable cell (message names file, field/line and value).
    """
    path = Path(path)
    raw = _read_bytes(path)
    newline = raw.find(b"\n")
    header_bytes, body = (raw, b"") if newline < 0 else (raw[:newline], raw[newline + 1 :])
    header = [c.strip() for c in header_bytes.decode("utf-8-sig").strip().split(",")]
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(path, missing[0], header, f"missing column(s) {missing}")
    if not body.strip():
        raise DataFormatError(path, "", header, "no data rows after the header")
    body = _fill_empty_cells(body)
    indices = [header.index(c) for c in columns]
    int_set = set(int_columns)
    int_mask = [c in int_set for c in columns]
    dtype = np.dtype([(f"c{i}", np.int64 if is_int else np.float64) for i, is_int in enumerate(int_mask)])
    try:
        table = np.loadtxt(io.BytesIO(body), delimiter=",", usecols=indices, dtype=dtype, ndmin=1, encoding="utf-8")
    except ValueError as err:
        raise _locate_bad_cell(path, body, header, indices, int_mask) from err
    return {name: np.ascontiguousarray(table[f"c{i}"]) for i, name in enumerate(columns)}


def check_no_nan(path: str | Path, name: str, values: np.ndarray) -> None:
    """Raise naming the first line whose required cell is empty or NaN."""
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        raise DataFormatError(path, name, "", f"line {int(bad[0]) + 2}: required value is empty or NaN ({bad.size} such rows)")


def check_strictly_increasing(path: str | Path, name: str, values: np.ndarray) -> None:
    """Raise naming the first line whose timestamp does not increase."""
    bad = np.flatnonzero(np.diff(values) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise DataFormatError(
            path, name, int(values[i]), f"line {i + 2}: timestamps must strictly increase (previous line has {int(values[i - 1])})"
        )


def format_float_column(values: np.ndarray) -> list[str]:
    """Shortest round-trip text of each float (``""`` for NaN, the MPS way of writing 'no value')."""
    text = list(map(repr, np.asarray(values, dtype=np.float64).tolist()))
    nan = np.flatnonzero(np.isnan(values))
    if nan.size:
        text_arr = np.array(text, dtype=object)
        text_arr[nan] = ""
        text = text_arr.tolist()
    return text


def write_csv_columns(path: str | Path, header: Sequence[str], cells: Sequence[list[str] | str], n_rows: int) -> None:
    """Write columns of pre-formatted text (a ``str`` repeats one value on every row)."""
    columns = [[c] * n_rows if isinstance(c, str) else c for c in cells]
    if any(len(c) != n_rows for c in columns):
        raise ValueError(f"every column needs {n_rows} rows")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(map(",".join, zip(*columns)))
    path.write_text(",".join(header) + "\n" + body + ("\n" if n_rows else ""))
