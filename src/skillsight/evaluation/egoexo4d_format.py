"""Ego-Exo4D demonstrator-proficiency benchmark files and scores, as the official evaluation script has them.

Predictions file (what is submitted)::

    {"videos": [take_name, ...],                      N take names (as the official test list), in order
     "ego_model_predictions": [[l0, l1, l2, l3], ...],  N x 4 logits
     "exo_model_predictions": [[[4 logits] x V], ...]}  N x V x 4 logits (V = 4 exo views officially)

Ground-truth file::

    {"videos": [...], "gt_annotations": [class id 0..3, ...], "scenario_names": ["Cooking", ...]}

Scores, as the official evaluation script computes them (Ego-Exo4D benchmark code):

* ego: argmax of softmax(ego logits);
* exo: argmax of the mean over the exo views of softmax(view logits);
* combined: argmax of the mean of [softmax(ego)] + [softmax(view) for each exo view] (the ego view weighs
  as one of V + 1 views);
* top-1 accuracy pooled over all videos ("overall") and per scenario (only scenarios present); ties go
  to the lower class index (``np.argmax``).

Unlike the official script (which asserts), bad files raise :class:`DataFormatError` naming the file,
field and value; a scenario must be exactly one of :data:`skillsight.data.records.SCENARIOS` (no substring
match: "Dance" is never "Music"), and non-finite logits are refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.data.readers.egoexo4d_annotations import scenario_from_name
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "MODES",
    "OFFICIAL_NUM_EXO_VIEWS",
    "ProficiencyGroundTruth",
    "ProficiencyPredictions",
    "evaluate_files",
    "evaluate_proficiency",
    "mode_probabilities",
    "read_ground_truth",
    "read_predictions",
    "single_model_predictions",
    "write_ground_truth",
    "write_predictions",
]

#: Exo views per video the official script requires.
OFFICIAL_NUM_EXO_VIEWS = 4
#: Score modes of the official script.
MODES: tuple[str, ...] = ("ego", "exo", "combined")
_C = len(PROFICIENCY_LABELS)


@dataclass(frozen=True)
class ProficiencyPredictions:
    """videos: N take names (or uids); ego_logits: (N, 4); exo_logits: (N, V, 4)."""

    videos: list[str]
    ego_logits: np.ndarray
    exo_logits: np.ndarray


@dataclass(frozen=True)
class ProficiencyGroundTruth:
    """videos: N take names (or uids); labels: (N,) class ids 0..3; scenarios: N names from SCENARIOS."""

    videos: list[str]
    labels: np.ndarray
    scenarios: list[str]


def _videos(source: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DataFormatError(source, "videos", value, "expected a list of take name strings")
    if len(set(value)) != len(value):
        dup = sorted({v for v in value if value.count(v) > 1})
        raise DataFormatError(source, "videos", dup, "takes appear more than once")
    return list(value)


def _logits(source: str, field: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as float64 of ``shape`` (-1 = any), finite."""
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DataFormatError(
            source, field, str(value)[:80], f"not a rectangular array of numbers ({err})"
        ) from err
    if arr.ndim != len(shape) or any(s not in (-1, a) for s, a in zip(shape, arr.shape)):
        want = tuple("N" if s == -1 else s for s in shape)
        raise DataFormatError(source, field, arr.shape, f"expected shape {want}")
    if not np.isfinite(arr).all():
        bad = np.argwhere(~np.isfinite(arr))[0].tolist()
        raise DataFormatError(source, field, bad, "non-finite logit at this index")
    return arr


def _check_predictions(
    source: str, videos: Any, ego: Any, exo: Any, num_exo_views: int | None
) -> ProficiencyPredictions:
    ids = _videos(source, videos)
    n = len(ids)
    ego_arr = _logits(source, "ego_model_predictions", ego, (n, _C))
    views = -1 if num_exo_views is None else num_exo_views
    exo_arr = _logits(source, "exo_model_predictions", exo, (n, views, _C))
    if exo_arr.shape[1] < 1:
        raise DataFormatError(source, "exo_model_predictions", exo_arr.shape, "needs at least one exo view")
    return ProficiencyPredictions(ids, ego_arr, exo_arr)


def single_model_predictions(
    videos: Sequence[str], logits: np.ndarray, num_exo_views: int = OFFICIAL_NUM_EXO_VIEWS
) -> ProficiencyPredictions:
    """Predictions of a model with ONE output per take (e.g. SkillFormer Ego+Exos, an ego-only model).

    The same (N, 4) logits fill the ego slot and every exo slot, so the ego, exo and combined scores
    all equal that model's top-1 (the official format has no single-prediction field).
    """
    arr = np.asarray(logits, dtype=np.float64)
    exo = np.repeat(arr[:, None, :], num_exo_views, axis=1) if arr.ndim == 2 else arr
    return _check_predictions("single_model_predictions", list(videos), arr, exo, num_exo_views)


def write_predictions(
    path: str | Path, predictions: ProficiencyPredictions, num_exo_views: int | None = OFFICIAL_NUM_EXO_VIEWS
) -> Path:
    """Write a predictions file (checked first; ``num_exo_views=None`` allows any V >= 1)."""
    p = _check_predictions(
        str(path), predictions.videos, predictions.ego_logits, predictions.exo_logits, num_exo_views
    )
    data = {
        "videos": p.videos,
        "ego_model_predictions": p.ego_logits.tolist(),
        "exo_model_predictions": p.exo_logits.tolist(),
    }
    atomic_write_text(path, json.dumps(data))
    return Path(path)


def _load_json(path: str | Path, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read JSON") from err
    if not isinstance(data, dict):
        raise DataFormatError(path, "", type(data).__name__, "expected a JSON object")
    missing = [k for k in keys if k not in data]
    if missing:
        raise DataFormatError(path, ",".join(missing), sorted(data), "missing keys")
    return data


def read_predictions(
    path: str | Path, num_exo_views: int | None = OFFICIAL_NUM_EXO_VIEWS
) -> ProficiencyPredictions:
    """Read and check a predictions file."""
    data = _load_json(path, ("videos", "ego_model_predictions", "exo_model_predictions"))
    return _check_predictions(
        str(path), data["videos"], data["ego_model_predictions"], data["exo_model_predictions"], num_exo_views
    )


def _check_ground_truth(source: str, videos: Any, labels: Any, scenarios: Any) -> ProficiencyGroundTruth:
    ids = _videos(source, videos)
    for field, value in (("gt_annotations", labels), ("scenario_names", scenarios)):
        if not isinstance(value, (list, tuple, np.ndarray)) or len(value) != len(ids):
            got = len(value) if hasattr(value, "__len__") else type(value).__name__
            raise DataFormatError(
                source, field, got, f"expected a list of {len(ids)} entries (one per video)"
            )
    class_ids = []
    for uid, label in zip(ids, labels):
        if isinstance(label, str) and label in PROFICIENCY_LABELS:
            label = PROFICIENCY_LABELS.index(label)
        is_int = isinstance(label, (int, np.integer)) and not isinstance(label, (bool, np.bool_))
        if not is_int or not 0 <= label < _C:
            raise DataFormatError(
                f"{source} (video {uid})",
                "gt_annotations",
                label,
                f"expected a class id 0..{_C - 1} or one of {list(PROFICIENCY_LABELS)}",
            )
        class_ids.append(int(label))
    names = [scenario_from_name(name, source, uid) for uid, name in zip(ids, scenarios)]
    return ProficiencyGroundTruth(ids, np.asarray(class_ids, dtype=np.int64), names)


def write_ground_truth(path: str | Path, ground_truth: ProficiencyGroundTruth) -> Path:
    """Write a ground-truth file in the official format (class ids, exact scenario names)."""
    gt = _check_ground_truth(
        str(path), ground_truth.videos, list(ground_truth.labels), ground_truth.scenarios
    )
    data = {"videos": gt.videos, "gt_annotations": gt.labels.tolist(), "scenario_names": gt.scenarios}
    atomic_write_text(path, json.dumps(data))
    return Path(path)


def read_ground_truth(path: str | Path) -> ProficiencyGroundTruth:
    """Read and check a ground-truth file (labels: ids 0..3, or the exact label names)."""
    data = _load_json(path, ("videos", "gt_annotations", "scenario_names"))
    return _check_ground_truth(str(path), data["videos"], data["gt_annotations"], data["scenario_names"])


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def mode_probabilities(predictions: ProficiencyPredictions, mode: str) -> np.ndarray:
    """(N, 4) scores whose argmax is the official prediction of ``mode`` ("ego", "exo" or "combined")."""
    if mode == "ego":
        return _softmax(predictions.ego_logits)
    exo = _softmax(predictions.exo_logits)  # (N, V, 4)
    if mode == "exo":
        return exo.mean(axis=1)
    if mode == "combined":
        ego = _softmax(predictions.ego_logits)[:, None, :]  # (N, 1, 4)
        return np.concatenate([ego, exo], axis=1).mean(axis=1)  # (N, 4), mean over 1 + V views
    raise ValueError(f"unknown mode {mode!r}; valid: {list(MODES)}")


def evaluate_proficiency(
    predictions: ProficiencyPredictions, ground_truth: ProficiencyGroundTruth, source: str = "predictions"
) -> dict[str, Any]:
    """Official top-1 scores.

    Returns:
        ``{"num_videos": N, "ego" | "exo" | "combined": {"overall": acc, "per_scenario": {name: acc}}}``
        with accuracies in [0, 1]; per-scenario keys in :data:`SCENARIOS` order, present scenarios only.

    Raises:
        DataFormatError: the prediction videos differ from the ground truth's (same ids, same order).
    """
    if predictions.videos != ground_truth.videos:
        diff = next(
            (i for i, (a, b) in enumerate(zip(predictions.videos, ground_truth.videos)) if a != b),
            min(len(predictions.videos), len(ground_truth.videos)),
        )
        raise DataFormatError(
            source,
            "videos",
            diff,
            f"differs from the ground truth's videos from index {diff} "
            f"({len(predictions.videos)} vs {len(ground_truth.videos)} videos)",
        )
    if not ground_truth.videos:
        raise DataFormatError(source, "videos", [], "nothing to score: the ground truth has no videos")
    scenarios = np.asarray(ground_truth.scenarios, dtype=object)
    out: dict[str, Any] = {"num_videos": len(ground_truth.videos)}
    for mode in MODES:
        predicted = _softmax(mode_probabilities(predictions, mode)).argmax(axis=-1)  # as the official script
        correct = predicted == ground_truth.labels
        per = {
            name: float(correct[scenarios == name].mean()) for name in SCENARIOS if (scenarios == name).any()
        }
        out[mode] = {"overall": float(correct.mean()), "per_scenario": per}
    return out


def evaluate_files(
    ground_truth_path: str | Path,
    predictions_path: str | Path,
    num_exo_views: int | None = OFFICIAL_NUM_EXO_VIEWS,
) -> dict[str, Any]:
    """Read both files and score them (see :func:`evaluate_proficiency`)."""
    gt = read_ground_truth(ground_truth_path)
    preds = read_predictions(predictions_path, num_exo_views)
    return evaluate_proficiency(preds, gt, str(predictions_path))
