"""Split leakage (a take in two splits: an error) and participant leakage (a person in two: reported)."""

from __future__ import annotations

import pytest

from skillsight.data.readers.egoexo4d_leakage import (
    check_participant_leakage,
    check_split_leakage,
    raise_on_split_leakage,
)
from skillsight.data.readers.egoexo4d_takes import TakeScan
from skillsight.data.records import Take
from skillsight.exceptions import SplitLeakageError


def _take(uid: str, split: str, participant: str) -> Take:
    return Take(
        take_uid=uid,
        take_name=f"name_{uid}",
        scenario="Cooking",
        task_name="",
        label=0,
        split=split,
        ego_camera="aria01",
        participant_id=participant,
    )


def test_participants_in_two_splits_are_listed_in_split_order() -> None:
    takes = [
        _take("a", "test", "p2"),
        _take("b", "train", "p2"),
        _take("c", "train", "p2"),
        _take("d", "val", "p1"),
        _take("e", "val", "p1"),
        _take("f", "train", "p3"),
        _take("g", "test", ""),  # unknown participants are not checked
        _take("h", "train", ""),
    ]
    assert check_participant_leakage(takes) == ["p2: train 2, test 1 takes"]


def test_a_take_in_two_splits_raises_naming_both() -> None:
    with pytest.raises(
        SplitLeakageError, match=r"take u1 is in two splits: 'train' \(a.json\) and 'test' \(b.json\)"
    ):
        raise_on_split_leakage(
            [("u1", "train", "a.json"), ("u2", "train", "a.json"), ("u1", "test", "b.json")]
        )
    raise_on_split_leakage([("u1", "train", "a.json"), ("u1", "train", "a.json")])  # listed twice, one split


def test_check_split_leakage_takes_a_scan_or_its_takes() -> None:
    scan = TakeScan(takes=[_take("u1", "train", "p1"), _take("u1", "val", "p1")])
    with pytest.raises(SplitLeakageError, match="name_u1"):
        check_split_leakage(scan)
    with pytest.raises(SplitLeakageError, match="name_u1"):
        check_split_leakage(scan.takes)
    check_split_leakage(scan.takes[:1])
