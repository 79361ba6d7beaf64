"""Data loaders whose order depends only on (seed, epoch), so resumed runs repeat uninterrupted ones, and
that can start an epoch part-way, so a run stopped mid-epoch (SIGTERM) continues where it stopped.

:class:`ResumableLoader` follows Lightning's stateful-loader protocol (``state_dict`` /
``load_state_dict``): a mid-epoch checkpoint records how many batches of the epoch were done, and the
resumed loader's first iterator skips those batches by index, without loading them. Skipping happens
after any distributed sampler has split the epoch, so each rank skips its own batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sized
from typing import Any, cast

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from skillsight.evaluation.distributed import rank_and_world
from skillsight.exceptions import ConfigError

__all__ = ["EpochShuffleSampler", "ResumableLoader", "make_loader"]


class EpochShuffleSampler(DistributedSampler):
    """A random permutation of ``range(n)`` drawn from ``seed`` and the epoch given by ``set_epoch``;
    under several processes, this rank's share of it.

    Unlike a RandomSampler on the global RNG, the order does not depend on what else consumed random
    numbers before the iterator was created (Lightning creates the first iterator of a resumed run
    before any epoch hook runs).

    Several processes: the permutation is padded to a multiple of the world size by repeating its
    first items (as ``DistributedSampler`` does, so every rank runs the same number of steps) and rank
    ``r`` takes every ``world``-th item from ``r``. Rank and world size are read when iterating (the
    process group starts inside ``trainer.fit``, after the loader is built). Being a
    ``DistributedSampler``, Lightning keeps it instead of wrapping it in its own: the wrapper's second
    shuffle took its epoch only after a resumed run's first iterator was created, so a resumed DDP run
    trained its first epoch in another order than an uninterrupted one.
    """

    def __init__(self, n: int, seed: int = 0) -> None:
        # rank and world are read when iterating (see the class); the parent only stores the seed
        super().__init__(cast(Dataset, range(n)), num_replicas=1, rank=0, shuffle=True, seed=seed)
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _share(self) -> tuple[int, int]:
        return rank_and_world()

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        order = torch.randperm(self.n, generator=g).tolist()
        rank, world = self._share()
        if world == 1:
            return iter(order)
        per_rank = math.ceil(self.n / world)
        padded = (order * math.ceil(per_rank * world / max(self.n, 1)))[: per_rank * world]
        return iter(padded[rank::world])

    def __len__(self) -> int:
        world = self._share()[1]
        return self.n if world == 1 else math.ceil(self.n / world)


class _SkipFirst:
    """The batches of ``batches`` after the first ``skip`` (index lists only: no data is loaded)."""

    def __init__(self, batches: Iterable[Any], skip: int) -> None:
        self.batches, self.skip = batches, skip

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self.batches)
        for _ in range(self.skip):
            if next(iterator, None) is None:
                break
        return iterator

    def __len__(self) -> int:
        return max(0, len(self.batches) - self.skip)  # type: ignore[arg-type]


class ResumableLoader(DataLoader):
    """A DataLoader that can begin its next epoch after ``batches_done`` batches (see the module).

    ``batches_done`` is what :meth:`state_dict` reports; the training loop sets it just before it writes
    a mid-epoch checkpoint and resets it to 0 after (end-of-epoch checkpoints record 0).
    """

    batches_done = 0
    _skip = 0
    _index_override: Any = None

    def state_dict(self) -> dict[str, int]:
        """The position to resume at: batches of the current epoch already trained on."""
        return {"batches_done": int(self.batches_done)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Make the next iterator start after ``state_dict["batches_done"]`` batches."""
        self._skip = int(state_dict.get("batches_done", 0))

    @property
    def _index_sampler(self) -> Any:  # what torch's iterators draw batch indices from
        if self._index_override is not None:
            return self._index_override
        return DataLoader._index_sampler.fget(self)  # type: ignore[attr-defined]

    def _get_iterator(self) -> Any:
        if not self._skip:
            return super()._get_iterator()
        self._index_override = _SkipFirst(DataLoader._index_sampler.fget(self), self._skip)  # type: ignore[attr-defined]
        self._skip = 0
        try:
            return super()._get_iterator()  # the iterator reads its index sampler while it is built
        finally:
            self._index_override = None


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    num_workers: int = 0,
    collate_fn: Callable[[list[Any]], Any] | None = None,
    pin_memory: bool = False,
    drop_last: bool = False,
) -> DataLoader:
    """A :class:`ResumableLoader`; shuffled loaders use :class:`EpochShuffleSampler`.

    ``drop_last`` drops an epoch's incomplete last batch (e.g. a one-sample batch a BatchNorm model
    cannot train on).
    """
    sampler = None
    if shuffle:
        if not isinstance(dataset, Sized):
            raise ConfigError(
                f"a shuffled loader needs a dataset with a length, got {type(dataset).__name__}"
            )
        sampler = EpochShuffleSampler(len(dataset), seed)
    return ResumableLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate_fn,
        pin_memory=pin_memory,
        persistent_workers=False,
        drop_last=drop_last,
    )
