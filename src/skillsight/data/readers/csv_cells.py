"""THE rule for one numeric CSV cell, shared by the file readers and the live row parser.

A cell is, after removing the spaces around it:

* empty -> "missing" (``None``): allowed only in nullable columns (depth, quality, 2D gaze);
* an integer (int columns): optional sign and decimal digits, within int64 (``0x`` hex is accepted,
  as the file parser accepts it);
* a number (float columns): decimal or scientific notation that gives a FINITE float64;
* anything else is a bad cell: text, ``inf``/``nan``, ``1e400`` (overflows to inf), bytes that are not
  text, a whitespace-only cell.

The file readers (:mod:`skillsight.data.readers.aria_csv`) apply it to whole columns at once (pyarrow's
parser plus vectorised checks) and refuse the file, naming line, field and value; the streaming
parser (:mod:`skillsight.deploy.gaze_rows`) applies :func:`parse_cell` to one row and skips and counts
the row. ``tests/robustness/test_csv_properties.py`` checks that both agree on generated cells.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

__all__ = ["INT64_MAX", "INT64_MIN", "BadCell", "parse_cell"]

INT64_MAX = int(np.iinfo(np.int64).max)
INT64_MIN = int(np.iinfo(np.int64).min)
_INT = re.compile(r"[+-]?[0-9]+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_FLOAT = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


class BadCell(ValueError):
    """A cell that breaks the rule; ``reason`` says how (``"expected a number"``, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def parse_cell(cell: Any, kind: str, nullable: bool) -> float | int | None:
    """Apply the cell rule to one value from a CSV line (str) or a live row (str, number or None).

    Args:
        cell: the cell.
        kind: "int" or "float".
        nullable: whether an empty cell is allowed (returned as None).

    Returns:
        The int or float value, or None for an allowed empty cell.

    Raises:
        BadCell: with the reason (the caller adds file, line, field and value).
    """
    if cell is None:
        if nullable:
            return None
        raise BadCell("required value is empty")
    if isinstance(cell, bool):
        raise BadCell("expected a number, got a boolean")
    if isinstance(cell, (int, np.integer)) and not isinstance(cell, bool):
        value = int(cell)
        if kind == "int" and not INT64_MIN <= value <= INT64_MAX:
            raise BadCell("integer outside the int64 range")
        return value if kind == "int" else _finite(float(value))
    if isinstance(cell, (float, np.floating)):
        if kind == "int":
            if math.isfinite(cell) and float(cell).is_integer():
                return _int64(int(cell))
            raise BadCell("expected an integer")
        return _finite(float(cell))
    if isinstance(cell, bytes):
        try:
            cell = cell.decode("utf-8")
        except UnicodeDecodeError:
            raise BadCell("cell is not UTF-8 text") from None
    text = str(cell).strip(" \t")
    if not text:
        if str(cell) == "" and nullable:
            return None
        raise BadCell("required value is empty" if str(cell) == "" else "cell holds only spaces")
    if kind == "int":
        if _INT.fullmatch(text):
            return _int64(int(text))
        if _HEX.fullmatch(text):
            return _int64(int(text, 16))
        raise BadCell("expected an integer")
    if not _FLOAT.fullmatch(text):
        raise BadCell("expected a number")
    return _finite(float(text))


def _int64(value: int) -> int:
    if not INT64_MIN <= value <= INT64_MAX:
        raise BadCell("integer outside the int64 range")
    return value


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise BadCell("value is not finite (inf, nan or beyond float64)")
    return value
