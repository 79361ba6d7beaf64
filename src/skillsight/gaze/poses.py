"""Device poses at query times from a trajectory: interpolation (lerp + slerp) or nearest lookup."""

from __future__ import annotations

from typing import Literal

import numpy as np

from skillsight.gaze.geometry import slerp_xyzw
from skillsight.gaze.tracks import Trajectory

__all__ = ["DEFAULT_MAX_GAP_US", "pose_at"]


#: Largest spacing of the two trajectory samples around a query for its pose to count as valid.
DEFAULT_MAX_GAP_US = 100_000


def pose_at(
    traj: Trajectory,
    timestamps_us: np.ndarray,
    mode: Literal["interpolate", "nearest"] = "interpolate",
    max_gap_us: int = DEFAULT_MAX_GAP_US,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Device poses at query times (never extrapolated).

    Args:
        traj: the trajectory.
        timestamps_us: (M,) query times on the device clock.
        mode: "interpolate": linear in translation, slerp in rotation between the two samples
            around each query, valid when they are at most ``max_gap_us`` apart;
            "nearest": the closest sample, valid when it is at most ``max_gap_us`` away (also
            for queries just outside the trajectory: that is a lookup, not an extrapolation).
        max_gap_us: see ``mode``.

    Returns:
        t_world_device_m (M, 3), q_world_device_xyzw (M, 4), valid (M,) bool. Queries before the
        first or after the last sample (interpolate) or across a gap are invalid and hold NaN.
    """
    if mode not in ("interpolate", "nearest"):
        raise ValueError(f"mode must be 'interpolate' or 'nearest', got {mode!r}")
    ts = np.asarray(traj.timestamps_us, dtype=np.int64)
    raw_query = np.asarray(timestamps_us).reshape(-1)
    whole = (
        np.isfinite(raw_query) & (raw_query == np.round(raw_query)) if raw_query.dtype.kind == "f" else True
    )
    if not np.all(whole):
        raise ValueError("timestamps_us must be whole microseconds (got fractional or non-finite values)")
    query = raw_query.astype(np.int64)
    m = query.shape[0]
    t_out = np.full((m, 3), np.nan)
    q_out = np.full((m, 4), np.nan)
    if len(ts) == 0 or m == 0:
        return t_out, q_out, np.zeros(m, dtype=bool)
    inside = (query >= ts[0]) & (query <= ts[-1])
    right = np.clip(np.searchsorted(ts, query, side="left"), 0, len(ts) - 1)  # first sample >= query
    left = np.clip(right - 1, 0, len(ts) - 1)
    exact = ts[right] == query
    left = np.where(exact, right, left)
    if mode == "nearest":
        pick = np.where(np.abs(query - ts[left]) <= np.abs(ts[right] - query), left, right)
        # a lookup, not an extrapolation: a query just before the first (after the last) sample may
        # take it when it is within max_gap_us (real gaze files start a few us before the trajectory)
        valid = np.abs(ts[pick] - query) <= max_gap_us
        t_out[valid] = traj.t_world_device_m[pick[valid]]
        q_out[valid] = traj.q_world_device_xyzw[pick[valid]]
        return t_out, q_out, valid
    gap = ts[right] - ts[left]
    valid = inside & (gap <= max_gap_us)
    span = np.where(gap > 0, gap, 1).astype(np.float64)
    alpha = np.where(exact, 0.0, (query - ts[left]) / span)[valid]  # (V,)
    li, ri = left[valid], right[valid]
    t0, t1 = traj.t_world_device_m[li], traj.t_world_device_m[ri]
    t_out[valid] = t0 + alpha[:, None] * (t1 - t0)
    q_out[valid] = slerp_xyzw(traj.q_world_device_xyzw[li], traj.q_world_device_xyzw[ri], alpha)
    return t_out, q_out, valid
