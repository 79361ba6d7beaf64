"""Validation take accuracy over one or several processes: clip logits are averaged per take, each clip
counted once, whichever rank saw it.

Under DDP, Lightning's ``DistributedSampler`` hands rank ``r`` every ``world``-th clip and pads the shares
to equal length by repeating the first clips. A take's clips therefore land on several ranks, and the
padding repeats some clips. Each rank keeps its clips keyed by (take, clip start); the keys are gathered
from every rank, a repeated key (padding) is kept once, and every rank scores the same merged takes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from skillsight.evaluation.distributed import gather_objects

__all__ = ["ValTakeAccumulator"]

_Key = tuple[str, int]


class ValTakeAccumulator:
    """Clip logits of one validation epoch, keyed by (take id, clip start frame)."""

    def __init__(self) -> None:
        self._clips: dict[_Key, tuple[torch.Tensor, int]] = {}

    def __bool__(self) -> bool:
        return bool(self._clips)

    def add(
        self, uids: Sequence[str], clip_ids: Sequence[int], logits: torch.Tensor, labels: Sequence[int]
    ) -> None:
        """Record a batch: (B,) take ids, (B,) clip ids within the take, (B, C) logits, (B,) labels."""
        for uid, clip, row, label in zip(uids, clip_ids, logits.detach().float().cpu(), labels):
            self._clips[(str(uid), int(clip))] = (row, int(label))

    def take_accuracy(self, gather: bool) -> tuple[int, int]:
        """(takes right, takes) over the clips of every rank (``gather``) or of this one; then clears."""
        parts: list[Any] = gather_objects(self._clips) if gather else [self._clips]
        merged: dict[_Key, tuple[torch.Tensor, int]] = {}
        for part in parts:
            merged.update(part)  # a padded clip repeats an identical entry: kept once
        self._clips = {}
        sums: dict[str, torch.Tensor] = {}
        counts: dict[str, int] = {}
        labels: dict[str, int] = {}
        for (uid, _clip), (row, label) in sorted(merged.items(), key=lambda kv: kv[0]):
            sums[uid] = sums[uid] + row if uid in sums else row.clone()
            counts[uid] = counts.get(uid, 0) + 1
            labels[uid] = label
        right = sum(int((sums[u] / counts[u]).argmax()) == labels[u] for u in sums)
        return right, len(sums)
