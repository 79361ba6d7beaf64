"""Shared machinery of the I-VT and I-DT detectors: input checks, the gap rule, runs and event building.

The policies (gap rule, refusal of low rates, warnings) are documented in :mod:`skillsight.gaze.events`.
"""

from __future__ import annotations

import warnings

import numpy as np

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.event_types import EventReport, GazeEvents, GazeQualityWarning
from skillsight.gaze.geometry import gaze_direction_cpf
from skillsight.gaze.velocity import default_max_gap_ms, interval_velocity_deg_s

__all__ = [
    "GAP_WARN_SHARE",
    "angular_velocity_deg_s",
    "build_events",
    "check_rate",
    "interval_validity",
    "long_enough",
    "median_interval_ms",
    "runs_of_true",
    "validate_angles",
    "warn_if_empty",
]

#: relative jitter of the sampling interval tolerated before a rate is called too low.
_RATE_TOLERANCE = 0.1
#: share of gap intervals above which the detectors warn; above 0.5 they refuse.
GAP_WARN_SHARE = 0.1
_GAP_REFUSE_SHARE = 0.5


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between rows of two (M, 3) unit-vector arrays, degrees (atan2 form, exact near 0)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1)))


def validate_angles(
    timestamps_us: np.ndarray, yaw_rad: np.ndarray, pitch_rad: np.ndarray, source: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """int64 timestamps and float64 yaw/pitch, or a DataFormatError naming the bad field."""
    t = np.asarray(timestamps_us)
    yaw = np.asarray(yaw_rad, dtype=np.float64)
    pitch = np.asarray(pitch_rad, dtype=np.float64)
    if t.ndim != 1 or yaw.shape != t.shape or pitch.shape != t.shape:
        raise DataFormatError(
            source,
            "timestamps_us/yaw_rad/pitch_rad",
            (t.shape, yaw.shape, pitch.shape),
            "expected three 1-D arrays of the same length",
        )
    if t.shape[0] < 2:
        raise DataFormatError(
            source, "timestamps_us", int(t.shape[0]), "event detection needs at least 2 samples"
        )
    if not np.issubdtype(t.dtype, np.integer):
        raise DataFormatError(
            source, "timestamps_us", str(t.dtype), "timestamps must be integer microseconds"
        )
    bad = np.flatnonzero(np.diff(t) <= 0)
    if bad.size:
        i = int(bad[0])
        raise DataFormatError(
            source,
            "timestamps_us",
            (int(t[i]), int(t[i + 1])),
            f"timestamps must be strictly increasing (row {i + 1}; {bad.size} bad steps)",
        )
    return t.astype(np.int64), yaw, pitch


def median_interval_ms(timestamps_us: np.ndarray) -> float:
    """Median sampling interval in milliseconds."""
    return float(np.median(np.diff(np.asarray(timestamps_us, dtype=np.int64)))) / 1e3


def angular_velocity_deg_s(
    timestamps_us: np.ndarray, yaw_rad: np.ndarray, pitch_rad: np.ndarray
) -> np.ndarray:
    """Angular speed of each interval between consecutive samples.

    Args:
        timestamps_us: (N,) strictly increasing int64.
        yaw_rad, pitch_rad: (N,) gaze angles; NaN marks a missing sample.

    Returns:
        (N-1,) float64 deg/s; NaN where either sample of the interval is NaN.
    """
    t, yaw, pitch = validate_angles(timestamps_us, yaw_rad, pitch_rad, "<arrays>")
    return interval_velocity_deg_s(t, yaw, pitch)


def check_rate(dt_ms: float, minimum_duration: float, name: str) -> None:
    if minimum_duration <= 0:
        raise ConfigError(f"{name}: minimum_duration must be > 0 ms, got {minimum_duration}")
    if dt_ms > minimum_duration * (1.0 + _RATE_TOLERANCE):
        raise ConfigError(
            f"{name}: sampling rate {1e3 / dt_ms:.3g} Hz (median interval {dt_ms:.1f} ms) is too low for "
            f"minimum_duration={minimum_duration} ms: one interval is longer than the shortest event asked "
            f"for. Pass minimum_duration >= {dt_ms:.0f} ms or use gaze sampled at >= "
            f"{1e3 / minimum_duration:.3g} Hz."
        )


def interval_validity(
    t: np.ndarray, yaw: np.ndarray, pitch: np.ndarray, max_gap_ms: float | None, dt_ms: float, name: str
) -> tuple[np.ndarray, float, int]:
    """(N-1,) valid intervals, the gap threshold used, and the number of gap intervals."""
    finite = np.isfinite(yaw) & np.isfinite(pitch)  # (N,)
    gap_ms = default_max_gap_ms(dt_ms) if max_gap_ms is None else float(max_gap_ms)
    if not gap_ms > 0:
        raise ConfigError(f"max_gap_ms must be > 0, got {max_gap_ms}")
    steps_ms = np.diff(t) / 1e3
    gaps = steps_ms > gap_ms
    n_gaps = int(gaps.sum())
    share = n_gaps / max(1, gaps.size)
    rule = "max_gap_ms" if max_gap_ms is not None else "the default max(2.5 x median, 20 ms)"
    rule += f" = {gap_ms:.3g} ms"
    detail = (
        f"{n_gaps} of {gaps.size} intervals ({100 * share:.0f} %) are longer than {rule} "
        f"(median interval {dt_ms:.3g} ms, 95th percentile {np.percentile(steps_ms, 95):.3g} ms)"
    )
    if share > _GAP_REFUSE_SHARE:
        raise ConfigError(
            f"{name}: {detail}; events cannot span gaps, so the result would be nearly empty. "
            f"Check the timestamps' unit (microseconds) or pass a larger max_gap_ms."
        )
    if share > GAP_WARN_SHARE:
        warnings.warn(f"{name}: {detail}; events break at every gap", GazeQualityWarning, stacklevel=3)
    return finite[:-1] & finite[1:] & ~gaps, gap_ms, n_gaps  # (N-1,)


def warn_if_empty(events: GazeEvents, t: np.ndarray, valid: np.ndarray, name: str) -> None:
    """An empty fixation list over >= 1 s (or >= 100 intervals) of usable gaze is worth a word."""
    usable_s = float(np.diff(t)[valid].sum()) / 1e6
    n_valid = int(valid.sum())
    if len(events.fixations) == 0 and (usable_s >= 1.0 or n_valid >= 100) and events.report is not None:
        warnings.warn(
            f"{name}: no fixation found in {usable_s:.1f} s ({n_valid} intervals) of usable gaze "
            f"({events.report.format()}); are the timestamps microseconds?",
            GazeQualityWarning,
            stacklevel=3,
        )


def runs_of_true(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and exclusive stops of the runs of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def build_events(
    kinds: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    t: np.ndarray,
    yaw: np.ndarray,
    pitch: np.ndarray,
    velocity: np.ndarray,
    report: EventReport | None = None,
) -> GazeEvents:
    """Events spanning samples a..b (inclusive, a < b, no invalid interval inside)."""
    order = np.lexsort((b, a))
    kinds, a, b = kinds[order], a[order].astype(np.int64), b[order].astype(np.int64)
    d = gaze_direction_cpf(yaw, pitch)
    if a.size:
        v = np.concatenate([np.nan_to_num(velocity, nan=-np.inf), [-np.inf]])
        peak = np.maximum.reduceat(v, np.stack([a, b], axis=1).ravel())[::2]  # max over intervals a..b-1
        n = (b - a + 1).astype(np.float64)
        cy = np.concatenate([[0.0], np.cumsum(np.nan_to_num(yaw))])
        cp = np.concatenate([[0.0], np.cumsum(np.nan_to_num(pitch))])
        mean_yaw, mean_pitch = (cy[b + 1] - cy[a]) / n, (cp[b + 1] - cp[a]) / n
        amplitude = _angle_deg(d[a], d[b])
    else:
        peak = amplitude = mean_yaw = mean_pitch = np.zeros(0)
    return GazeEvents(
        kind=kinds.astype("<U8"),
        onset_index=a,
        offset_index=b,
        onset_us=t[a],
        offset_us=t[b],
        duration_ms=(t[b] - t[a]).astype(np.float64) / 1e3,
        amplitude_deg=amplitude,
        peak_velocity_deg_s=peak,
        mean_yaw_rad=mean_yaw,
        mean_pitch_rad=mean_pitch,
        report=report,
    )


def long_enough(
    t: np.ndarray, a: np.ndarray, b: np.ndarray, minimum_duration: float, dt_ms: float
) -> np.ndarray:
    return (b > a) & ((t[b] - t[a]) / 1e3 >= minimum_duration - 0.5 * dt_ms)
