"""Ranked + equally skilled pairs in one item: the shorter list cycles evenly, frames and the cycling
offset depend only on (seed, epoch, index), and the one loop's loader collates both parts."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch

from skillsight.exceptions import DataFormatError
from skillsight.projects.ranking.dataset import PairDataset, RankedWithSimilarDataset, SimilarPairDataset
from skillsight.projects.ranking.pairs import SimilarPair, SkillPair
from skillsight.training.sampling import make_loader


class _DrawLoader:
    """Stands in for TwoStreamLoader: an item's 'frames' are the video id's number and one random draw."""

    def sample(self, video_id: str, mode: str, rng: np.random.Generator | None = None) -> dict[str, Any]:
        assert mode == "train" and rng is not None
        return {"frames": torch.tensor([float(video_id[1:]), float(rng.random())])}


def _datasets(n_ranked: int, n_similar: int, seed: int = 3) -> RankedWithSimilarDataset:
    loader: Any = _DrawLoader()
    ranked = PairDataset([SkillPair(f"v{i}", f"v{i + 100}") for i in range(n_ranked)], loader, seed=seed)
    similar = SimilarPairDataset(
        [SimilarPair(f"v{i + 200}", f"v{i + 300}") for i in range(n_similar)], loader, seed=seed + 10_000
    )
    return RankedWithSimilarDataset(ranked, similar)


@pytest.mark.parametrize(("n_ranked", "n_similar"), [(7, 3), (3, 7), (5, 5)])
def test_the_longer_list_is_seen_once_and_the_shorter_cycles_evenly(n_ranked: int, n_similar: int) -> None:
    data = _datasets(n_ranked, n_similar)
    assert len(data) == max(n_ranked, n_similar)
    for epoch in (0, 1):
        data.set_epoch(epoch)
        items = [data[i] for i in range(len(data))]
        ranked = Counter(int(it["ranked"]["better"]["frames"][0]) for it in items)
        similar = Counter(int(it["similar"]["first"]["frames"][0]) - 200 for it in items)
        assert set(ranked) == set(range(n_ranked)) and set(similar) == set(range(n_similar))
        for counts, n in ((ranked, n_ranked), (similar, n_similar)):
            low, high = len(data) // n, -(-len(data) // n)
            assert all(low <= c <= high for c in counts.values())
    with pytest.raises(IndexError):
        data[len(data)]


def _frames(item: dict[str, Any]) -> torch.Tensor:
    """(4, 2) the four videos' stand-in frames of an item (ranked better/worse, similar first/second)."""
    ranked, similar = item["ranked"], item["similar"]
    parts = (ranked["better"], ranked["worse"], similar["first"], similar["second"])
    return torch.stack([p["frames"] for p in parts])


def test_items_depend_only_on_seed_epoch_and_index() -> None:
    a, b = _datasets(6, 4), _datasets(6, 4)
    a.set_epoch(2)
    _ = [a[i] for i in (5, 0, 3)]  # reading other items first changes nothing
    b.set_epoch(2)
    for i in range(len(a)):
        torch.testing.assert_close(_frames(a[i]), _frames(b[i]))
    a.set_epoch(0)
    first_epoch = _frames(a[0])
    a.set_epoch(1)
    assert not torch.equal(first_epoch[:, 1], _frames(a[0])[:, 1])  # other random frames
    partners = set()
    for epoch in range(8):  # the cycling offset moves: ranked pair 0 meets other similar pairs
        a.set_epoch(epoch)
        partners.add(int(_frames(a[0])[2, 0]))
    assert len(partners) > 1


def test_one_loader_collates_both_parts() -> None:
    data = _datasets(5, 2)
    batch = next(iter(make_loader(data, batch_size=4, shuffle=True, seed=0)))
    assert batch["ranked"]["better"]["frames"].shape == (4, 2)
    assert batch["similar"]["second"]["frames"].shape == (4, 2)
    assert len(batch["similar"]["first_id"]) == 4


def test_an_empty_similar_list_is_refused() -> None:
    with pytest.raises(DataFormatError, match="at least one pair"):
        SimilarPairDataset([], _DrawLoader())  # type: ignore[arg-type]
