"""The small fixed SkillSight training subset the learning-machinery tests fit (generated once a session)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.egoexo4d_takes import annotation_path

#: 2 scenarios x 4 levels x 4 takes: 16 training takes (and 8 test takes, which the tests never score).
LEARNING_SCENARIOS = ("Basketball", "Cooking")


def _empty_validation(root: Path) -> None:
    """Drop the validation takes: a run then keeps its latest best-training model, not a val-selected one."""
    path = annotation_path(root, "val")
    path.write_text(json.dumps({"annotations": []}) + "\n", encoding="utf-8")


@pytest.fixture(scope="session")
def learning_takes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ego + 4 exo views at 32 px, 10 s per take, difficulty 0 (the labels follow behaviour exactly)."""
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("learning_takes")
    generate_synthetic_dataset(
        root,
        seed=0,
        takes_per_level=4,
        duration_s=10,
        frame_px=32,
        difficulty=0.0,
        with_exo=True,
        scenarios=LEARNING_SCENARIOS,
        workers=1,
    )
    _empty_validation(root)
    return root


def _label_derangement(labels: list[str], rng: np.random.Generator) -> np.ndarray:
    """A permutation of the takes after which NO take keeps a label equal to its own (same label counts)."""
    values = np.asarray(labels)
    for _ in range(10_000):
        order = rng.permutation(len(values))
        if not np.any(values[order] == values):
            return order
    raise RuntimeError("no label derangement found")  # pragma: no cover (4 balanced levels always have one)


@pytest.fixture(scope="session")
def learning_takes_permuted(learning_takes: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same takes with the training labels permuted across takes so that no take keeps its own label
    (the take files are linked, not copied)."""
    root = tmp_path_factory.mktemp("learning_takes_permuted")
    for entry in learning_takes.iterdir():
        if entry.name != "annotations":
            (root / entry.name).symlink_to(entry)
    for split in ("train", "val", "test"):
        source = json.loads(annotation_path(learning_takes, split).read_text())
        records = source["annotations"]
        if split == "train":
            labels = [r["proficiency_score"] for r in records]
            order = _label_derangement(labels, np.random.default_rng(1))
            records = [{**r, "proficiency_score": labels[j]} for r, j in zip(records, order)]
        target = annotation_path(root, split)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"annotations": records}) + "\n", encoding="utf-8")
    return root
