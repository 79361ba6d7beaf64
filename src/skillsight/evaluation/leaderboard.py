"""Build the Ego-Exo4D demonstrator-proficiency leaderboard file from per-take predictions.

The official evaluation script reads ``{"videos": [take names], "ego_model_predictions": [[4 logits]...],
"exo_model_predictions": [[[4] x 4 exo views]...]}`` (the format of its script; its README describes
another one). Here the ego slot comes from one run and the exo slots from zero, one or four runs:

* no exo run: every exo slot repeats the ego logits (a single-model entry: ego, exo and combined
  scores all equal that model's top-1);
* one exo run (e.g. a multi-view model with one output per take): its logits fill the four views;
* four exo runs: one per view, in the order given.

Takes are matched by take name (the official test list's identifiers), or by take uid; a take of the
list that a run has no prediction for is an error naming it, never a silently dropped row.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skillsight.evaluation.egoexo4d_format import (
    OFFICIAL_NUM_EXO_VIEWS,
    ProficiencyGroundTruth,
    ProficiencyPredictions,
)
from skillsight.evaluation.evaluate import TakePredictions
from skillsight.exceptions import ConfigError, DataFormatError

__all__ = ["exo_fill_note", "ground_truth_of", "leaderboard_predictions", "read_take_list"]


def read_take_list(path: str | Path) -> list[str]:
    """Take names from the official test list (a JSON list of names), ``{"videos": [...]}``, or a text
    file with one name per line (blank lines and ``#`` comments ignored).

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: not a list of non-empty strings, empty, or a name listed twice.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json" or text.lstrip()[:1] in ("[", "{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            snippet = text[max(0, err.pos - 20) : err.pos + 20]
            raise DataFormatError(path, "", snippet, f"invalid JSON: {err.msg}") from None
        if isinstance(data, dict) and "videos" in data:
            data = data["videos"]
        if not isinstance(data, list):
            raise DataFormatError(path, "", type(data).__name__, "expected a JSON list of take names")
        names = data
    else:
        names = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    bad = [n for n in names if not isinstance(n, str) or not n.strip()]
    if bad:
        raise DataFormatError(path, "", bad[0], "every entry must be a take name (a non-empty string)")
    if not names:
        raise DataFormatError(path, "", [], "the take list is empty")
    dup = sorted(n for n, count in Counter(names).items() if count > 1)
    if dup:
        raise DataFormatError(path, "", dup[:5], "take names listed more than once")
    return [n.strip() for n in names]


def _index(preds: TakePredictions) -> dict[str, int]:
    """take name -> row and take uid -> row (names win where a name equals another take's uid)."""
    out = {uid: i for i, uid in enumerate(preds.take_uids)}
    out.update({name: i for i, name in enumerate(preds.take_names) if name})
    return out


def _rows(videos: Sequence[str], preds: TakePredictions, source: str) -> np.ndarray:
    index = _index(preds)
    missing = [v for v in videos if v not in index]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise DataFormatError(
            source,
            "take",
            missing[0],
            f"no prediction for {len(missing)} of the {len(videos)} listed takes: {shown} "
            "(were they skipped by the data scan? see data_scan.txt in the run folder)",
        )
    return np.asarray([index[v] for v in videos], dtype=np.int64)


def exo_fill_note(num_exo_runs: int, num_views: int = OFFICIAL_NUM_EXO_VIEWS) -> str:
    """How the exo slots are filled for ``num_exo_runs`` exo runs, in words."""
    if num_exo_runs == 0:
        return f"exo slots: the ego run's logits repeated over the {num_views} views (single-model entry)"
    if num_exo_runs == 1:
        return f"exo slots: the exo run's logits repeated over the {num_views} views"
    return f"exo slots: one run per view ({num_exo_runs} views)"


def leaderboard_predictions(
    videos: Sequence[str],
    ego: TakePredictions,
    exos: Sequence[TakePredictions] = (),
    sources: Sequence[str] = (),
    num_views: int = OFFICIAL_NUM_EXO_VIEWS,
) -> ProficiencyPredictions:
    """The leaderboard entry for ``videos`` (take names, in the file's order).

    Args:
        videos: take names (or uids) in the order they are written.
        ego: the ego run's predictions; exos: 0, 1 or ``num_views`` runs' predictions.
        sources: names of the runs (ego first) for the error messages.
        num_views: exo views per take of the file (4 officially).

    Raises:
        ConfigError: another number of exo runs, or runs with other than 4 classes.
        DataFormatError: a listed take without a prediction in some run (naming the takes and the run).
    """
    names = list(sources) or ["ego run", *(f"exo run {i + 1}" for i in range(len(exos)))]
    if len(exos) not in (0, 1, num_views):
        raise ConfigError(f"give 0, 1 or {num_views} exo runs after the ego run, got {len(exos)}")
    for preds, name in zip([ego, *exos], names):
        if np.asarray(preds.logits).shape[1] != 4:
            raise ConfigError(f"{name}: {np.asarray(preds.logits).shape[1]} classes, the benchmark has 4")
    ego_logits = np.asarray(ego.logits, dtype=np.float64)[_rows(videos, ego, names[0])]  # (N, 4)
    if not exos:
        exo_logits = np.repeat(ego_logits[:, None, :], num_views, axis=1)  # (N, V, 4)
    else:
        per_run = [
            np.asarray(p.logits, dtype=np.float64)[_rows(videos, p, n)] for p, n in zip(exos, names[1:])
        ]
        views = per_run * num_views if len(per_run) == 1 else per_run
        exo_logits = np.stack(views, axis=1)  # (N, V, 4)
    return ProficiencyPredictions(list(videos), ego_logits, exo_logits)


def ground_truth_of(videos: Sequence[str], preds: TakePredictions, source: str) -> ProficiencyGroundTruth:
    """The official ground-truth entry of ``videos`` from a labelled split's predictions (labels, scenarios).

    Raises:
        DataFormatError: a listed take without a prediction, or without a label (e.g. the test split).
    """
    rows = _rows(videos, preds, source)
    labels = np.asarray(preds.labels)[rows]
    if (labels < 0).any():
        missing = [v for v, label in zip(videos, labels) if label < 0]
        raise DataFormatError(
            source,
            "label",
            missing[0],
            f"{len(missing)} of the {len(videos)} takes have no label: no ground truth",
        )
    return ProficiencyGroundTruth(list(videos), labels.astype(np.int64), [preds.scenarios[i] for i in rows])
