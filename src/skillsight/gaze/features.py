"""Per-recording gaze statistics: fixations, saccades and gaze depth.

Every value is a float so the result can go straight into a table or a JSON file. Statistics of
an empty set (no fixation, no valid depth) are NaN, never 0: a recording with no saccades does not
have saccades of amplitude 0. Counts are exact integers stored as floats.
"""

from __future__ import annotations

import numpy as np

from skillsight.exceptions import DataFormatError
from skillsight.gaze.events import detect_events, median_interval_ms
from skillsight.gaze.tracks import GazeTrack

__all__ = ["FEATURE_NAMES", "gaze_features"]

#: keys of the dict returned by :func:`gaze_features`, in order.
FEATURE_NAMES: tuple[str, ...] = (
    "duration_s",
    "sampling_rate_hz",
    "valid_fraction",
    "valid_duration_s",
    "fixation_count",
    "fixation_rate_per_s",
    "fixation_duration_mean_ms",
    "fixation_duration_std_ms",
    "fixation_duration_median_ms",
    "saccade_count",
    "saccade_rate_per_s",
    "saccade_amplitude_mean_deg",
    "saccade_amplitude_std_deg",
    "saccade_amplitude_median_deg",
    "saccade_peak_velocity_mean_deg_s",
    "saccade_peak_velocity_median_deg_s",
    "saccade_peak_velocity_max_deg_s",
    "depth_valid_count",
    "depth_valid_fraction",
    "depth_mean_m",
    "depth_std_m",
    "depth_median_m",
)


def _stat(values: np.ndarray, fn) -> float:
    return float(fn(values)) if values.size else float("nan")


def gaze_features(track: GazeTrack, method: str = "ivt", **detector_kwargs: float) -> dict[str, float]:
    """Fixation, saccade and depth statistics of one recording.

    Args:
        track: the recording (timestamps strictly increasing; NaN yaw/pitch = missing sample).
        method: "ivt" or "idt" (see :mod:`skillsight.gaze.events`).
        **detector_kwargs: passed to the detector (e.g. ``velocity_threshold=30.0``).

    Returns:
        dict keyed by :data:`FEATURE_NAMES`:

        * ``duration_s``: last minus first timestamp; ``sampling_rate_hz``: 1 / median interval.
        * ``valid_fraction``: share of samples with finite yaw and pitch; ``valid_duration_s``: summed
          length of the intervals whose two samples are valid. Rates are per second of *valid* gaze
          (``fixation_rate_per_s = fixation_count / valid_duration_s``), so missing stretches do not
          lower them.
        * fixation duration mean/std (ddof 0)/median in ms; saccade amplitude mean/std/median in
          degrees, peak velocity mean/median/max in deg/s.
        * depth over samples with ``depth_valid`` and a finite ``depth_m``: count, fraction of all
          samples, mean/std (ddof 0)/median in metres.

    Raises:
        DataFormatError: fewer than 2 samples, mismatched depth arrays or bad timestamps.
        ConfigError: from the detector (unknown method, sampling rate too low for its thresholds).
    """
    n = len(track)
    if n < 2:
        raise DataFormatError(track.source, "timestamps_us", n, "gaze features need at least 2 samples")
    depth = np.asarray(track.depth_m, dtype=np.float64)
    depth_valid = np.asarray(track.depth_valid, dtype=bool)
    if depth.shape != (n,) or depth_valid.shape != (n,):
        raise DataFormatError(
            track.source,
            "depth_m/depth_valid",
            (depth.shape, depth_valid.shape),
            f"expected shape ({n},) like timestamps_us",
        )
    events = detect_events(track, method, **detector_kwargs)

    t = np.asarray(track.timestamps_us, dtype=np.int64)
    finite = np.isfinite(track.yaw_rad) & np.isfinite(track.pitch_rad)  # (N,)
    both = finite[:-1] & finite[1:]
    valid_duration_s = float(np.diff(t)[both].sum()) / 1e6
    fix, sac = events.fixations, events.saccades
    per_s = (lambda count: count / valid_duration_s) if valid_duration_s > 0 else (lambda count: float("nan"))

    good_depth = depth[depth_valid & np.isfinite(depth)]
    out = {
        "duration_s": float(t[-1] - t[0]) / 1e6,
        "sampling_rate_hz": 1e3 / median_interval_ms(t),
        "valid_fraction": float(finite.mean()),
        "valid_duration_s": valid_duration_s,
        "fixation_count": float(len(fix)),
        "fixation_rate_per_s": per_s(float(len(fix))),
        "fixation_duration_mean_ms": _stat(fix.duration_ms, np.mean),
        "fixation_duration_std_ms": _stat(fix.duration_ms, np.std),
        "fixation_duration_median_ms": _stat(fix.duration_ms, np.median),
        "saccade_count": float(len(sac)),
        "saccade_rate_per_s": per_s(float(len(sac))),
        "saccade_amplitude_mean_deg": _stat(sac.amplitude_deg, np.mean),
        "saccade_amplitude_std_deg": _stat(sac.amplitude_deg, np.std),
        "saccade_amplitude_median_deg": _stat(sac.amplitude_deg, np.median),
        "saccade_peak_velocity_mean_deg_s": _stat(sac.peak_velocity_deg_s, np.mean),
        "saccade_peak_velocity_median_deg_s": _stat(sac.peak_velocity_deg_s, np.median),
        "saccade_peak_velocity_max_deg_s": _stat(sac.peak_velocity_deg_s, np.max),
        "depth_valid_count": float(good_depth.size),
        "depth_valid_fraction": float(good_depth.size) / n,
        "depth_mean_m": _stat(good_depth, np.mean),
        "depth_std_m": _stat(good_depth, np.std),
        "depth_median_m": _stat(good_depth, np.median),
    }
    assert tuple(out) == FEATURE_NAMES
    return out
