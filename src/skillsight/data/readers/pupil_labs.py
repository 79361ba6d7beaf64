"""Pupil Labs Cloud ``gaze.csv`` (Pupil Invisible / Neon exports) -> :class:`GazeTrack`.

Columns (one row per gaze sample): ``section id, recording id, timestamp [ns], gaze x [px],
gaze y [px], worn, fixation id, blink id, azimuth [deg], elevation [deg]``. Timestamps are UTC
nanoseconds; the steps are NOT regular (a Pupil Invisible alternates ~4 ms and ~8 ms steps).
Azimuth/elevation are degrees in the scene camera's spherical frame (azimuth to the right,
elevation up). ``fixation id`` / ``blink id`` are set on the rows that Pupil Cloud's own detectors put
in a fixation / blink (empty elsewhere).

Conversion to the toolkit's gaze convention (:func:`skillsight.gaze.geometry.gaze_direction_cpf`,
X left, Y up, Z forward, direction ``normalize(tan(yaw), tan(pitch), 1)``): the direction
``(cos el sin az, sin el, cos el cos az)`` (x right) gives ``yaw = -az`` and
``pitch = atan(tan(el) / cos(az))``. The frame is the scene camera's, not Aria's CPF, and there is
no depth. Timestamps become microseconds (floor division of the nanoseconds).

Missing samples: rows with ``worn`` 0 (glasses off) and, by default, blink rows (the eye is closed:
the tracker's angles there are not a gaze) get NaN yaw/pitch, so event detection never spans them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillsight.data.readers.aria_csv import check_strictly_increasing, read_csv_columns
from skillsight.exceptions import DataFormatError
from skillsight.gaze.tracks import GazeTrack

__all__ = ["PUPIL_GAZE_COLUMNS", "PupilGazeRecording", "read_pupil_gaze_csv"]

TS_NS = "timestamp [ns]"
AZ, EL = "azimuth [deg]", "elevation [deg]"
#: Columns the reader needs.
PUPIL_GAZE_COLUMNS: tuple[str, ...] = (
    TS_NS,
    "gaze x [px]",
    "gaze y [px]",
    "worn",
    "fixation id",
    "blink id",
    AZ,
    EL,
)


@dataclass(frozen=True)
class PupilGazeRecording:
    """One Pupil Cloud gaze export.

    Attributes:
        track: the gaze as a GazeTrack (layout "pupil_cloud", scene camera frame, no depth).
        gaze_px: (N, 2) gaze in the scene image (pixels, x right, y down).
        worn: (N,) bool, the glasses were on.
        fixation_id: (N,) int64, the vendor detector's fixation of the row, -1 outside fixations.
        blink_id: (N,) int64, the vendor detector's blink of the row, -1 outside blinks.
    """

    track: GazeTrack
    gaze_px: np.ndarray
    worn: np.ndarray
    fixation_id: np.ndarray
    blink_id: np.ndarray


def _ids(path: Path, name: str, values: np.ndarray) -> np.ndarray:
    ok = np.isnan(values) | ((values >= 0) & (values == np.round(values)))
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise DataFormatError(
            path, name, float(values[i]), f"line {i + 2}: expected a whole id >= 0 or empty"
        )
    return np.where(np.isnan(values), -1, values).astype(np.int64)


def read_pupil_gaze_csv(path: str | Path, blinks_as_missing: bool = True) -> PupilGazeRecording:
    """Read a Pupil Cloud ``gaze.csv``.

    Args:
        path: the CSV.
        blinks_as_missing: give blink rows NaN yaw/pitch (default; see the module docstring).

    Raises:
        DataFormatError: a missing column, an unparsable or non-finite cell, an angle outside
            [-90, 90] degrees, or timestamps that do not strictly increase (naming file, line, field).
    """
    path = Path(path)
    cols = read_csv_columns(
        path,
        PUPIL_GAZE_COLUMNS,
        int_columns=(TS_NS, "worn"),
        nullable_columns=("fixation id", "blink id"),
    )
    t_us = cols[TS_NS] // 1000
    check_strictly_increasing(path, TS_NS, t_us)
    for name in (AZ, EL):
        bad = np.flatnonzero(np.abs(cols[name]) > 90.0)
        if bad.size:
            i = int(bad[0])
            raise DataFormatError(
                path, name, float(cols[name][i]), f"line {i + 2}: angle outside [-90, 90] deg"
            )
    worn = cols["worn"] != 0
    fixation_id = _ids(path, "fixation id", cols["fixation id"])
    blink_id = _ids(path, "blink id", cols["blink id"])
    az, el = np.radians(cols[AZ]), np.radians(cols[EL])
    yaw = -az
    pitch = np.arctan(np.tan(el) / np.cos(az))
    missing = ~worn | ((blink_id >= 0) if blinks_as_missing else False)
    yaw, pitch = np.where(missing, np.nan, yaw), np.where(missing, np.nan, pitch)
    n = t_us.shape[0]
    track = GazeTrack(
        timestamps_us=t_us,
        yaw_rad=yaw,
        pitch_rad=pitch,
        depth_m=np.full(n, np.nan),
        depth_valid=np.zeros(n, dtype=bool),
        layout="pupil_cloud",
        source=str(path),
    )
    gaze_px = np.stack([cols["gaze x [px]"], cols["gaze y [px]"]], axis=1)  # (N, 2)
    return PupilGazeRecording(track, gaze_px, worn, fixation_id, blink_id)
