"""Ego-Exo4D metadata files: proficiency annotations, takes.json, and the 2D gaze CSV.

Formats (the Ego-Exo4D release and its documentation):

- ``annotations/proficiency_demonstrator_{train,val,test}.json``: a dict whose ``"annotations"`` key holds
  the records, or a bare list of records. A record has ``take_uid``, ``scenario_name``, ``task_name``,
  ``task_id``, ``university_id``, ``origin_participant_id``, ``video_paths`` and ``proficiency_score``
  (one of :data:`~skillsight.data.records.PROFICIENCY_LABELS`; absent where labels are not public).
- ``takes.json``: a list of takes (``take_uid``, ``take_name``, ``root_dir``, ``parent_task_name``,
  ``task_name``, ``duration_sec``, ``capture.cameras[]``, ``frame_aligned_videos[cam][stream]``).
- ``eye_gaze/general_eye_gaze_2d.csv``: gaze projected into the upright 1408x1408 ego RGB image, 10 Hz.
  Columns used: ``tracking_timestamp_us`` (device clock), ``x``, ``y`` (pixels); ``frame_num`` (row index)
  is written but not required when reading. These names are the ones public Ego-Exo4D tooling reads
  (including the SkillSight authors' preprocessing); the column order is our assumption.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.data.readers.aria_csv import (
    check_strictly_increasing,
    check_timestamp_steps_us,
    format_float_column,
    read_csv_columns,
    write_csv_columns,
)
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.exceptions import DataFormatError
from skillsight.gaze.tracks import Gaze2DTrack

__all__ = [
    "GAZE2D_COLUMNS",
    "label_from_score",
    "read_annotations",
    "read_gaze2d_csv",
    "read_takes_json",
    "scenario_from_name",
    "write_gaze2d_csv",
]

#: Columns written to ``*_eye_gaze_2d.csv``, in order.
GAZE2D_COLUMNS: tuple[str, ...] = ("frame_num", "tracking_timestamp_us", "x", "y")
_GAZE2D_REQUIRED: tuple[str, ...] = ("tracking_timestamp_us", "x", "y")


def _load_json(path: Path) -> Any:
    raw = path.read_bytes()  # FileNotFoundError propagates
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        bad = raw[err.start : err.start + 8]
        raise DataFormatError(path, "", bad, f"file is not UTF-8 text (byte {err.start})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        near = text[max(0, err.pos - 20) : err.pos + 20]
        raise DataFormatError(path, "", near, f"invalid JSON: {err.msg}") from None


def read_annotations(path: str | Path) -> list[dict]:
    """Read a proficiency annotation file.

    Args:
        path: ``proficiency_demonstrator_<split>.json``; a dict with an ``"annotations"`` list or a bare list.

    Returns:
        The records (dicts), in file order. Each has at least a string ``take_uid``.

    Raises:
        FileNotFoundError: the file does not exist.
        DataFormatError: not JSON, neither a list nor a dict with ``"annotations"``, a record that is not a
            dict or has no ``take_uid``, or the same ``take_uid`` twice in the file.
    """
    path = Path(path)
    data = _load_json(path)
    if isinstance(data, dict):
        if "annotations" not in data:
            raise DataFormatError(path, "annotations", sorted(data)[:8], "dict without an 'annotations' key")
        records = data["annotations"]
    else:
        records = data
    if not isinstance(records, list):
        raise DataFormatError(path, "annotations", type(records).__name__, "expected a list of records")
    seen: set[str] = set()
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise DataFormatError(path, f"annotations[{i}]", rec, "record is not an object")
        uid = rec.get("take_uid")
        if not isinstance(uid, str) or not uid:
            raise DataFormatError(path, f"annotations[{i}].take_uid", uid, "missing or not a string")
        if uid in seen:
            raise DataFormatError(path, f"annotations[{i}].take_uid", uid, "take listed twice in one file")
        seen.add(uid)
    return records


def read_takes_json(path: str | Path) -> dict[str, dict]:
    """Read ``takes.json`` into ``{take_uid: take}``.

    Raises:
        DataFormatError: not a list (or dict with ``"takes"``), a take without ``take_uid``/``take_name``/
            ``root_dir``, or a duplicated ``take_uid``.
    """
    path = Path(path)
    data = _load_json(path)
    if isinstance(data, dict) and isinstance(data.get("takes"), list):
        data = data["takes"]
    if not isinstance(data, list):
        raise DataFormatError(path, "", type(data).__name__, "expected a list of takes")
    takes: dict[str, dict] = {}
    for i, take in enumerate(data):
        if not isinstance(take, dict):
            raise DataFormatError(path, f"[{i}]", take, "take is not an object")
        for key in ("take_uid", "take_name", "root_dir"):
            if not isinstance(take.get(key), str) or not take[key]:
                raise DataFormatError(path, f"[{i}].{key}", take.get(key), "missing or not a string")
        if take["take_uid"] in takes:
            raise DataFormatError(path, f"[{i}].take_uid", take["take_uid"], "duplicated take_uid")
        takes[take["take_uid"]] = take
    return takes


def label_from_score(score: Any, source: str | Path, take_uid: str) -> int:
    """Map a ``proficiency_score`` string to its class id (Novice=0 .. Late Expert=3), exactly.

    Raises:
        DataFormatError: naming the file and take, for any value not exactly in PROFICIENCY_LABELS.
    """
    if isinstance(score, str) and score in PROFICIENCY_LABELS:
        return PROFICIENCY_LABELS.index(score)
    raise DataFormatError(
        f"{source} (take {take_uid})",
        "proficiency_score",
        score,
        f"unknown label; expected one of {list(PROFICIENCY_LABELS)}",
    )


def scenario_from_name(name: Any, source: str | Path, take_uid: str) -> str:
    """Return ``name`` if it is exactly one of SCENARIOS (no substring or case folding).

    Raises:
        DataFormatError: naming the file and take, for any other value.
    """
    if isinstance(name, str) and name in SCENARIOS:
        return name
    raise DataFormatError(
        f"{source} (take {take_uid})",
        "scenario_name",
        name,
        f"unknown scenario; expected one of {list(SCENARIOS)}",
    )


def read_gaze2d_csv(path: str | Path, image_size_px: tuple[int, int] = (1408, 1408)) -> Gaze2DTrack:
    """Read ``general_eye_gaze_2d.csv`` (or ``personalized_eye_gaze_2d.csv``).

    Args:
        path: the CSV; columns ``tracking_timestamp_us``, ``x``, ``y`` required (others ignored).
        image_size_px: (width, height) the pixels refer to: the upright Aria RGB image, 1408x1408.

    Returns:
        Gaze2DTrack with ``timestamps_us`` (N,) int64 and ``xy_px`` (N, 2) float64; empty cells are NaN.

    Raises:
        DataFormatError: missing or duplicated column, no rows, a ragged row, an unparsable or
            non-finite cell, an empty timestamp, or timestamps not strictly increasing or not in
            microseconds (the message names the row).
    """
    path = Path(path)
    columns = read_csv_columns(
        path, _GAZE2D_REQUIRED, int_columns=("tracking_timestamp_us",), nullable_columns=("x", "y")
    )
    timestamps_us = columns["tracking_timestamp_us"]
    check_strictly_increasing(path, "tracking_timestamp_us", timestamps_us)
    check_timestamp_steps_us(path, "tracking_timestamp_us", timestamps_us, 500.0, 500_000.0)
    return Gaze2DTrack(
        timestamps_us=timestamps_us,
        xy_px=np.stack([columns["x"], columns["y"]], axis=1),  # (N, 2)
        image_size_px=(int(image_size_px[0]), int(image_size_px[1])),
        upright=True,
        source=str(path),
    )


def write_gaze2d_csv(path: str | Path, track: Gaze2DTrack) -> Path:
    """Write a 2D gaze track with the columns of :data:`GAZE2D_COLUMNS` (NaN -> empty cell).

    Floats are written as their shortest round-trip text, so equal tracks give identical bytes.
    """
    path = Path(path)
    n = len(track)
    xy = np.asarray(track.xy_px, dtype=np.float64)
    if xy.shape != (n, 2):
        raise DataFormatError(track.source or path, "xy_px", xy.shape, f"expected shape ({n}, 2)")
    ts = np.asarray(track.timestamps_us, dtype=np.int64)
    cells = [
        np.arange(n).astype(str).tolist(),
        ts.astype(str).tolist(),
        format_float_column(xy[:, 0]),
        format_float_column(xy[:, 1]),
    ]
    write_csv_columns(path, GAZE2D_COLUMNS, cells, n)
    return path
