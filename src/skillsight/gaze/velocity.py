"""Angular gaze velocity and the timing rules event detection shares (numpy only).

Two velocity estimates, both in deg/s, both on the REAL timestamps (wearable trackers deliver jittered
steps, e.g. Pupil Invisible alternates ~4 ms and ~8 ms steps, so a fixed sampling rate is never assumed):

* :func:`interval_velocity_deg_s`: the angle between two consecutive gaze directions over their time
  step, one value per interval (N-1). Exact, unsmoothed: what low-rate gaze (Aria's 10 Hz) needs.
* :func:`savgol_velocity_deg_s`: a Savitzky-Golay-style local quadratic fit, in time, of the unit gaze
  direction over the samples within ``window_ms`` of each sample; the speed of the fitted direction at
  the centre sample is its angular velocity (one value per sample, N). This is the smoothing real
  high-rate data needs (pymovements offers the fixed-rate Savitzky-Golay filter for the same reason);
  fitting in time instead of in sample index keeps it correct on jittered timestamps. A sample whose
  window holds fewer than 2 usable samples (NaN neighbours and gaps are left out of every window) has
  a NaN velocity.

Gap rule (:func:`default_max_gap_ms`): an interval longer than ``max(2.5 x median interval, 20 ms)``
is a gap (tracking lost): events never span it. 2.5 periods bridge one dropped sample (the same rule
as :data:`skillsight.gaze.resample.DEFAULT_MAX_GAP_US` at 10 Hz: 250 ms); the 20 ms floor keeps the
long steps of jittered high-rate trackers (8 ms steps in a 4 ms median) from being called gaps.
"""

from __future__ import annotations

import numpy as np

from skillsight.gaze.geometry import gaze_direction_cpf

__all__ = [
    "GAP_FLOOR_MS",
    "GAP_PERIODS",
    "default_max_gap_ms",
    "interval_velocity_deg_s",
    "savgol_velocity_deg_s",
    "smoothing_applies",
]

#: intervals longer than this many median intervals are gaps (with the floor below).
GAP_PERIODS = 2.5
#: ... but never a shorter interval than this (ms): jittered high-rate trackers.
GAP_FLOOR_MS = 20.0
#: the local fit needs this many samples in a typical window, else velocities stay per interval.
MIN_SMOOTHING_SAMPLES = 5
_CHUNK = 65_536  # samples per block of the local fit (bounds memory on long recordings)
_MAX_HALF_WIDTH = 64  # samples either side of the centre at most


def default_max_gap_ms(median_interval_ms: float) -> float:
    """The default gap threshold (module docstring) for a recording's median interval."""
    return max(GAP_PERIODS * float(median_interval_ms), GAP_FLOOR_MS)


def smoothing_applies(window_ms: float | None, median_interval_ms: float) -> bool:
    """Whether a ``window_ms`` window holds at least :data:`MIN_SMOOTHING_SAMPLES` typical samples."""
    if window_ms is None:
        return False
    return window_ms / median_interval_ms + 1.0 >= MIN_SMOOTHING_SAMPLES


def interval_velocity_deg_s(t_us: np.ndarray, yaw_rad: np.ndarray, pitch_rad: np.ndarray) -> np.ndarray:
    """(N-1,) angle between consecutive gaze directions over their time step; NaN next to a NaN sample."""
    d = gaze_direction_cpf(yaw_rad, pitch_rad)  # (N, 3)
    cross = np.linalg.norm(np.cross(d[:-1], d[1:]), axis=-1)
    angle = np.degrees(np.arctan2(cross, np.sum(d[:-1] * d[1:], axis=-1)))
    return angle / (np.diff(t_us).astype(np.float64) / 1e6)


def savgol_velocity_deg_s(
    t_us: np.ndarray,
    yaw_rad: np.ndarray,
    pitch_rad: np.ndarray,
    window_ms: float,
    max_gap_ms: float,
) -> np.ndarray:
    """(N,) angular speed of a local quadratic fit (in time) of the gaze direction at each sample.

    Args:
        t_us: (N,) strictly increasing int64 microseconds.
        yaw_rad, pitch_rad: (N,) gaze angles; NaN = missing sample (left out of every window).
        window_ms: full window length; samples within ``window_ms / 2`` of the centre take part
            (at least one neighbour on each side where one exists).
        max_gap_ms: windows never reach across an interval longer than this.

    Returns:
        (N,) deg/s; NaN for missing samples and for samples with no usable neighbour.
    """
    t = np.asarray(t_us, dtype=np.int64)
    n = t.shape[0]
    d = gaze_direction_cpf(yaw_rad, pitch_rad)  # (N, 3), NaN rows where missing
    finite = np.isfinite(d).all(axis=1)
    # segment id: increments after every gap and around every missing sample, so windows stay inside one
    breaks = np.concatenate([[False], (np.diff(t) / 1e3 > max_gap_ms) | ~finite[1:] | ~finite[:-1]])
    segment = np.cumsum(breaks)
    half_us = max(float(window_ms) * 500.0, 0.0)
    lo = np.searchsorted(t, t - half_us, side="left")
    hi = np.searchsorted(t, t + half_us, side="right") - 1
    lo = np.minimum(lo, np.maximum(np.arange(n) - 1, 0))  # at least one neighbour each side
    hi = np.maximum(hi, np.minimum(np.arange(n) + 1, n - 1))
    half = int(min(_MAX_HALF_WIDTH, max(1, np.max(np.arange(n) - lo), np.max(hi - np.arange(n)))))
    offsets = np.arange(-half, half + 1)
    out = np.full(n, np.nan)
    d0 = np.nan_to_num(d)
    for start in range(0, n, _CHUNK):
        centre = np.arange(start, min(n, start + _CHUNK))  # (M,)
        idx = centre[:, None] + offsets[None, :]  # (M, W)
        inside = (idx >= lo[centre, None]) & (idx <= hi[centre, None])
        idx_c = np.clip(idx, 0, n - 1)
        member = inside & finite[idx_c] & (segment[idx_c] == segment[centre, None]) & finite[centre, None]
        dt_ms = (t[idx_c] - t[centre, None]).astype(np.float64) / 1e3  # (M, W) ms, well conditioned
        w = member.astype(np.float64)
        basis = np.stack([np.ones_like(dt_ms), dt_ms, dt_ms**2], axis=-1) * w[..., None]  # (M, W, 3)
        normal = np.einsum("mwi,mwj->mij", basis, basis)  # (M, 3, 3)
        normal += np.diag([0.0, 1e-9, 1e-6])  # a 2-sample window becomes a line fit, never singular
        rhs = np.einsum("mwi,mwc->mic", basis, d0[idx_c])  # (M, 3, 3 components)
        usable = member.sum(axis=1) >= 2
        normal[~usable] = np.eye(3)
        coef = np.linalg.solve(normal, rhs)  # (M, 3 coefficients, 3 components)
        slope = coef[:, 1, :]  # derivative of each component at the centre, per ms
        speed = np.degrees(np.linalg.norm(slope, axis=1)) * 1e3  # rad/ms -> deg/s
        out[centre] = np.where(usable, speed, np.nan)
    return out
