"""Numeric column reader and writer for the Aria MPS CSV files (and the other CSVs of the readers).

Reading: pyarrow's C++ CSV reader parses the file once, converting only the requested columns
(string columns such as ``session_uid`` or ``graph_uid`` are skipped) with declared types, so empty
cells (``depth_m``, ``quality_score``) become missing values without a second parse. Every cell
follows the one cell rule of :mod:`skillsight.data.readers.csv_cells` (finite numbers, int64
timestamps, empty only where allowed), every row must have the header's number of cells (a row with
one extra cell would shift every value right), the header may not repeat a name, and the bytes must
be text (a gzip or binary file is named as such). Any failure is located (line, column, text) only
when it happens and reported as a :class:`DataFormatError` naming the file, field and value.

Writing: numbers are written with ``repr`` (shortest text that reads back to the same float64),
column by column, joined without a Python loop over rows.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pa_compute
import pyarrow.csv as pa_csv

from skillsight.data.readers.csv_cells import BadCell, parse_cell
from skillsight.exceptions import DataFormatError

__all__ = [
    "check_no_nan",
    "check_strictly_increasing",
    "check_timestamp_steps_us",
    "format_float_column",
    "read_csv_columns",
    "read_csv_header",
    "write_csv_columns",
]

_GZIP_MAGIC = b"\x1f\x8b"
#: pyarrow's own thread pool: on 2 cores shared with a training process it loses more to contention
#: than it gains (measured in benchmarks/bench_gaze_parse.py), so parse on the calling thread there.
_USE_THREADS = (os.cpu_count() or 1) > 2


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err


def _read_head(path: Path) -> tuple[bytes, int]:
    """(header line bytes, offset of the first data line) from the file's first bytes; refuses an empty,
    whitespace-only or gzip file without reading the rest."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
            while head and head.find(b"\n") < 0 and head.find(b"\r") < 0:
                more = fh.read(1 << 16)
                if not more:
                    break
                head += more
            rest = head if head.strip() else head + fh.read(1 << 20)
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if not rest.strip():
        raise DataFormatError(path, "", "", "empty file (no header and no rows)")
    if head[:2] == _GZIP_MAGIC:
        raise DataFormatError(
            path, "", head[:8], "file is gzip-compressed, not CSV text: decompress it first"
        )
    end, body_start = _first_line_end(head)
    return head[:end], body_start


def _split_header(path: Path, first_line: bytes) -> list[str]:
    try:
        text = first_line.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = first_line[err.start : err.start + 8]
        raise DataFormatError(path, "header", bad, f"header is not UTF-8 text (byte {err.start})") from None
    header = [c.strip() for c in text.strip().split(",")]
    dupes = sorted({c for c in header if header.count(c) > 1})
    if dupes:
        raise DataFormatError(path, "header", dupes, "duplicated column name(s): the file is ambiguous")
    return header


def read_csv_header(path: str | Path) -> list[str]:
    """Column names of the first line (surrounding spaces and a BOM stripped).

    Raises:
        DataFormatError: unreadable or empty file, a gzip file, a header that is not UTF-8 text or that
            repeats a column name.
    """
    path = Path(path)
    return _split_header(path, _read_head(path)[0])


def _first_line_end(raw: bytes) -> tuple[int, int]:
    """(end of the header line, start of the next line); a line ends at \\n, \\r\\n or a lone \\r."""
    ends = [i for i in (raw.find(b"\n"), raw.find(b"\r")) if i >= 0]
    if not ends:
        return len(raw), len(raw)
    end = min(ends)
    return end, end + (2 if raw[end : end + 2] == b"\r\n" else 1)


def _data_lines(body: bytes):
    """(line number, text) of the data lines as the parser sees them (\\n, \\r\\n or a lone \\r end a
    line; empty lines are skipped but counted)."""
    for i, line in enumerate(body.splitlines()):
        if line:
            yield i + 2, line.decode("utf-8", errors="replace")


def _line_of_row(path: Path, body_start: int, row: int) -> int:
    """File line number of data row ``row`` (error path only)."""
    for k, (lineno, _) in enumerate(_data_lines(_read_bytes(path)[body_start:])):
        if k == row:
            return lineno
    return -1


def _locate_bad_cell(
    path: Path, body: bytes, header: list[str], indices: Sequence[int], kinds: Sequence[str]
) -> DataFormatError:
    """Find the first row/cell that breaks the rules (error path only) and describe it."""
    for lineno, line in _data_lines(body):
        cells = next(csv.reader([line]))
        if len(cells) != len(header):
            reason = f"has {len(cells)} cells, the header has {len(header)}"
            return DataFormatError(path, f"line {lineno}", line[:80], reason)
        for col, kind in zip(indices, kinds):
            try:
                parse_cell(cells[col], "int" if kind == "int" else "float", kind == "nullable")
            except BadCell as bad:
                return DataFormatError(path, header[col], cells[col][:80], f"line {lineno}: {bad.reason}")
    return DataFormatError(path, "", "", "the CSV parser refused the file but no bad line was found")


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
        int_columns: subset of ``columns`` parsed as int64 (never empty).
        nullable_columns: subset of ``columns`` whose cells may be empty (-> NaN); the other
            float columns must hold a finite number in every row.

    Returns:
        name -> (N,) array (int64 or float64).

    Raises:
        DataFormatError: empty, gzip or non-text file, duplicated header names, no data rows, a
            missing column, a row whose cell count differs from the header's, or a cell that breaks
            the cell rule (empty where required, not a number, not finite, beyond int64); the
            message names the file, the field or line, and the value.
    """
    path = Path(path)
    first_line, body_start = _read_head(path)
    header = _split_header(path, first_line)
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataFormatError(path, missing[0], header, f"missing column(s) {missing}")
    indices = [header.index(c) for c in columns]
    kinds = ["int" if c in int_columns else "nullable" if c in nullable_columns else "float" for c in columns]
    names = [f"c{i}" for i in range(len(header))]
    types = {names[i]: (pa.int64() if k == "int" else pa.float64()) for i, k in zip(indices, kinds)}
    try:
        table = pa_csv.read_csv(
            str(path),
            read_options=pa_csv.ReadOptions(skip_rows=1, column_names=names, use_threads=_USE_THREADS),
            convert_options=pa_csv.ConvertOptions(
                include_columns=[names[i] for i in indices],
                column_types=types,
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException, OSError) as err:
        raw = _read_bytes(path)
        raise _locate_bad_cell(path, raw[body_start:], header, indices, kinds) from err
    if table.num_rows == 0:
        raise DataFormatError(path, "", header, "no data rows after the header")
    out: dict[str, np.ndarray] = {}
    for name, index, kind in zip(columns, indices, kinds):
        column = table.column(names[index])
        if column.null_count and kind != "nullable":
            row = int(np.flatnonzero(pa_compute.is_null(column).to_numpy(zero_copy_only=False))[0])
            line = _line_of_row(path, body_start, row)
            raise DataFormatError(path, name, "", f"line {line}: required value is empty")
        values = column.to_numpy(zero_copy_only=False) if column.null_count else column.to_numpy()
        if kind != "int":
            values = np.asarray(values, dtype=np.float64)
            bad = ~np.isfinite(values)
            if column.null_count and bad.any():
                bad &= ~pa_compute.is_null(column).to_numpy(zero_copy_only=False)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                line = _line_of_row(path, body_start, row)
                reason = f"line {line}: value is not finite (inf, nan or beyond float64)"
                raise DataFormatError(path, name, float(values[row]), reason)
        out[name] = np.ascontiguousarray(values)
    return out


def check_no_nan(path: str | Path, name: str, values: np.ndarray) -> None:
    """Raise naming the first line whose required cell is empty or NaN."""
    bad = np.flatnonzero(np.isnan(values))
    if bad.size:
        reason = f"line {int(bad[0]) + 2}: required value is empty or NaN ({bad.size} such rows)"
        raise DataFormatError(path, name, "", reason)


def check_timestamp_steps_us(
    path: str | Path, name: str, values: np.ndarray, min_step_us: float, max_step_us: float
) -> None:
    """Refuse timestamps whose median step is implausible for microseconds (ms or ns written instead).

    Args:
        path, name: for the message.
        values: (N,) strictly increasing int64 timestamps.
        min_step_us, max_step_us: the plausible range of the median step for this stream.
    """
    if values.shape[0] < 3:
        return
    step = float(np.median(np.diff(values)))
    if min_step_us <= step <= max_step_us:
        return
    if step < min_step_us:
        guess = "milliseconds" if step * 1e3 >= min_step_us else "a unit coarser than microseconds"
    else:
        guess = "nanoseconds" if step / 1e3 <= max_step_us else "a unit finer than microseconds"
    reason = (
        f"median step {step:g} is outside {min_step_us:g}..{max_step_us:g} us for this stream: "
        f"the timestamps look like {guess}, they must be microseconds"
    )
    raise DataFormatError(path, name, int(values[0]), reason)


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
