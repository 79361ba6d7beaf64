"""Protocol splits of Ego-Exo4D takes: the official one, and the SkillSight paper's.

Ego-Exo4D publishes labelled ``train`` and ``val`` splits (its ``test`` labels are withheld). The SkillSight
paper (Wu, Ashutosh, Grauman, CVPR 2026) reports train 1786 / val 197 / test 561 takes: it holds out about
10 % of the official train split as its validation set and tests on the official val split.
:func:`skillsight_split` does that, stratified by (scenario, label) so every scenario and level keeps its
share in both parts, and seeded so the split is the same on every machine:

* within each (scenario, label) group of official train takes, sorted by ``take_uid``, a seeded shuffle
  puts ``round(fraction * n)`` takes (half rounds up) into validation and the rest into training;
* the official val takes become the test set; official test takes (unlabelled) are left out, counted.

The split is by take, as the paper's: a participant can appear in both training and validation (the
official splits share participants too; the scan report names such overlaps).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from skillsight.data.records import Take
from skillsight.exceptions import ConfigError

__all__ = ["ProtocolSplit", "skillsight_split"]


@dataclass
class ProtocolSplit:
    """Takes per protocol split and a one-line account of how they were made."""

    train: list[Take]
    val: list[Take]
    test: list[Take]
    summary: str


def skillsight_split(takes: Sequence[Take], val_fraction: float = 0.1, seed: int = 0) -> ProtocolSplit:
    """The SkillSight protocol split of ``takes`` (official splits in ``take.split``).

    Args:
        takes: scanned takes of every official split.
        val_fraction: share of each (scenario, label) group of official train takes held out (0.1).
        seed: seed of the shuffle within each group.

    Raises:
        ConfigError: a fraction outside (0, 1), or no official val takes to test on.
    """
    if not 0.0 < float(val_fraction) < 1.0:
        raise ConfigError(f"data.val_fraction must be in (0, 1), got {val_fraction}")
    official_train = [t for t in takes if t.split == "train"]
    test = [t for t in takes if t.split == "val"]
    if not test:
        raise ConfigError(
            "data.split=skillsight tests on the official val split, and no val take was found "
            "(annotations/proficiency_demonstrator_val.json)"
        )
    groups: dict[tuple[str, int | None], list[Take]] = defaultdict(list)
    for take in official_train:
        groups[(take.scenario, take.label)].append(take)
    held: set[str] = set()
    for key in sorted(groups, key=lambda k: (k[0], -1 if k[1] is None else k[1])):
        members = sorted(groups[key], key=lambda t: t.take_uid)
        n_val = math.floor(float(val_fraction) * len(members) + 0.5)
        rng = np.random.default_rng([int(seed), _stable(key[0]), -1 if key[1] is None else int(key[1]) + 1])
        order = rng.permutation(len(members))
        held.update(members[i].take_uid for i in order[:n_val])
    train = [t for t in official_train if t.take_uid not in held]
    val = [t for t in official_train if t.take_uid in held]
    left_out = Counter(t.split for t in takes if t.split not in ("train", "val"))
    extra = "".join(f", {n} official {s} takes left out" for s, n in sorted(left_out.items()))
    summary = (
        f"split skillsight: train {len(train)} / val {len(val)} / test {len(test)} takes "
        f"({val_fraction:g} of the official train split held out as validation, stratified by scenario "
        f"and label, seed {seed}; the official val split is the test set{extra})"
    )
    return ProtocolSplit(train, val, test, summary)


def _stable(text: str) -> int:
    """A process-independent integer of ``text`` (Python's hash() of a str changes between runs)."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")
