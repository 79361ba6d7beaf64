"""Synthetic expert commentary for the synthetic skill dataset, in the real Ego-Exo4D schema.

Each synthetic take folder holds ``synthetic_take.json`` with the take's latent attribute strengths
(``attributes``: name -> [0, 1], higher = more skilled; the same values drive its gaze, head motion
and rendered video, see :mod:`skillsight.data.synthetic.scenes`) and its action times
(``action_times_s``). From those this module writes, per split,
``annotations/proficiency_demonstration_<split>.json`` (see :mod:`skillsight.projects.attributes.commentary`):

* tips for improvement about the take's two *weakest* attributes, placed at action times (the
  moment a coach would comment on), weakest first and more often;
* good executions about its two *strongest* attributes.

Sentences are templated but varied: several phrasings per attribute (e.g. "balance", "body balance",
"balance control"), several fixes per attribute that mention the scenario's action ("shot", "cut",
...), several sentence frames, and a few experts per scenario. Everything is drawn from a generator
seeded by ``(seed, crc32(take_uid))``, so the same dataset and seed give the same bytes.
The split of each take is read from ``annotations/proficiency_demonstrator_<split>.json``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skillsight.data.readers.egoexo4d_takes import annotation_path
from skillsight.data.records import SPLITS
from skillsight.exceptions import DataFormatError
from skillsight.projects.attributes.commentary import (
    CommentaryEntry,
    TakeCommentary,
    commentary_path,
    write_commentary,
)

__all__ = [
    "ATTRIBUTE_FIXES",
    "ATTRIBUTE_PHRASES",
    "SCENARIO_ACTIONS",
    "SIDECAR_NAME",
    "generate_synthetic_commentary",
    "take_commentary",
]

SIDECAR_NAME = "synthetic_take.json"

#: Surface forms an expert uses for each latent attribute (first = canonical).
ATTRIBUTE_PHRASES: dict[str, tuple[str, ...]] = {
    "anticipation": ("anticipation", "early anticipation", "anticipation of the target"),
    "focus": ("focus", "visual focus", "steady focus"),
    "hand-eye coordination": ("hand-eye coordination", "eye-hand coordination", "coordination"),
    "head stability": ("head stability", "stable head", "head steadiness"),
    "balance": ("balance", "body balance", "balance control"),
    "hand positioning": ("hand positioning", "hand position", "hand placement"),
    "follow-through": ("follow-through", "follow-through motion", "full follow-through"),
    "technique": ("technique", "overall technique", "technique quality"),
}

#: Actionable fixes per attribute; ``{action}`` is the scenario's action noun.
ATTRIBUTE_FIXES: dict[str, tuple[str, ...]] = {
    "anticipation": (
        "look to where the {action} will end before it starts",
        "read the next {action} a beat earlier",
        "get the eyes to the target ahead of the movement",
    ),
    "focus": (
        "hold the eyes still on the target a moment longer",
        "keep the gaze quiet through the whole {action}",
        "stop glancing away between repetitions",
    ),
    "hand-eye coordination": (
        "trust the hands and stop checking them",
        "keep the eyes on the target instead of the hands",
        "let the eyes lead and the hands follow",
    ),
    "head stability": (
        "keep the head level through the {action}",
        "stop bobbing the head between movements",
        "quiet the head so the eyes have a stable base",
    ),
    "balance": (
        "keep the weight centred over both feet",
        "widen the base before each {action}",
        "stay low and avoid leaning back",
    ),
    "hand positioning": (
        "set the hands in the same place before each {action}",
        "keep the hands close to the working area",
        "bring the hands back to the ready position",
    ),
    "follow-through": (
        "finish the {action} fully instead of cutting it short",
        "let the motion carry through after the {action}",
        "hold the finish for a moment",
    ),
    "technique": (
        "slow down and make each {action} clean",
        "break the {action} into its parts and drill them",
        "copy the expert form step by step",
    ),
}

#: The action an expert refers to, per scenario.
SCENARIO_ACTIONS: dict[str, str] = {
    "Basketball": "shot",
    "Cooking": "cut",
    "Dance": "step",
    "Music": "passage",
    "Rock Climbing": "move",
    "Soccer": "touch",
}

_TIP_FRAMES: tuple[str, ...] = (
    "Work on your {phrase} during the {action}; {fix}.",
    "Your {phrase} needs attention here, {fix}.",
    "Pay attention to your {phrase} on this {action}: {fix}.",
    "This {action} shows poor {phrase}; {fix}.",
    "Improve {phrase} before the next {action}: {fix}.",
)
_GOOD_FRAMES: tuple[str, ...] = (
    "Good {phrase} on this {action}.",
    "Nice {phrase}, the {action} looks effortless.",
    "Excellent {phrase} throughout this {action}.",
)
_EXPERTS_PER_SCENARIO = 3


def _rng(seed: int, take_uid: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(take_uid.encode("utf-8"))])


def _read_sidecar(path: Path) -> dict:
    try:
        side = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataFormatError(path, "", str(err)[:80], "not valid JSON") from None
    for key in (
        "take_uid",
        "take_name",
        "scenario",
        "task_name",
        "attributes",
        "action_times_s",
        "duration_s",
    ):
        if key not in side:
            raise DataFormatError(path, key, None, "missing field of the synthetic sidecar")
    attrs = side["attributes"]
    if not isinstance(attrs, dict) or not attrs:
        raise DataFormatError(path, "attributes", attrs, "expected a non-empty name -> strength object")
    unknown = [a for a in attrs if a not in ATTRIBUTE_PHRASES]
    if unknown:
        raise DataFormatError(
            path, "attributes", unknown[0], f"unknown attribute; expected {list(ATTRIBUTE_PHRASES)}"
        )
    if side["scenario"] not in SCENARIO_ACTIONS:
        raise DataFormatError(path, "scenario", side["scenario"], f"expected one of {list(SCENARIO_ACTIONS)}")
    return side


def take_commentary(
    sidecar: dict,
    seed: int = 0,
    n_weak: int = 2,
    n_strong: int = 2,
    tips_range: tuple[int, int] = (3, 5),
    goods_range: tuple[int, int] = (1, 2),
) -> TakeCommentary:
    """Commentary of one synthetic take from its sidecar dict.

    Args:
        sidecar: the parsed ``synthetic_take.json``.
        seed: commentary seed (independent of the dataset seed).
        n_weak, n_strong: how many weakest / strongest attributes the experts talk about.
        tips_range, goods_range: inclusive ranges of the number of tips / good executions.

    Returns:
        TakeCommentary whose tips name the weakest attributes (the weakest one gets the most tips) and
        whose good executions name the strongest, each at an action time (seconds from take start).
    """
    rng = _rng(seed, sidecar["take_uid"])
    attrs: dict[str, float] = sidecar["attributes"]
    names = sorted(attrs, key=lambda a: (attrs[a], a))  # weakest first, ties by name
    weak, strong = names[:n_weak], names[::-1][:n_strong]
    scenario = sidecar["scenario"]
    action = SCENARIO_ACTIONS[scenario]
    duration = float(sidecar["duration_s"])
    times = np.asarray([t for t in sidecar["action_times_s"] if 0.0 <= t < duration], dtype=float)
    if times.size == 0:
        times = np.linspace(0.5, max(duration - 0.5, 0.5), 4)
    experts = [f"{scenario.lower().replace(' ', '')}_expert{k}" for k in range(_EXPERTS_PER_SCENARIO)]
    n_tips = int(rng.integers(tips_range[0], tips_range[1] + 1))
    n_good = int(rng.integers(goods_range[0], goods_range[1] + 1))
    slots = rng.choice(times, size=n_tips + n_good, replace=times.size < n_tips + n_good)
    slots = np.clip(slots + rng.uniform(-0.3, 0.3, size=slots.size), 0.0, duration)
    # weaker attributes get more tips: weight = 1 - strength (+ a floor so every weak one can appear)
    w = np.array([1.0 - attrs[a] + 0.05 for a in weak])
    tip_attrs = [weak[0], *list(rng.choice(weak, size=n_tips - 1, p=w / w.sum()))]
    entries = []
    for k, attr in enumerate(tip_attrs):
        frame = _TIP_FRAMES[int(rng.integers(len(_TIP_FRAMES)))]
        phrase = ATTRIBUTE_PHRASES[attr][int(rng.integers(len(ATTRIBUTE_PHRASES[attr])))]
        fix = ATTRIBUTE_FIXES[attr][int(rng.integers(len(ATTRIBUTE_FIXES[attr])))].format(action=action)
        text = frame.format(phrase=phrase, action=action, fix=fix)
        entries.append(
            CommentaryEntry(
                "tip",
                round(float(slots[k]), 3),
                (text[0].upper() + text[1:],),
                experts[int(rng.integers(len(experts)))],
                sidecar["take_name"],
            )
        )
    for k in range(n_good):
        attr = strong[k % len(strong)]
        frame = _GOOD_FRAMES[int(rng.integers(len(_GOOD_FRAMES)))]
        phrase = ATTRIBUTE_PHRASES[attr][int(rng.integers(len(ATTRIBUTE_PHRASES[attr])))]
        text = frame.format(phrase=phrase, action=action)
        entries.append(
            CommentaryEntry(
                "good",
                round(float(slots[n_tips + k]), 3),
                (text,),
                experts[int(rng.integers(len(experts)))],
                sidecar["take_name"],
            )
        )
    entries.sort(key=lambda e: (e.video_time_s, e.kind))
    return TakeCommentary(sidecar["take_uid"], sidecar["take_name"], scenario, sidecar["task_name"], entries)


def generate_synthetic_commentary(
    root: str | Path, seed: int = 0, splits: Sequence[str] = SPLITS
) -> dict[str, Path]:
    """Write ``annotations/proficiency_demonstration_<split>.json`` next to a synthetic dataset.

    Args:
        root: the synthetic dataset root (``takes/<name>/synthetic_take.json`` + demonstrator files).
        seed: commentary seed.
        splits: which splits to write (those whose demonstrator file exists).

    Returns:
        split -> path written.

    Raises:
        FileNotFoundError: no demonstrator file for any split, or a listed take has no sidecar.
        DataFormatError: a malformed sidecar (names file and field).
    """
    root = Path(root)
    sidecars = {}
    for path in sorted((root / "takes").glob(f"*/{SIDECAR_NAME}")):
        side = _read_sidecar(path)
        sidecars[side["take_uid"]] = side
    written: dict[str, Path] = {}
    for split in splits:
        ann = annotation_path(root, split)
        if not ann.is_file():
            continue
        data = json.loads(ann.read_text(encoding="utf-8"))
        records = data["annotations"] if isinstance(data, dict) else data
        takes = []
        for i, rec in enumerate(records):
            uid = rec.get("take_uid")
            if uid not in sidecars:
                raise FileNotFoundError(f"{ann}: annotations[{i}] take {uid!r} has no takes/*/{SIDECAR_NAME}")
            tc = take_commentary(sidecars[uid], seed)
            tc.extra = {
                k: rec[k]
                for k in ("task_id", "university_id", "origin_participant_id", "video_paths")
                if k in rec
            }
            takes.append(tc)
        out = commentary_path(root, split)
        write_commentary(out, takes)
        written[split] = out
    if not written:
        raise FileNotFoundError(
            f"{root}: no annotations/proficiency_demonstrator_<split>.json for {list(splits)}"
        )
    return written
