"""Markdown summary of benchmark output: one row per figure (name, value, reference, ratio, goal, met).

Reads the ``name=VALUE ref=VALUE ratio=VALUE ref_kind=KIND [key=value ...]`` lines that every
benchmark prints (:func:`skillsight.reports.bench_lines.bench_line`) from the files given, or from
stdin, and prints a table; comment lines (``#``) and other output are ignored. A figure without a
``goal=`` field shows ``-`` under goal and met. ``make bench`` writes every script's output to
``runs/bench/*.txt`` and then this table to ``runs/bench/summary.md``.

Usage: ``python benchmarks/summary_table.py runs/bench/*.txt``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

__all__ = ["parse_line", "table"]


def parse_line(line: str) -> dict[str, str] | None:
    """The fields of one figure line (``figure`` holds the figure's name), or None for other output."""
    parts = line.strip().split()
    if not parts or parts[0].startswith("#") or "=" not in parts[0]:
        return None
    fields: dict[str, str] = {}
    for i, part in enumerate(parts):
        key, sep, value = part.partition("=")
        if not sep:
            return None
        if i == 0:
            fields["figure"], fields["value"] = key, value
        else:
            fields[key] = value
    return fields if {"ref", "ratio", "ref_kind"} <= set(fields) else None


def table(lines: Iterable[str], source: str = "") -> list[str]:
    """Markdown rows (header first) of every figure line in ``lines``."""
    rows = ["| figure | value | reference | ratio | goal | met | source |", "|---|---|---|---|---|---|---|"]
    for line in lines:
        f = parse_line(line)
        if f is None:
            continue
        ref = f"{f['ref']} ({f.get('ref_name', f['ref_kind'])})" if f["ref"] != "n/a" else "n/a"
        rows.append(
            f"| {f['figure']} | {f['value']} | {ref} | {f['ratio']} | {f.get('goal', '-')} | "
            f"{f.get('met', '-')} | {source} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path, help="benchmark outputs (default: stdin)")
    args = parser.parse_args()
    if not args.files:
        print("\n".join(table(sys.stdin, "stdin")))
        return
    rows: list[str] = []
    for path in args.files:
        body = table(path.read_text().splitlines(), path.stem)
        rows += body if not rows else body[2:]
    print("\n".join(rows))


if __name__ == "__main__":
    main()
