"""Progress for the long loops outside Lightning's own bars: feature extraction (teacher features, crop
features, attribute features) and evaluation passes.

:func:`progress` wraps an iterable. On a terminal it shows a transient rich bar (with counts, rate and
time left) on stderr; elsewhere (a log file, a test, a SLURM job) it prints nothing while running. Either
way, when ``enabled``, a phase that took longer than ``report_after_s`` ends with one line on stderr,
e.g. ``teacher features: 1786 clips in 21.3 s``, so no phase of a run is silent in a log.

Example:
    >>> total = sum(x for x in progress(range(4), "doctest", unit="items", enabled=False))
    >>> total
    6
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress"]

T = TypeVar("T")


def progress(
    items: Iterable[T],
    description: str,
    total: int | None = None,
    unit: str = "batches",
    enabled: bool = True,
    report_after_s: float = 2.0,
) -> Iterator[T]:
    """Yield ``items`` while showing progress (see the module).

    Args:
        items: what is iterated (batches, takes, clips).
        description: the phase's name, e.g. ``"teacher features"``.
        total: number of items (``len(items)`` when None and it has one).
        unit: what an item is, in words (for the end line).
        enabled: False: no bar and no end line (library use inside a benchmark, nested phases).
        report_after_s: phases shorter than this end without a line.
    """
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    start = time.perf_counter()
    count = 0
    if enabled and sys.stderr.isatty():
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, transient=True, console=Console(stderr=True)) as bar:
            task = bar.add_task(description, total=total)
            for item in items:
                yield item
                count += 1
                bar.advance(task)
    else:
        for item in items:
            yield item
            count += 1
    seconds = time.perf_counter() - start
    if enabled and seconds >= report_after_s:
        print(f"{description}: {count} {unit} in {seconds:.1f} s", file=sys.stderr, flush=True)
