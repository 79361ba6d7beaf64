"""Fixed cross-validation folds for small datasets, written down as JSON and checked for leakage.

Two protocols (used for Expert-Novice Soccer, any dataset with item ids, labels and groups works):

* ``stratified_kfold``: k folds over items, each class dealt round-robin after a seeded shuffle, so
  every fold has the class ratio of the whole set (+-1 item). The same person appears in training and
  test folds: it measures generalisation to new trials of known people.
* ``leave_one_group_out``: one fold per group (player); the honest protocol for new people.

``inner_split`` carves a validation part out of a training fold for hyper-parameter choice (never
the test fold): a stratified hold-out for k-fold, whole groups for leave-one-group-out.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.exceptions import ConfigError, DataFormatError, SplitLeakageError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "Fold",
    "check_folds",
    "inner_split",
    "leave_one_group_out",
    "read_folds",
    "stratified_kfold",
    "write_folds",
]


@dataclass(frozen=True)
class Fold:
    """One train/test split of item ids."""

    name: str
    train: tuple[str, ...]
    test: tuple[str, ...]


def _check_items(ids: Sequence[str], *columns: Sequence[Any]) -> None:
    if len(set(ids)) != len(ids):
        dup = sorted({i for i in ids if list(ids).count(i) > 1})
        raise ConfigError(f"item ids must be unique; duplicated: {dup[:5]}")
    for column in columns:
        if len(column) != len(ids):
            raise ConfigError(f"got {len(ids)} ids but a column of length {len(column)}")


def stratified_kfold(ids: Sequence[str], labels: Sequence[int], k: int, seed: int = 0) -> list[Fold]:
    """k folds whose test parts partition ``ids``, stratified by label.

    Items of each class are shuffled with ``seed`` and dealt round-robin; the dealing continues
    across classes so fold sizes differ by at most one.
    """
    _check_items(ids, labels)
    if not 2 <= k <= len(ids):
        raise ConfigError(f"k must be in [2, {len(ids)}], got {k}")
    rng = np.random.default_rng(seed)
    ids_arr, labels_arr = np.asarray(ids), np.asarray(labels)
    assignment = np.empty(len(ids), dtype=np.int64)
    offset = 0
    for label in np.unique(labels_arr):
        members = rng.permutation(np.flatnonzero(labels_arr == label))
        assignment[members] = (offset + np.arange(members.size)) % k
        offset += members.size
    folds = []
    for f in range(k):
        test = ids_arr[assignment == f]
        train = ids_arr[assignment != f]
        folds.append(Fold(f"fold{f}", tuple(sorted(train)), tuple(sorted(test))))
    return folds


def leave_one_group_out(ids: Sequence[str], groups: Sequence[str]) -> list[Fold]:
    """One fold per group (sorted by group name); the group's items are the test part."""
    _check_items(ids, groups)
    ids_arr, groups_arr = np.asarray(ids), np.asarray([str(g) for g in groups])
    unique = sorted(set(groups_arr.tolist()))
    if len(unique) < 2:
        raise ConfigError(f"leave-one-group-out needs >= 2 groups, got {unique}")
    return [
        Fold(f"out_{g}", tuple(sorted(ids_arr[groups_arr != g])), tuple(sorted(ids_arr[groups_arr == g])))
        for g in unique
    ]


def inner_split(
    train_ids: Sequence[str],
    labels: Sequence[int],
    groups: Sequence[str] | None = None,
    val_fraction: float = 0.25,
    seed: int = 0,
) -> Fold:
    """Split a training fold into inner train / validation parts.

    Args:
        train_ids: the outer fold's training ids.
        labels: their labels (stratification when ``groups`` is None).
        groups: when given, whole groups go to validation (about ``val_fraction`` of the groups,
            at least one, chosen with ``seed``) so that no group is on both sides.
        val_fraction: share of items (or groups) for validation.
        seed: RNG seed.

    Returns:
        Fold named "inner" whose ``test`` part is the validation set.
    """
    _check_items(train_ids, labels, *(() if groups is None else (groups,)))
    if not 0.0 < val_fraction < 1.0:
        raise ConfigError(f"val_fraction must be in (0, 1), got {val_fraction}")
    ids_arr = np.asarray(train_ids)
    rng = np.random.default_rng(seed)
    if groups is None:
        k = max(2, round(1.0 / val_fraction))
        first = stratified_kfold(train_ids, labels, k, seed)[0]
        return Fold("inner", first.train, first.test)
    groups_arr = np.asarray([str(g) for g in groups])
    unique = sorted(set(groups_arr.tolist()))
    if len(unique) < 2:
        raise ConfigError(f"inner split by group needs >= 2 groups, got {unique}")
    n_val = min(len(unique) - 1, max(1, round(val_fraction * len(unique))))
    val_groups = set(rng.choice(unique, size=n_val, replace=False).tolist())
    is_val = np.isin(groups_arr, list(val_groups))
    return Fold("inner", tuple(sorted(ids_arr[~is_val])), tuple(sorted(ids_arr[is_val])))


def check_folds(
    folds: Sequence[Fold], all_ids: Sequence[str] | None = None, groups: dict[str, str] | None = None
) -> None:
    """Raise SplitLeakageError on any overlap.

    Checks: no id is both train and test in a fold; with ``groups`` (id -> group) no group is on
    both sides of a fold; with ``all_ids`` every id is tested exactly once over the folds and no fold
    uses an unknown id.
    """
    for fold in folds:
        both = set(fold.train) & set(fold.test)
        if both:
            raise SplitLeakageError(f"{fold.name}: items in train and test: {sorted(both)[:5]}")
        if groups is not None:
            missing = [i for i in (*fold.train, *fold.test) if i not in groups]
            if missing:
                raise ConfigError(f"{fold.name}: no group for items {missing[:5]}")
            shared = {groups[i] for i in fold.train} & {groups[i] for i in fold.test}
            if shared:
                raise SplitLeakageError(f"{fold.name}: groups in train and test: {sorted(shared)}")
    if all_ids is not None:
        known = set(all_ids)
        tested = [i for fold in folds for i in fold.test]
        unknown = sorted({i for fold in folds for i in (*fold.train, *fold.test)} - known)
        if unknown:
            raise SplitLeakageError(f"folds use unknown items: {unknown[:5]}")
        twice = sorted({i for i in tested if tested.count(i) > 1})
        never = sorted(known - set(tested))
        if twice or never:
            raise SplitLeakageError(
                f"test parts must partition the items: tested twice {twice[:5]}, never {never[:5]}"
            )


def write_folds(
    path: str | Path, protocol: str, folds: Sequence[Fold], meta: dict[str, Any] | None = None
) -> None:
    """Write folds as JSON: {"protocol", "meta", "folds": [{"name", "train", "test"}]} (atomic)."""
    payload = {
        "protocol": protocol,
        "meta": meta or {},
        "folds": [{"name": f.name, "train": list(f.train), "test": list(f.test)} for f in folds],
    }
    atomic_write_text(Path(path), json.dumps(payload, indent=1) + "\n")


def read_folds(path: str | Path) -> tuple[str, list[Fold], dict[str, Any]]:
    """Read a file written by :func:`write_folds`; returns (protocol, folds, meta)."""
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
        folds = [Fold(str(f["name"]), tuple(f["train"]), tuple(f["test"])) for f in payload["folds"]]
        return str(payload["protocol"]), folds, dict(payload.get("meta", {}))
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise DataFormatError(path, "folds", str(err), "not a folds file written by write_folds") from None
