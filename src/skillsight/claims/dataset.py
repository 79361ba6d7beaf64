"""The synthetic dataset of a benchmark condition: generated once, reused by every row and seed.

``ensure_dataset`` writes ``<out>/data/<condition>`` with the generator (no exo views: no row reads them;
with the ego microphone track, which the EgoTrigger row reads) unless a dataset of exactly the same knobs
is already there, which is read back instead; a folder with other knobs is refused rather than silently
reused. The audio is drawn from its own random generator, so every other row's inputs (gaze, trajectory,
pixels) are those of the same seed without audio, and EgoTrigger is scored on the same test takes as the
other rows (paired claims need that; a separate audio dataset would give it other takes).
``training_subset`` makes a view of a dataset with a stratified fraction of its training takes (the
take folders are shared through a symlink), for the training-set-size sweep.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.claims.plan import BenchPlan
from skillsight.data.readers.egoexo4d_takes import annotation_path
from skillsight.data.records import SCENARIOS
from skillsight.exceptions import ConfigError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["dataset_knobs", "ensure_dataset", "training_subset"]

_SUMMARY = "synthetic_dataset.json"


def dataset_knobs(plan: BenchPlan) -> dict[str, Any]:
    """The generator arguments of a plan's dataset (``generate_synthetic_dataset`` keywords)."""
    return {
        "takes_per_level": plan.takes_per_level,
        "seed": plan.condition.generator_seed,
        "difficulty": plan.condition.difficulty,
        "with_exo": False,
        "with_audio": True,
        "scenarios": tuple(plan.scenarios or SCENARIOS),
    }


def _matches(summary: dict[str, Any], knobs: dict[str, Any]) -> list[str]:
    """Knobs whose stored value differs (the difficulty is compared through its resolved levels)."""
    from skillsight.data.synthetic.difficulty import resolve_difficulty

    stored = summary.get("config", {})
    level = resolve_difficulty(knobs["difficulty"])
    wanted = {
        "takes_per_level": knobs["takes_per_level"],
        "seed": knobs["seed"],
        "difficulty": level.attribute_noise,
        "label_noise": level.label_noise,
        "cue_strength": level.cue_strength,
        "with_exo": knobs["with_exo"],
        "with_audio": knobs["with_audio"],
        "scenarios": list(knobs["scenarios"]),
    }
    return [f"{k}: stored {stored.get(k)!r}, wanted {v!r}" for k, v in wanted.items() if stored.get(k) != v]


def ensure_dataset(plan: BenchPlan, out: Path, workers: int = 1, log: Any = None) -> Path:
    """The plan's dataset root under ``out/data``, generated when absent.

    Raises:
        ConfigError: the folder holds a dataset generated with other knobs.
    """
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = Path(out) / "data" / plan.condition.name
    knobs = dataset_knobs(plan)
    summary_path = root / _SUMMARY
    if summary_path.is_file():
        differences = _matches(json.loads(summary_path.read_text()), knobs)
        if differences:
            raise ConfigError(
                f"{root} holds another synthetic dataset ({'; '.join(differences)}); "
                "remove it or choose another --out"
            )
        if log is not None:
            log(f"dataset: reusing {root}")
        return root
    if log is not None:
        log(f"dataset: generating {root} ({knobs})")
    generate_synthetic_dataset(root, workers=workers, **knobs)
    return root


def training_subset(root: Path, fraction: float, seed: int, out: Path) -> Path:
    """A view of ``root`` keeping ``fraction`` of every (scenario, label) cell's training takes.

    Validation and test annotations are copied unchanged; ``takes`` is a symlink to the full dataset's
    take folders. Returns the view's root (reused when it exists).

    Raises:
        ConfigError: ``fraction`` outside (0, 1] or a cell left without a training take.
    """
    if not 0.0 < fraction <= 1.0:
        raise ConfigError(f"training fraction must be in (0, 1], got {fraction}")
    view = Path(out)
    done = view / ".subset_done"
    if done.is_file():
        return view
    view.mkdir(parents=True, exist_ok=True)
    (view / "annotations").mkdir(exist_ok=True)
    link = view / "takes"
    if not link.exists():
        os.symlink(os.path.relpath(Path(root).resolve() / "takes", view.resolve()), link)
    (view / "takes.json").write_text((Path(root) / "takes.json").read_text())
    for split in ("val", "test"):
        annotation_path(view, split).write_text(annotation_path(root, split).read_text())
    train = json.loads(annotation_path(root, "train").read_text())
    cells: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for record in train["annotations"]:
        cells[(record["scenario_name"], record["proficiency_score"])].append(record)
    rng = np.random.default_rng(seed)
    kept: list[dict] = []
    for cell, records in sorted(cells.items()):
        n = round(len(records) * fraction)
        if n < 1:
            raise ConfigError(f"fraction {fraction} leaves cell {cell} ({len(records)} takes) empty")
        order = rng.permutation(len(records))[:n]
        kept.extend(records[i] for i in sorted(order))
    annotation_path(view, "train").write_text(json.dumps({"annotations": kept}))
    atomic_write_text(done, json.dumps({"source": str(root), "fraction": fraction, "train_takes": len(kept)}))
    return view
