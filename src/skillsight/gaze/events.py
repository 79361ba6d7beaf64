"""Fixation and saccade detection (I-VT, I-DT) on angular gaze (yaw/pitch in radians).

Parameter names and defaults follow pymovements (``pymovements.events.detection.ivt`` and
``idt``, which take them from Salvucci & Goldberg, ETRA 2000): I-VT ``velocity_threshold=20.0``
deg/s and ``minimum_duration=100`` ms; I-DT ``dispersion_threshold=1.0`` deg (dispersion =
(max - min) of x plus (max - min) of y, here yaw and pitch in degrees) and ``minimum_duration=100``
ms. As in pymovements an event's onset/offset are the timestamps of its first/last sample and its
duration is ``offset - onset``.

Definitions used here (numpy, vectorised over the recording):

* Gaze directions are CPF unit vectors ``normalize(tan(yaw), tan(pitch), 1)`` (Aria MPS convention,
  :func:`skillsight.gaze.geometry.gaze_direction_cpf`). The angular velocity of interval ``k``
  (samples ``k`` -> ``k+1``) is the angle between the two directions over their time step (deg/s).
* An interval is *valid* when both samples have finite yaw and pitch and the time step is at most
  ``max_gap_ms`` (default ``max(2.5 x median interval, 20 ms)``, :mod:`skillsight.gaze.velocity`:
  one dropped sample is bridged, and the jittered steps of real wearable trackers, ~4 and ~8 ms
  alternating on a Pupil Invisible, are not gaps). NaN samples and gaps always break events; they
  are never bridged. When more than half of the intervals are gaps the detectors refuse
  (ConfigError naming the share and the rule); above :data:`GAP_WARN_SHARE` they warn
  (:class:`GazeQualityWarning`), and an empty result over a recording with gaze warns too.
* Velocity (I-VT): with ``smoothing_ms`` (default 40 ms) and at least 5 samples in such a window
  (>= ~100 Hz), each sample's velocity comes from a local quadratic fit in time
  (Savitzky-Golay style, :func:`skillsight.gaze.velocity.savgol_velocity_deg_s`) and an interval's
  velocity is the mean of its two samples'; otherwise (low rates such as Aria's 10 Hz, or
  ``smoothing_ms=None``) it is the exact two-sample interval velocity.
* Threshold defaults target head-mounted trackers (gaze in head coordinates while the head moves):
  ``velocity_threshold=None`` means 60 deg/s on smoothed velocities and 20 deg/s (Salvucci &
  Goldberg, pymovements) on interval velocities, whose long steps already average a saccade away.
  On the real Pupil Invisible recording of ``benchmarks/bench_events.py`` these defaults agree with
  the vendor's fixation detector better than pymovements' best I-VT setting (kappa table there).
  Every result says which settings were used (:attr:`GazeEvents.report`).
* I-VT: a fixation is a maximal run of valid intervals slower than ``velocity_threshold``; a
  saccade is a maximal run of valid intervals at or above it. I-DT (greedy, Salvucci & Goldberg):
  a fixation is a maximal window of valid samples whose dispersion is <= ``dispersion_threshold``;
  the samples between two fixations are a saccade when every interval between them is valid.
* Saccades share their first/last sample with the neighbouring fixations. ``amplitude_deg`` is
  the angle between an event's first and last gaze direction, ``peak_velocity_deg_s`` the largest
  interval velocity inside it (at 10 Hz both are coarse: a 100 ms interval averages over a
  whole saccade).

Low sampling rates (decided policy: adapt, then refuse). Durations are measured on the sample
grid, so a fixation meets ``minimum_duration`` when its duration is at least
``minimum_duration - dt/2`` (dt = median sampling interval) and it always spans at least 2
samples. At 10 Hz with the default 100 ms this accepts 2-sample fixations (100 ms); at 100 Hz it
needs 11 samples (100 ms). When dt is longer than ``minimum_duration`` (10 % jitter allowed) a
single interval already exceeds the shortest event asked for, so the detectors refuse with a
ConfigError naming the rate, the interval and the threshold (e.g. 5 Hz with 100 ms).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from skillsight.exceptions import ConfigError
from skillsight.gaze.event_intervals import (
    GAP_WARN_SHARE,
    angular_velocity_deg_s,
    build_events,
    check_rate,
    interval_validity,
    long_enough,
    median_interval_ms,
    runs_of_true,
    validate_angles,
    warn_if_empty,
)
from skillsight.gaze.event_types import EventReport, GazeEvents, GazeQualityWarning
from skillsight.gaze.tracks import GazeTrack
from skillsight.gaze.velocity import interval_velocity_deg_s, savgol_velocity_deg_s, smoothing_applies

__all__ = [
    "DEFAULT_SMOOTHING_MS",
    "GAP_WARN_SHARE",
    "EventReport",
    "GazeEvents",
    "GazeQualityWarning",
    "angular_velocity_deg_s",
    "detect_events",
    "detect_idt",
    "detect_ivt",
    "median_interval_ms",
]

#: velocity smoothing window of I-VT (ms); see the module docstring.
DEFAULT_SMOOTHING_MS = 40.0
#: default I-VT thresholds (deg/s) on smoothed and on interval velocities.
_THRESHOLD_SMOOTHED, _THRESHOLD_INTERVAL = 60.0, 20.0


def detect_ivt(
    timestamps_us: np.ndarray,
    yaw_rad: np.ndarray,
    pitch_rad: np.ndarray,
    *,
    velocity_threshold: float | None = None,
    minimum_duration: float = 100,
    max_gap_ms: float | None = None,
    smoothing_ms: float | None = DEFAULT_SMOOTHING_MS,
    source: str = "",
) -> GazeEvents:
    """Velocity-threshold identification (I-VT) of fixations and saccades.

    Args:
        timestamps_us: (N,) strictly increasing int64 microseconds.
        yaw_rad, pitch_rad: (N,) gaze angles in radians; NaN = missing sample (breaks events).
        velocity_threshold: deg/s; intervals below it are fixation intervals. None: 60 on smoothed
            velocities, 20 (pymovements' value) on interval velocities (module docstring).
        minimum_duration: shortest fixation in ms (pymovements default 100); adapted to the sample
            grid as described in the module docstring. Saccades have no minimum duration.
        max_gap_ms: longer time steps break events (default max(2.5 x median interval, 20 ms)).
        smoothing_ms: window of the local quadratic velocity fit; None = interval velocities. Used only
            where the window holds >= 5 typical samples (>= ~100 Hz at 40 ms).
        source: file the samples came from, for error messages.

    Returns:
        GazeEvents sorted by onset, with the settings used in ``report``.

    Raises:
        DataFormatError: bad shapes or non-increasing timestamps.
        ConfigError: non-positive thresholds, a sampling rate too low for ``minimum_duration``, or
            more than half of the intervals being gaps.
    """
    t, yaw, pitch = validate_angles(timestamps_us, yaw_rad, pitch_rad, source)
    dt_ms = median_interval_ms(t)
    check_rate(dt_ms, minimum_duration, "detect_ivt")
    if smoothing_ms is not None and not smoothing_ms > 0:
        raise ConfigError(f"detect_ivt: smoothing_ms must be > 0 ms or None, got {smoothing_ms}")
    smooth = smoothing_applies(smoothing_ms, dt_ms)
    window_ms = smoothing_ms if smooth else None  # the velocity window actually used
    if velocity_threshold is None:
        velocity_threshold = _THRESHOLD_SMOOTHED if smooth else _THRESHOLD_INTERVAL
    if not velocity_threshold > 0:
        raise ConfigError(f"detect_ivt: velocity_threshold must be > 0 deg/s, got {velocity_threshold}")
    name = f"detect_ivt({source})" if source else "detect_ivt"
    valid, gap_ms, n_gaps = interval_validity(t, yaw, pitch, max_gap_ms, dt_ms, name)
    if window_ms is not None:
        per_sample = savgol_velocity_deg_s(t, yaw, pitch, float(window_ms), gap_ms)  # (N,)
        velocity = 0.5 * (per_sample[:-1] + per_sample[1:])  # (N-1,)
    else:
        velocity = interval_velocity_deg_s(t, yaw, pitch)
    valid &= np.isfinite(velocity)
    velocity = np.where(valid, velocity, np.nan)  # (N-1,)
    slow = valid & (velocity < velocity_threshold)
    fast = valid & (velocity >= velocity_threshold)
    fa, fb = runs_of_true(slow)  # intervals fa..fb-1 -> samples fa..fb
    keep = long_enough(t, fa, fb, minimum_duration, dt_ms)
    fa, fb = fa[keep], fb[keep]
    sa, sb = runs_of_true(fast)
    kinds = np.array(["fixation"] * fa.size + ["saccade"] * sa.size, dtype="<U8")
    report = EventReport(
        "ivt",
        float(velocity_threshold),
        None if window_ms is None else float(window_ms),
        gap_ms,
        dt_ms,
        int(valid.size),
        n_gaps,
        int((~(np.isfinite(yaw) & np.isfinite(pitch))).sum()),
    )
    events = build_events(
        kinds, np.concatenate([fa, sa]), np.concatenate([fb, sb]), t, yaw, pitch, velocity, report
    )
    warn_if_empty(events, t, valid, name)
    return events


def _first_true(mask: np.ndarray) -> int:
    hit = np.flatnonzero(mask)
    return int(hit[0]) if hit.size else -1


def detect_idt(
    timestamps_us: np.ndarray,
    yaw_rad: np.ndarray,
    pitch_rad: np.ndarray,
    *,
    dispersion_threshold: float = 1.0,
    minimum_duration: float = 100,
    max_gap_ms: float | None = None,
    source: str = "",
) -> GazeEvents:
    """Dispersion-threshold identification (I-DT) of fixations; saccades are the gaps between them.

    The greedy window of Salvucci & Goldberg: a window of the minimum length whose dispersion is
    <= ``dispersion_threshold`` starts a fixation, which grows while the dispersion stays within
    it; the next window starts after it. Window start candidates are found for the whole recording
    at once (sliding max/min filters); the Python loop runs once per fixation, not per sample.

    Args:
        timestamps_us: (N,) strictly increasing int64 microseconds.
        yaw_rad, pitch_rad: (N,) gaze angles in radians; NaN = missing sample (breaks events).
        dispersion_threshold: degrees, (max-min) yaw + (max-min) pitch (pymovements default 1.0).
        minimum_duration: shortest fixation in ms (pymovements default 100), adapted to the sample
            grid: the initial window has max(2, ceil((minimum_duration - dt/2) / dt) + 1) samples.
        max_gap_ms: longer time steps break events (default max(2.5 x median interval, 20 ms)).
        source: file the samples came from, for error messages.

    Returns:
        GazeEvents sorted by onset, with the settings used in ``report``.
    """
    t, yaw, pitch = validate_angles(timestamps_us, yaw_rad, pitch_rad, source)
    if not dispersion_threshold > 0:
        raise ConfigError(f"detect_idt: dispersion_threshold must be > 0 deg, got {dispersion_threshold}")
    dt_ms = median_interval_ms(t)
    check_rate(dt_ms, minimum_duration, "detect_idt")
    name = f"detect_idt({source})" if source else "detect_idt"
    valid, gap_ms, n_gaps = interval_validity(t, yaw, pitch, max_gap_ms, dt_ms, name)  # (N-1,)
    velocity = np.where(valid, angular_velocity_deg_s(t, yaw, pitch), np.nan)
    N = t.shape[0]
    n_min = max(2, int(np.ceil((minimum_duration - 0.5 * dt_ms) / dt_ms - 1e-9)) + 1)
    pos = np.nan_to_num(np.degrees(np.stack([yaw, pitch], axis=1)))  # (N, 2) degrees, NaN masked by `valid`
    fa: list[int] = []
    fb: list[int] = []
    if n_min <= N:
        origin = -(n_min // 2)  # so that filter output [s] covers samples s .. s+n_min-1
        hi = maximum_filter1d(pos, size=n_min, axis=0, origin=origin)
        lo = minimum_filter1d(pos, size=n_min, axis=0, origin=origin)
        starts = N - n_min + 1
        disp = (hi - lo)[:starts].sum(axis=1)  # (starts,) dispersion of window s..s+n_min-1
        bad = np.concatenate([[0], np.cumsum(~valid)])  # invalid intervals before index k
        window_ok = (bad[np.arange(starts) + n_min - 1] - bad[:starts]) == 0
        candidates = np.flatnonzero(window_ok & (disp <= dispersion_threshold))
        s = 0
        while True:
            k = int(np.searchsorted(candidates, s))
            if k >= candidates.size:
                break
            s = int(candidates[k])
            e = s + n_min - 1  # last sample known to belong to the fixation
            chunk = n_min
            while e < N - 1:
                stop = min(N, e + 1 + chunk)
                seg = pos[s:stop]
                extent = (np.maximum.accumulate(seg) - np.minimum.accumulate(seg)).sum(axis=1)
                broken = (extent[e + 1 - s :] > dispersion_threshold) | ~valid[e : stop - 1]
                j = _first_true(broken)
                if j >= 0:
                    e = e + j
                    break
                e = stop - 1
                chunk *= 2
            if (t[e] - t[s]) / 1e3 >= minimum_duration - 0.5 * dt_ms:
                fa.append(s)
                fb.append(e)
            s = e + 1
    fa_arr, fb_arr = np.asarray(fa, dtype=np.int64), np.asarray(fb, dtype=np.int64)
    # Saccades: from the last sample of a fixation to the first of the next, if no invalid interval between.
    sa, sb = fb_arr[:-1], fa_arr[1:]
    if sa.size:
        bad = np.concatenate([[0], np.cumsum(~valid)])
        ok = (bad[sb] - bad[sa]) == 0
        sa, sb = sa[ok], sb[ok]
    kinds = np.array(["fixation"] * fa_arr.size + ["saccade"] * sa.size, dtype="<U8")
    report = EventReport(
        "idt",
        float(dispersion_threshold),
        None,
        gap_ms,
        dt_ms,
        int(valid.size),
        n_gaps,
        int((~(np.isfinite(yaw) & np.isfinite(pitch))).sum()),
    )
    a_all, b_all = np.concatenate([fa_arr, sa]), np.concatenate([fb_arr, sb])
    events = build_events(kinds, a_all, b_all, t, yaw, pitch, velocity, report)
    warn_if_empty(events, t, valid, name)
    return events


def detect_events(track: GazeTrack, method: str = "ivt", **kwargs: float | None) -> GazeEvents:
    """Run ``detect_ivt`` or ``detect_idt`` on a GazeTrack (keyword arguments go to the detector)."""
    detectors: dict[str, Callable[..., GazeEvents]] = {"ivt": detect_ivt, "idt": detect_idt}
    if method not in detectors:
        raise ConfigError(f"unknown event detection method {method!r}; valid: {sorted(detectors)}")
    detect = detectors[method]
    return detect(track.timestamps_us, track.yaw_rad, track.pitch_rad, source=track.source, **kwargs)
