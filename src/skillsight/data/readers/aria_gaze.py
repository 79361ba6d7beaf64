"""Aria MPS eye-gaze CSVs (all four layouts) <-> :class:`GazeTrack`.

Layouts (``../shared/data/aria-mps-samples``):

* ``legacy_v1``: tracking_timestamp_us, yaw_rads_cpf, pitch_rads_cpf, depth_m, yaw/pitch low/high.
* ``legacy_v2``: the same plus ``session_uid``; ``depth_m`` moved after the bounds and usually empty.
* ``vergence`` (March 2024, Ego-Exo4D v2): per-eye ``left/right_yaw_rads_cpf``, shared pitch,
  ``depth_m`` (capped at 4 m, empty when degenerate), eye origins ``t{x,y,z}_{left,right}_eye_cpf``;
  no combined yaw: it is computed with :func:`skillsight.gaze.geometry.vergence_to_combined`.
* ``gen2``: combined and per-eye yaw/pitch, eye origins, no depth.

Depth: the file's ``depth_m`` where present (for vergence files it equals the ray intersection's
distance, capped at 4 m, as the official reader keeps it); empty -> NaN with ``depth_valid`` False.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np

from skillsight.data.readers.aria_csv import (
    check_no_nan,
    check_strictly_increasing,
    check_timestamp_steps_us,
    format_float_column,
    read_csv_columns,
    read_csv_header,
    write_csv_columns,
)
from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import DEFAULT_IPD_M, combined_to_vergence, vergence_to_combined
from skillsight.gaze.tracks import GazeTrack

__all__ = [
    "GAZE_LAYOUTS",
    "GAZE_STEP_RANGE_US",
    "REQUIRED_COLUMNS",
    "check_gaze_angles",
    "detect_gaze_layout",
    "read_gaze_csv",
    "write_gaze_csv",
]

TS = "tracking_timestamp_us"
_BOUNDS = ["yaw_low_rads_cpf", "pitch_low_rads_cpf", "yaw_high_rads_cpf", "pitch_high_rads_cpf"]
_EYES = [f"t{axis}_{eye}_eye_cpf" for eye in ("left", "right") for axis in "xyz"]

#: Full column list of each layout, in file order.
GAZE_LAYOUTS: dict[str, list[str]] = {
    "legacy_v1": [TS, "yaw_rads_cpf", "pitch_rads_cpf", "depth_m", *_BOUNDS],
    "legacy_v2": [TS, "yaw_rads_cpf", "pitch_rads_cpf", *_BOUNDS, "depth_m", "session_uid"],
    "vergence": [
        TS,
        "left_yaw_rads_cpf",
        "right_yaw_rads_cpf",
        "pitch_rads_cpf",
        "depth_m",
        "left_yaw_low_rads_cpf",
        "right_yaw_low_rads_cpf",
        "pitch_low_rads_cpf",
        "left_yaw_high_rads_cpf",
        "right_yaw_high_rads_cpf",
        "pitch_high_rads_cpf",
        *_EYES,
        "session_uid",
    ],
    "gen2": [
        TS,
        "yaw_rads_cpf",
        "pitch_rads_cpf",
        "left_yaw_rads_cpf",
        "right_yaw_rads_cpf",
        "left_pitch_rads_cpf",
        "right_pitch_rads_cpf",
        *_EYES,
    ],
}

#: plausible median step between gaze rows in microseconds (2 kHz .. 2 Hz): outside it the
#: timestamps were written in another unit (ms or ns) and every time-based rule would be wrong.
GAZE_STEP_RANGE_US: tuple[float, float] = (500.0, 500_000.0)
#: gaze angles must stay below this magnitude: |yaw| >= pi/2 flips tan(yaw), and degrees
#: written as radians (51 "rad") exceed it.
_MAX_ANGLE_RAD = np.pi / 2

#: per layout, the columns a reader needs (others, e.g. confidence bounds, are optional).
REQUIRED_COLUMNS: dict[str, list[str]] = {
    "legacy_v1": [TS, "yaw_rads_cpf", "pitch_rads_cpf"],
    "legacy_v2": [TS, "yaw_rads_cpf", "pitch_rads_cpf"],
    "vergence": [TS, "left_yaw_rads_cpf", "right_yaw_rads_cpf", "pitch_rads_cpf"],
    "gen2": [TS, "yaw_rads_cpf", "pitch_rads_cpf", "left_yaw_rads_cpf", "right_yaw_rads_cpf"],
}


def detect_gaze_layout(header: list[str], source: str | Path) -> str:
    """Name the MPS gaze layout of a CSV header.

    Rules: per-eye yaw without combined yaw -> "vergence"; per-eye and combined yaw -> "gen2";
    combined yaw with ``session_uid`` -> "legacy_v2", without -> "legacy_v1".

    Raises:
        DataFormatError: the header matches no known layout (lists the columns and the layouts).
    """
    cols = {c.strip() for c in header}
    per_eye = {"left_yaw_rads_cpf", "right_yaw_rads_cpf"} <= cols
    if per_eye:
        return "gen2" if "yaw_rads_cpf" in cols else "vergence"
    if "yaw_rads_cpf" in cols:
        return "legacy_v2" if "session_uid" in cols else "legacy_v1"
    known = "; ".join(f"{name}: {', '.join(c)}" for name, c in GAZE_LAYOUTS.items())
    reason = f"not a known Aria MPS gaze layout. Known layouts -> {known}"
    raise DataFormatError(source, "header", list(header), reason)


def check_gaze_angles(path: str | Path, name: str, values: np.ndarray) -> None:
    """Refuse gaze angles with magnitude >= pi/2 (naming the line): they are not radians in CPF."""
    bad = np.flatnonzero(~(np.abs(values) < _MAX_ANGLE_RAD))
    if bad.size:
        i = int(bad[0])
        reason = (
            f"line {i + 2}: |angle| >= pi/2 rad ({bad.size} such rows); gaze angles are radians in CPF "
            "within +-pi/2 (values like this are degrees)"
        )
        raise DataFormatError(path, name, float(values[i]), reason)


def read_gaze_csv(path: str | Path) -> GazeTrack:
    """Read any MPS eye-gaze CSV into a :class:`GazeTrack` (combined yaw, pitch, depth in CPF).

    Raises:
        DataFormatError: empty, gzip or binary file, unknown layout, duplicated or missing column,
            a row with another cell count than the header, an empty, unparsable or non-finite
            required cell, angles that are not radians (|angle| >= pi/2), negative depth, timestamps
            that do not strictly increase or whose steps are not microseconds (each message names
            the file, the field or line, and the value).
    """
    path = Path(path)
    header = read_csv_header(path)
    layout = detect_gaze_layout(header, path)
    required = REQUIRED_COLUMNS[layout]
    missing = [c for c in required if c not in header]
    if missing:
        raise DataFormatError(path, missing[0], header, f"layout {layout!r} needs column(s) {missing}")
    has_depth = "depth_m" in header and layout != "gen2"
    names = required + (["depth_m"] if has_depth else [])
    cols = read_csv_columns(path, names, int_columns=[TS], nullable_columns=["depth_m"])
    ts = cols[TS]
    for name in required[1:]:
        check_no_nan(path, name, cols[name])
    check_strictly_increasing(path, TS, ts)
    check_timestamp_steps_us(path, TS, ts, *GAZE_STEP_RANGE_US)
    for name in required[1:]:
        check_gaze_angles(path, name, cols[name])
    n = ts.shape[0]
    depth = cols["depth_m"] if has_depth else np.full(n, np.nan)
    negative = np.flatnonzero(depth < 0)
    if negative.size:
        i = int(negative[0])
        raise DataFormatError(path, "depth_m", float(depth[i]), f"line {i + 2}: depth must be >= 0")
    left = right = None
    if layout == "vergence":
        left, right = cols["left_yaw_rads_cpf"], cols["right_yaw_rads_cpf"]
        yaw, _ = vergence_to_combined(left, right, cols["pitch_rads_cpf"])
    else:
        yaw = cols["yaw_rads_cpf"]
        if layout == "gen2":
            left, right = cols["left_yaw_rads_cpf"], cols["right_yaw_rads_cpf"]
    return GazeTrack(
        timestamps_us=ts,
        yaw_rad=yaw,
        pitch_rad=cols["pitch_rads_cpf"],
        depth_m=depth,
        depth_valid=np.isfinite(depth),
        layout=layout,
        source=str(path),
        left_yaw_rad=left,
        right_yaw_rad=right,
    )


def _validate_track(track: GazeTrack) -> None:
    n = len(track)
    for name in ("yaw_rad", "pitch_rad", "depth_m", "depth_valid"):
        if np.asarray(getattr(track, name)).shape != (n,):
            raise ValueError(f"GazeTrack.{name} must have shape ({n},)")
    if n and np.any(np.diff(np.asarray(track.timestamps_us)) <= 0):
        raise ValueError("GazeTrack.timestamps_us must strictly increase")


def write_gaze_csv(
    path: str | Path,
    track: GazeTrack,
    layout: str = "vergence",
    session_uid: str | None = None,
    ipd_m: float = DEFAULT_IPD_M,
    bound_halfwidth_rad: float = 0.0,
) -> None:
    """Write a :class:`GazeTrack` in an MPS layout, readable back by :func:`read_gaze_csv`.

    Args:
        path: output CSV.
        track: the gaze (rows with ``depth_valid`` False get an empty ``depth_m``).
        layout: "vergence", "legacy_v2", "legacy_v1" or "gen2".
        session_uid: value of the ``session_uid`` column (default: the nil UUID).
        ipd_m: eye separation for the per-eye yaws and eye origins.
        bound_halfwidth_rad: the track has no uncertainty; confidence-bound columns are written
            as value -/+ this half-width (0 -> bounds equal the estimate).

    Vergence: per-eye yaws come from the track's ``left/right_yaw_rad`` when present, else from
    :func:`combined_to_vergence` for rows with valid depth; rows without depth get parallel rays
    (left = right = combined yaw: infinite vergence distance) and an empty depth.
    """
    if layout not in GAZE_LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}; known: {list(GAZE_LAYOUTS)}")
    _validate_track(track)
    n = len(track)
    ts = np.asarray(track.timestamps_us, dtype=np.int64)
    yaw = np.asarray(track.yaw_rad, dtype=np.float64)
    pitch = np.asarray(track.pitch_rad, dtype=np.float64)
    valid = np.asarray(track.depth_valid, dtype=bool)
    depth = np.where(valid, np.asarray(track.depth_m, dtype=np.float64), np.nan)
    uid = session_uid if session_uid is not None else str(uuid.UUID(int=0))
    h = float(bound_halfwidth_rad)
    if track.left_yaw_rad is not None and track.right_yaw_rad is not None:
        left = np.asarray(track.left_yaw_rad, dtype=np.float64)
        right = np.asarray(track.right_yaw_rad, dtype=np.float64)
    else:
        left_v, right_v = combined_to_vergence(yaw, pitch, np.where(valid, depth, 1.0), ipd_m)
        left, right = np.where(valid, left_v, yaw), np.where(valid, right_v, yaw)
    values: dict[str, np.ndarray | str] = {
        TS: ts,
        "yaw_rads_cpf": yaw,
        "pitch_rads_cpf": pitch,
        "depth_m": depth,
        "yaw_low_rads_cpf": yaw - h,
        "pitch_low_rads_cpf": pitch - h,
        "yaw_high_rads_cpf": yaw + h,
        "pitch_high_rads_cpf": pitch + h,
        "left_yaw_rads_cpf": left,
        "right_yaw_rads_cpf": right,
        "left_pitch_rads_cpf": pitch,
        "right_pitch_rads_cpf": pitch,
        "left_yaw_low_rads_cpf": left - h,
        "right_yaw_low_rads_cpf": right - h,
        "left_yaw_high_rads_cpf": left + h,
        "right_yaw_high_rads_cpf": right + h,
        "tx_left_eye_cpf": repr(ipd_m / 2),
        "tx_right_eye_cpf": repr(-ipd_m / 2),
        "ty_left_eye_cpf": "0.0",
        "tz_left_eye_cpf": "0.0",
        "ty_right_eye_cpf": "0.0",
        "tz_right_eye_cpf": "0.0",
        "session_uid": uid,
    }
    header = GAZE_LAYOUTS[layout]
    cells: list[list[str] | str] = []
    for name in header:
        v = values[name]
        if isinstance(v, str):
            cells.append(v)
        elif name == TS:
            cells.append(list(map(str, v.tolist())))
        else:
            cells.append(format_float_column(v))
    write_csv_columns(path, header, cells, n)
