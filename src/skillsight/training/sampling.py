"""Data loaders whose order depends only on (seed, epoch), so resumed runs repeat uninterrupted ones."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sized
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from skillsight.exceptions import ConfigError

__all__ = ["EpochShuffleSampler", "make_loader"]


class EpochShuffleSampler(Sampler[int]):
    """A random permutation of ``range(n)`` drawn from ``seed`` and the epoch given by ``set_epoch``.

    Unlike a RandomSampler on the global RNG, the order does not depend on what else consumed random
    numbers before the iterator was created (Lightning creates the first iterator of a resumed run
    before any epoch hook runs).
    """

    def __init__(self, n: int, seed: int = 0) -> None:
        self.n = n
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
        return iter(torch.randperm(self.n, generator=g).tolist())

    def __len__(self) -> int:
        return self.n


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    seed: int = 0,
    num_workers: int = 0,
    collate_fn: Callable[[list[Any]], Any] | None = None,
) -> DataLoader:
    """A DataLoader; shuffled loaders use :class:`EpochShuffleSampler`."""
    sampler = None
    if shuffle:
        if not isinstance(dataset, Sized):
            raise ConfigError(
                f"a shuffled loader needs a dataset with a length, got {type(dataset).__name__}"
            )
        sampler = EpochShuffleSampler(len(dataset), seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=num_workers,
        collate_fn=collate_fn,
        persistent_workers=False,
    )
