"""Resample gaze (10 Hz in Ego-Exo4D) at clip-frame timestamps, and gather what a clip needs.

:func:`resample_track` is plain linear interpolation that refuses to bridge gaps: a query is invalid
when it falls before the first or after the last sample, or between two samples further apart than
``max_gap_us`` (default 250 ms: 2.5 periods of 10 Hz gaze, so one dropped sample is bridged but a
blink or tracking loss of 3+ samples is not). :func:`gaze_samples_at` turns a recording's gaze,
trajectory, 2D gaze and calibration into the raw per-step arrays of a clip (:class:`GazeSamples`),
which :func:`skillsight.gaze.normalize.normalize_clip_gaze` turns into model inputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import numpy as np

from skillsight.data.records import DeviceCalibration, Gaze2DTrack, GazeTrack, Trajectory
from skillsight.exceptions import DataFormatError

__all__ = ["DEFAULT_MAX_GAP_US", "GazeSamples", "resample_track", "gaze_samples_at"]

#: Longest gap between two gaze samples that interpolation bridges (microseconds).
DEFAULT_MAX_GAP_US = 250_000


@dataclass(frozen=True)
class GazeSamples:
    """Raw gaze of one clip at its frame timestamps (before per-clip normalisation).

    "Head" is the Central Pupil Frame (CPF): its pose in the world is
    ``T_world_cpf = T_world_device @ T_device_cpf``. Without a trajectory the world frame is the
    device frame and the head is assumed static (``head_*`` = ``T_device_cpf``, ``pose_valid`` all
    False, ``has_trajectory`` False).

    Attributes:
        timestamps_us: (T,) int64 query times (device clock).
        dir_cpf: (T, 3) unit gaze direction in CPF; NaN where ``gaze_valid`` is False.
        depth_m: (T,) gaze depth; NaN where ``depth_valid`` is False.
        point_cpf_m: (T, 3) gaze point in CPF at ``depth_m`` (the default depth where it is unknown).
        point_world_m: (T, 3) that point in the world (device frame without a trajectory).
        head_t_world_m: (T, 3) CPF origin in the world; NaN where ``pose_valid`` is False
            (with a trajectory).
        head_q_xyzw: (T, 4) CPF orientation in the world (Hamilton, x y z w).
        gaze2d_px: (T, 2) gaze in the upright RGB image (x right, y down); NaN where invalid.
        gaze_valid: (T,) yaw/pitch observed (within the track, no long gap).
        depth_valid: (T,) depth observed.
        pose_valid: (T,) device pose known (always False without a trajectory).
        gaze2d_valid: (T,) 2D gaze known.
        image_size_px: (width, height) of the image ``gaze2d_px`` refers to.
        has_trajectory: whether a trajectory was given.
    """

    timestamps_us: np.ndarray
    dir_cpf: np.ndarray
    depth_m: np.ndarray
    point_cpf_m: np.ndarray
    point_world_m: np.ndarray
    head_t_world_m: np.ndarray
    head_q_xyzw: np.ndarray
    gaze2d_px: np.ndarray
    gaze_valid: np.ndarray
    depth_valid: np.ndarray
    pose_valid: np.ndarray
    gaze2d_valid: np.ndarray
    image_size_px: tuple[int, int] = (1408, 1408)
    has_trajectory: bool = True

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


def resample_track(timestamps_us: np.ndarray, values: np.ndarray, query_us: np.ndarray,
                   max_gap_us: int = DEFAULT_MAX_GAP_US) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of a multi-channel track at query times, with a validity flag.

    Args:
        timestamps_us: (N,) strictly increasing sample times.
        values: (N, C) samples (NaN allowed: it propagates to the queries that use it).
        query_us: (M,) query times.
        max_gap_us: the longest sample spacing bridged by interpolation.

    Returns:
        values (M, C) float64, NaN where invalid; valid (M,) bool, True where the query lies within
        the track, both neighbours are at most ``max_gap_us`` apart (or the query hits a sample
        exactly) and every interpolated channel is finite.
    """
    ts = np.asarray(timestamps_us, dtype=np.int64)
    vals = np.asarray(values, dtype=np.float64)
    query = np.asarray(query_us, dtype=np.int64)
    if ts.ndim != 1 or vals.ndim != 2 or vals.shape[0] != ts.shape[0]:
        raise DataFormatError("resample_track", "shape", (ts.shape, vals.shape),
                              "expected timestamps (N,) and values (N, C)")
    M, C = query.shape[0], vals.shape[1]
    out = np.full((M, C), np.nan)
    if ts.shape[0] == 0:
        return out, np.zeros(M, dtype=bool)
    if ts.shape[0] > 1 and (np.diff(ts) <= 0).any():
        raise DataFormatError("resample_track", "timestamps_us", ts[:5].tolist(), "not strictly increasing")
    right = np.searchsorted(ts, query, side="left")  # first sample at or after the query
    exact = (right < ts.shape[0]) & (ts[np.minimum(right, ts.shape[0] - 1)] == query)
    inside = (right > 0) & (right < ts.shape[0])
    lo = np.clip(right - 1, 0, ts.shape[0] - 1)
    hi = np.clip(right, 0, ts.shape[0] - 1)
    gap = ts[hi] - ts[lo]
    between = inside & (gap <= max_gap_us)
    weight = np.where(gap > 0, (query - ts[lo]) / np.maximum(gap, 1), 0.0)[:, None]  # (M, 1)
    interpolated = vals[lo] * (1.0 - weight) + vals[hi] * weight  # (M, C)
    out[between] = interpolated[between]
    out[exact] = vals[hi[exact]]
    valid = (between | exact) & np.isfinite(out).all(axis=1)
    out[~valid] = np.nan
    return out, valid
