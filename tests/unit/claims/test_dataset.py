"""Dataset of a condition: training subsets are stratified views; another dataset is never reused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsight.claims.dataset import ensure_dataset, training_subset
from skillsight.claims.plan import BenchPlan, Condition
from skillsight.data.readers.egoexo4d_takes import annotation_path
from skillsight.exceptions import ConfigError


def _fake_root(root: Path) -> Path:
    (root / "takes").mkdir(parents=True)
    (root / "takes.json").write_text("[]")
    for split, n in (("train", 8), ("val", 2), ("test", 4)):
        records = [
            {"take_uid": f"{split}{s}{lv}{k}", "scenario_name": s, "proficiency_score": lv}
            for s in ("Cooking", "Soccer")
            for lv in ("Novice", "Late Expert")
            for k in range(n)
        ]
        annotation_path(root, split).parent.mkdir(exist_ok=True)
        annotation_path(root, split).write_text(json.dumps({"annotations": records}))
    return root


def test_training_subset_keeps_each_cell_and_the_other_splits(tmp_path: Path) -> None:
    root = _fake_root(tmp_path / "full")
    view = training_subset(root, 0.25, seed=0, out=tmp_path / "view")
    train = json.loads(annotation_path(view, "train").read_text())["annotations"]
    cells = {(r["scenario_name"], r["proficiency_score"]) for r in train}
    assert len(train) == 8 and len(cells) == 4  # 2 of 8 in each of the 4 cells
    for split in ("val", "test"):
        assert annotation_path(view, split).read_text() == annotation_path(root, split).read_text()
    assert (view / "takes").resolve() == (root / "takes").resolve()
    with pytest.raises(ConfigError, match="empty"):
        training_subset(root, 0.01, seed=0, out=tmp_path / "too_small")
    with pytest.raises(ConfigError, match=r"\(0, 1\]"):
        training_subset(root, 1.5, seed=0, out=tmp_path / "bad")


def test_ensure_dataset_refuses_a_dataset_with_other_knobs(tmp_path: Path) -> None:
    plan = BenchPlan(Condition("hard", 1), takes_per_level=3)
    folder = tmp_path / "data" / plan.condition.name
    folder.mkdir(parents=True)
    stored = {"config": {"takes_per_level": 6, "seed": 1, "difficulty": 1.5, "label_noise": 0.15}}
    (folder / "synthetic_dataset.json").write_text(json.dumps(stored))
    with pytest.raises(ConfigError, match="takes_per_level: stored 6, wanted 3"):
        ensure_dataset(plan, tmp_path)
