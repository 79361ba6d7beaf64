"""The SkillSight protocol split: 10 % of each (scenario, label) group of official train takes held out as
validation, seeded and order-independent; the official val split as test; counts printed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.data.records import Take
from skillsight.data.splits import skillsight_split
from skillsight.exceptions import ConfigError
from skillsight.training.skill_data import load_skill_data


def _takes(per_group: dict[tuple[str, int], int], split: str = "train") -> list[Take]:
    return [
        Take(f"{split}-{scenario}-{label}-{i:03d}", "n", scenario, "t", label, split, "aria")
        for (scenario, label), n in per_group.items()
        for i in range(n)
    ]


GROUPS = {("Cooking", 0): 40, ("Cooking", 1): 25, ("Music", 2): 7, ("Music", 3): 4, ("Dance", 1): 1}


def test_each_scenario_and_label_keeps_its_share_and_the_official_val_split_is_the_test_set() -> None:
    takes = (
        _takes(GROUPS)
        + _takes({("Cooking", 0): 5, ("Music", 2): 3}, "val")
        + _takes({("Music", 0): 2}, "test")
    )
    split = skillsight_split(takes, 0.1, seed=0)
    held = Counter((t.scenario, t.label) for t in split.val)
    # round(0.1 x n), half up: 40 -> 4, 25 -> 3 (2.5), 7 -> 1, 4 -> 0, 1 -> 0
    assert held == Counter({("Cooking", 0): 4, ("Cooking", 1): 3, ("Music", 2): 1})
    assert {t.take_uid for t in split.train} | {t.take_uid for t in split.val} == {
        t.take_uid for t in takes if t.split == "train"
    }
    assert not {t.take_uid for t in split.train} & {t.take_uid for t in split.val}
    assert [t.take_uid for t in split.test] == [t.take_uid for t in takes if t.split == "val"]
    assert split.summary.startswith("split skillsight: train 69 / val 8 / test 8 takes")
    assert "2 official test takes left out" in split.summary


def test_the_split_is_seeded_and_does_not_depend_on_the_order_of_the_takes() -> None:
    takes = _takes(GROUPS)
    takes_val = _takes({("Cooking", 0): 2}, "val")
    first = {t.take_uid for t in skillsight_split(takes + takes_val, 0.1, seed=0).val}
    shuffled = {t.take_uid for t in skillsight_split(takes_val + takes[::-1], 0.1, seed=0).val}
    other_seed = {t.take_uid for t in skillsight_split(takes + takes_val, 0.1, seed=1).val}
    assert first == shuffled
    assert first != other_seed and len(first) == len(other_seed)


def test_bad_fractions_and_a_missing_val_split_are_errors() -> None:
    takes = _takes(GROUPS) + _takes({("Cooking", 0): 2}, "val")
    for bad in (0.0, 1.0, -0.1):
        with pytest.raises(ConfigError, match="val_fraction must be in"):
            skillsight_split(takes, bad)
    with pytest.raises(ConfigError, match="tests on the official val split"):
        skillsight_split(_takes(GROUPS), 0.1)


def test_data_split_skillsight_reaches_the_run_data_and_its_scan_report(tmp_path: Path) -> None:
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = tmp_path / "data"
    generate_synthetic_dataset(root, seed=0, takes_per_level=5, duration_s=4, frame_px=16)
    official = load_skill_data(load_config("student_tiny", [f"data.root={root}"]).data)
    cfg = load_config("student_tiny", [f"data.root={root}", "data.split=skillsight", "data.val_fraction=0.5"])
    paper = load_skill_data(cfg.data)
    assert [t.take_uid for t in paper.test] == [t.take_uid for t in official.val]
    assert len(paper.train) + len(paper.val) == len(official.train)
    groups = Counter((t.scenario, t.label) for t in official.train)
    held = {k: int(0.5 * n + 0.5) for k, n in groups.items()}  # half of each group, half rounding up
    assert sum(held.values()) > 0
    assert Counter((t.scenario, t.label) for t in paper.val) == Counter({k: n for k, n in held.items() if n})
    assert f"split skillsight: train {len(paper.train)} / val {len(paper.val)}" in paper.skipped_summary
    assert "split official: train" in official.skipped_summary
    with pytest.raises(ConfigError, match=r"data\.split"):
        load_config("student_tiny", ["data.split=paper"])
