"""Evaluation over several processes: each rank predicts a disjoint share of the takes, every rank then
holds all of them, and rank 0 alone writes the run folder.

The share is cut by TAKE (take ``i`` of the sorted list goes to rank ``i % world``), not by clip, and is
not padded: a take's 10 clips are averaged on one rank, no rank sees another's take, and no take is
predicted twice (a ``DistributedSampler`` pads its shares to equal length by repeating items, which
would count those takes twice). Ranks may hold unequal numbers of takes; inference runs no collective
per batch, so that is harmless. :func:`gather_take_predictions` merges the shares and refuses a result
in which any expected take is missing or appears twice.

Without an initialised ``torch.distributed`` process group every function here is the one-process
identity (rank 0 of 1), so callers need no branch.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
import torch.distributed as dist

from skillsight.evaluation.evaluate import TakePredictions

__all__ = [
    "barrier",
    "gather_objects",
    "gather_take_predictions",
    "is_rank_zero",
    "merge_take_predictions",
    "rank_and_world",
    "shard",
]

T = TypeVar("T")


def rank_and_world() -> tuple[int, int]:
    """(this process's rank, number of processes) of the default process group; (0, 1) without one."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def is_rank_zero() -> bool:
    """Whether this process is rank 0 (the only writer of a run folder); True without a process group."""
    return rank_and_world()[0] == 0


def barrier() -> None:
    """Wait for every rank (no-op without a process group)."""
    if rank_and_world()[1] > 1:
        dist.barrier()


def shard(items: Sequence[T], rank: int, world: int) -> list[T]:
    """Rank ``rank``'s share of ``items``: every ``world``-th item from ``rank`` (disjoint, no padding).

    >>> shard(["a", "b", "c", "d", "e"], 1, 2)
    ['b', 'd']
    """
    if world < 1 or not 0 <= rank < world:
        raise ValueError(f"rank {rank} is not in a world of {world} processes")
    return list(items[rank::world])


def gather_objects(local: Any) -> list[Any]:
    """Every rank's ``local`` (picklable), in rank order, on every rank (``[local]`` without a group)."""
    world = rank_and_world()[1]
    if world == 1:
        return [local]
    gathered: list[Any] = [None] * world
    dist.all_gather_object(gathered, local)
    return gathered


def merge_take_predictions(
    parts: Sequence[TakePredictions | None], expected: Sequence[str]
) -> TakePredictions:
    """One :class:`TakePredictions` from per-rank shares (None: a rank without takes), sorted by take id.

    Raises:
        RuntimeError: a take was predicted by two ranks, an expected take is missing, or one that was
            not expected appears (a sharding bug; the metrics would silently count takes twice or
            drop them).
    """
    present = [p for p in parts if p is not None]
    if not present:
        raise ValueError("no clips to evaluate (empty test set)")
    uids = [u for p in present for u in p.take_uids]
    repeated = sorted({u for u in uids if uids.count(u) > 1})
    missing = sorted(set(expected) - set(uids))
    unexpected = sorted(set(uids) - set(expected))
    if repeated or missing or unexpected:
        raise RuntimeError(
            f"gathered predictions do not cover each take once: {len(repeated)} twice {repeated[:3]}, "
            f"{len(missing)} missing {missing[:3]}, {len(unexpected)} unexpected {unexpected[:3]}"
        )
    order = np.argsort(np.array(uids, dtype=object), kind="stable")
    scenarios = [s for p in present for s in p.scenarios]
    names = [n for p in present for n in p.take_names]
    return TakePredictions(
        take_uids=[uids[i] for i in order],
        scenarios=[scenarios[i] for i in order],
        labels=np.concatenate([p.labels for p in present])[order],
        logits=np.concatenate([p.logits for p in present])[order],
        num_clips=np.concatenate([p.num_clips for p in present])[order],
        class_names=list(present[0].class_names),
        # names of the official take list (leaderboard export): kept when every share has them
        take_names=[names[i] for i in order] if all(p.take_names for p in present) else [],
    )


def gather_take_predictions(local: TakePredictions | None, expected: Sequence[str]) -> TakePredictions:
    """Gather every rank's share (``local``; None when this rank had no takes) and merge them; the
    result is the same on every rank. See :func:`merge_take_predictions` for the checks."""
    return merge_take_predictions(gather_objects(local), expected)
