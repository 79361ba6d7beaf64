"""The pieces of DDP training that need no second process: the shuffled sampler's per-rank shares
and the validation take accuracy merged over ranks (a take's clips split across ranks, padding repeats)."""

from __future__ import annotations

import pytest
import torch

from skillsight.training.sampling import EpochShuffleSampler
from skillsight.training.val_takes import ValTakeAccumulator


def _shares(n: int, world: int, epoch: int, monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    out = []
    for rank in range(world):
        sampler = EpochShuffleSampler(n, seed=3)
        monkeypatch.setattr(sampler, "_share", lambda rank=rank: (rank, world))
        sampler.set_epoch(epoch)
        out.append(list(sampler))
        assert len(sampler) == len(out[-1])
    return out


@pytest.mark.parametrize(("n", "world"), [(8, 2), (7, 2), (5, 3), (2, 4)])
def test_ranks_split_the_epoch_permutation_padded_to_equal_shares(monkeypatch, n: int, world: int) -> None:
    whole = list(EpochShuffleSampler(n, seed=3).__iter__())  # epoch 0, one process
    shares = _shares(n, world, 0, monkeypatch)
    assert len({len(s) for s in shares}) == 1, "every rank runs the same number of steps"
    interleaved = [shares[r][i] for i in range(len(shares[0])) for r in range(world)]
    # rank r takes every world-th item of the one-process order, padded by repeating its start
    assert interleaved == (whole * world)[: len(interleaved)]
    assert len(interleaved) - n < world, "less than one item of padding per rank"


def test_the_order_depends_on_the_epoch_only(monkeypatch) -> None:
    assert _shares(9, 2, 1, monkeypatch) == _shares(9, 2, 1, monkeypatch)
    assert _shares(9, 2, 1, monkeypatch) != _shares(9, 2, 2, monkeypatch)


def test_val_takes_merge_clips_across_ranks_and_count_a_padded_clip_once() -> None:
    rank0, rank1 = ValTakeAccumulator(), ValTakeAccumulator()
    # take a: clip 0 on rank 0 says class 1 strongly, clip 1 on rank 1 says class 0 weakly -> class 1
    rank0.add(["a", "b"], [0, 0], torch.tensor([[0.0, 4.0], [3.0, 0.0]]), [1, 0])
    rank1.add(["a"], [1], torch.tensor([[1.0, 0.0]]), [1])
    # padding: rank 1 repeats take b's clip 0; counting it twice must not change anything
    rank1.add(["b"], [0], torch.tensor([[3.0, 0.0]]), [0])
    parts = [rank0._clips, rank1._clips]
    merged = ValTakeAccumulator()
    for part in parts:
        merged._clips.update(part)
    assert merged.take_accuracy(gather=False) == (2, 2), "2 takes, both right"
    alone = ValTakeAccumulator()
    alone.add(["a"], [1], torch.tensor([[1.0, 0.0]]), [1])
    assert alone.take_accuracy(gather=False) == (0, 1), "rank 1's half of take a alone is wrong"
    assert not alone, "scoring clears the epoch's clips"
