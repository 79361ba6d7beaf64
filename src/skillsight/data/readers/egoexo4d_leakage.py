"""Split and participant leakage between the splits of a scanned dataset.

A take uid listed in two splits is an error (:class:`SplitLeakageError`): training on a test take
inflates every figure. A participant with takes in two splits is only REPORTED: the official Ego-Exo4D
proficiency splits are by take, not by person, so results on them are not person-independent, and the
scan says so (:attr:`~skillsight.data.readers.egoexo4d_takes.TakeScan.participant_overlaps`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from skillsight.data.records import SPLITS, Take
from skillsight.exceptions import SplitLeakageError

__all__ = ["HasTakes", "check_participant_leakage", "check_split_leakage", "raise_on_split_leakage"]


class HasTakes(Protocol):
    """A scan result holding its kept takes (e.g. ``TakeScan``)."""

    @property
    def takes(self) -> Sequence[Take]: ...


def raise_on_split_leakage(items: Iterable[tuple[str, str, str]]) -> None:
    """Raise :class:`SplitLeakageError` at the first take uid listed in two splits.

    Args:
        items: (take uid, split, where it was listed) in reading order.
    """
    first: dict[str, tuple[str, str]] = {}
    for uid, split, source in items:
        if uid in first and first[uid][0] != split:
            (split0, source0) = first[uid]
            raise SplitLeakageError(
                f"take {uid} is in two splits: {split0!r} ({source0}) and {split!r} ({source})"
            )
        first.setdefault(uid, (split, source))


def check_participant_leakage(takes: Sequence[Take]) -> list[str]:
    """One line per participant with takes in more than one split (empty ids are not checked).

    Returns:
        Lines like ``"p07: train 3, test 2 takes"``, sorted by participant.
    """
    per: dict[str, Counter] = {}
    for t in takes:
        if t.participant_id:
            per.setdefault(t.participant_id, Counter())[t.split] += 1
    lines = []
    for pid in sorted(per):
        if len(per[pid]) > 1:
            parts = ", ".join(f"{s} {per[pid][s]}" for s in SPLITS if s in per[pid])
            lines.append(f"{pid}: {parts} takes")
    return lines


def check_split_leakage(scan_or_takes: HasTakes | Sequence[Take]) -> None:
    """Raise :class:`SplitLeakageError` naming the take and both splits if a take is in two splits.

    Args:
        scan_or_takes: a :class:`~skillsight.data.readers.egoexo4d_takes.TakeScan` (or anything with
            ``takes``) or the takes themselves.
    """
    takes = scan_or_takes if isinstance(scan_or_takes, Sequence) else scan_or_takes.takes
    raise_on_split_leakage((t.take_uid, t.split, t.take_name) for t in takes)
