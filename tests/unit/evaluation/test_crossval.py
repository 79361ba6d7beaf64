"""Fixed cross-validation folds: stratification, grouping, leakage checks, JSON round trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.evaluation.crossval import (
    Fold,
    check_folds,
    inner_split,
    leave_one_group_out,
    read_folds,
    stratified_kfold,
    write_folds,
)
from skillsight.exceptions import ConfigError, DataFormatError, SplitLeakageError

IDS = [f"P{p}-S{s:02d}" for p in range(1, 5) for s in range(1, 11)]  # 4 players x 10 samples
LABELS = [int(p >= 3) if s > 2 else int(p < 3) for p in range(1, 5) for s in range(1, 11)]
GROUPS = [i.split("-")[0] for i in IDS]


def test_stratified_kfold_partitions_and_keeps_the_class_ratio() -> None:
    folds = stratified_kfold(IDS, LABELS, k=4, seed=0)
    check_folds(folds, all_ids=IDS)
    label_of = dict(zip(IDS, LABELS))
    for fold in folds:
        assert len(fold.test) == 10 and len(fold.train) == 30
        positives = sum(label_of[i] for i in fold.test)
        assert abs(positives - 10 * np.mean(LABELS)) <= 1
    assert stratified_kfold(IDS, LABELS, 4, seed=0) == folds
    assert stratified_kfold(IDS, LABELS, 4, seed=1) != folds
    with pytest.raises(ConfigError, match="k must be"):
        stratified_kfold(IDS, LABELS, k=1)
    with pytest.raises(ConfigError, match="unique"):
        stratified_kfold(IDS + IDS[:1], LABELS + LABELS[:1], k=2)


def test_leave_one_group_out_keeps_players_apart() -> None:
    folds = leave_one_group_out(IDS, GROUPS)
    assert [f.name for f in folds] == ["out_P1", "out_P2", "out_P3", "out_P4"]
    check_folds(folds, all_ids=IDS, groups=dict(zip(IDS, GROUPS)))
    assert all({g.split("-")[0] for g in f.test} == {f.name[4:]} for f in folds)


def test_check_folds_catches_every_kind_of_leak() -> None:
    groups = dict(zip(IDS, GROUPS))
    with pytest.raises(SplitLeakageError, match="train and test"):
        check_folds([Fold("f", ("P1-S01", "P1-S02"), ("P1-S02",))])
    with pytest.raises(SplitLeakageError, match="groups in train and test"):
        check_folds([Fold("f", ("P1-S01",), ("P1-S02",))], groups=groups)
    halves = stratified_kfold(IDS, LABELS, k=2, seed=0)
    with pytest.raises(SplitLeakageError, match="partition"):
        check_folds(halves[:1], all_ids=IDS)  # half the items are never tested
    with pytest.raises(SplitLeakageError, match="unknown"):
        check_folds([Fold("f", ("X",), tuple(IDS))], all_ids=IDS)


def test_inner_split_stays_inside_the_training_fold() -> None:
    outer = leave_one_group_out(IDS, GROUPS)[0]
    train_groups = [i.split("-")[0] for i in outer.train]
    train_labels = [dict(zip(IDS, LABELS))[i] for i in outer.train]
    inner = inner_split(outer.train, train_labels, train_groups, val_fraction=0.34, seed=0)
    assert set(inner.train) | set(inner.test) == set(outer.train)
    assert not set(inner.test) & set(outer.test)
    check_folds([inner], groups=dict(zip(IDS, GROUPS)))  # whole players on each side
    stratified = inner_split(outer.train, train_labels, val_fraction=0.25, seed=0)
    assert len(stratified.test) in (7, 8) and not set(stratified.test) & set(stratified.train)
    with pytest.raises(ConfigError, match="val_fraction"):
        inner_split(outer.train, train_labels, val_fraction=1.0)


def test_write_read_round_trip(tmp_path: Path) -> None:
    folds = stratified_kfold(IDS, LABELS, k=5, seed=0)
    write_folds(tmp_path / "folds.json", "kfold", folds, {"k": 5, "seed": 0})
    protocol, back, meta = read_folds(tmp_path / "folds.json")
    assert protocol == "kfold" and back == folds and meta == {"k": 5, "seed": 0}
    (tmp_path / "bad.json").write_text('{"folds": [{"name": 1}]}')
    with pytest.raises(DataFormatError, match=r"bad\.json"):
        read_folds(tmp_path / "bad.json")
