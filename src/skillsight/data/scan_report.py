"""The dataset scan's skip report in words: per take, what was expected where and what is there.

:func:`describe_missing` turns a missing file into ``"expected <path>; <folder> holds a.mp4, b.mp4"``
(or says which folder is missing), so a takes.json that names ``aria01`` while the disk has ``aria02``
reads as such. :func:`format_scan_report` is the scan summary followed by every skipped take (or the
first few per reason) with its reason: what ``data_scan.txt`` holds and ``skillsight data inspect``
prints.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

__all__ = ["describe_missing", "format_scan_report"]

_MAX_LISTED = 6


class _Scan(Protocol):
    """What the report reads of a :class:`skillsight.data.readers.egoexo4d.TakeScan`."""

    skipped: list[tuple[str, str]]

    def format_summary(self) -> str: ...


def describe_missing(path: str | Path, pattern: str | None = None) -> str:
    """``path`` and what its nearest existing folder holds instead.

    Args:
        path: the file that was expected.
        pattern: glob of the sibling files worth listing (default: same suffix as ``path``).
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        existing = folder
        while not existing.is_dir() and existing != existing.parent:
            existing = existing.parent
        return f"expected {path}; folder {folder} does not exist (nearest existing: {existing})"
    siblings = sorted(p.name for p in folder.glob(pattern or f"*{path.suffix}") if p.is_file())
    if not siblings:
        return f"expected {path}; {folder} holds no {pattern or '*' + path.suffix} file"
    shown = ", ".join(siblings[:_MAX_LISTED]) + (
        f" and {len(siblings) - _MAX_LISTED} more" if len(siblings) > _MAX_LISTED else ""
    )
    return f"expected {path}; {folder} holds {shown}"


def format_scan_report(scan: _Scan, require: Sequence[str] = (), max_per_reason: int | None = None) -> str:
    """The scan summary, then each skipped take (``take_uid: reason``) grouped by reason category.

    Args:
        scan: a :func:`skillsight.data.readers.egoexo4d.load_takes` result.
        require: what the takes were required to have (printed first).
        max_per_reason: list at most this many takes per category (None: all of them).
    """
    lines = [f"required files: {', '.join(require) if require else 'none'}", scan.format_summary()]
    by_category: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for uid, reason in scan.skipped:
        by_category[reason.split(": ", 1)[0]].append((uid, reason))
    if by_category:
        lines.append("skipped takes:")
    for category in sorted(by_category):
        items = by_category[category]
        shown = items if max_per_reason is None else items[:max_per_reason]
        lines += [f"  {uid}: {reason}" for uid, reason in shown]
        if len(shown) < len(items):
            lines.append(f"  ... and {len(items) - len(shown)} more {category!r}")
    return "\n".join(lines)
