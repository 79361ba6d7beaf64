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

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.geometry import gaze_direction_cpf
from skillsight.gaze.tracks import GazeTrack
from skillsight.gaze.velocity import (
    default_max_gap_ms,
    interval_velocity_deg_s,
    savgol_velocity_deg_s,
    smoothing_applies,
)

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

#: relative jitter of the sampling interval tolerated before a rate is called too low.
_RATE_TOLERANCE = 0.1
#: velocity smoothing window of I-VT (ms); see the module docstring.
DEFAULT_SMOOTHING_MS = 40.0
#: default I-VT thresholds (deg/s) on smoothed and on interval velocities.
_THRESHOLD_SMOOTHED, _THRESHOLD_INTERVAL = 60.0, 20.0
#: share of gap intervals above which the detectors warn; above 0.5 they refuse.
GAP_WARN_SHARE = 0.1
_GAP_REFUSE_SHARE = 0.5


class GazeQualityWarning(UserWarning):
    """The gaze allows events, but the result may be poor (many gaps, nothing found)."""


@dataclass(frozen=True)
class EventReport:
    """What a detector used and what it saw (printed by benchmarks and CLIs, kept with the events).

    Attributes:
        method: "ivt" | "idt".
        threshold: velocity (deg/s, I-VT) or dispersion (deg, I-DT) threshold used.
        smoothing_ms: velocity window used, None for two-sample interval velocities.
        max_gap_ms: the gap threshold used.
        median_interval_ms: the recording's median sampling interval.
        intervals: number of intervals; gap_intervals: those longer than ``max_gap_ms``.
        missing_samples: samples with NaN yaw or pitch.
    """

    method: str
    threshold: float
    smoothing_ms: float | None
    max_gap_ms: float
    median_interval_ms: float
    intervals: int
    gap_intervals: int
    missing_samples: int

    def format(self) -> str:
        """One line, e.g. for a CLI or a benchmark."""
        smooth = "interval velocity" if self.smoothing_ms is None else f"smoothing {self.smoothing_ms:g} ms"
        return (
            f"{self.method} threshold {self.threshold:g} ({smooth}), gaps > {self.max_gap_ms:g} ms: "
            f"{self.gap_intervals}/{self.intervals} intervals, {self.missing_samples} missing samples"
        )


@dataclass(frozen=True)
class GazeEvents:
    """Detected events of one recording, sorted by onset; every field is an (E,) array.

    Attributes:
        kind: "fixation" | "saccade".
        onset_index, offset_index: int64 sample indices of the first and last sample (inclusive).
        onset_us, offset_us: int64 timestamps of those samples.
        duration_ms: float64 ``(offset_us - onset_us) / 1000``.
        amplitude_deg: angle between the first and last gaze direction.
        peak_velocity_deg_s: largest interval velocity inside the event.
        mean_yaw_rad, mean_pitch_rad: mean gaze angles over the event's samples.
        report: the settings used and the gap counts (:class:`EventReport`).
    """

    kind: np.ndarray
    onset_index: np.ndarray
    offset_index: np.ndarray
    onset_us: np.ndarray
    offset_us: np.ndarray
    duration_ms: np.ndarray
    amplitude_deg: np.ndarray
    peak_velocity_deg_s: np.ndarray
    mean_yaw_rad: np.ndarray
    mean_pitch_rad: np.ndarray
    report: EventReport | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def select(self, kind: str) -> GazeEvents:
        """Only the events of one kind ("fixation" or "saccade")."""
        if kind not in ("fixation", "saccade"):
            raise ConfigError(f"event kind must be 'fixation' or 'saccade', got {kind!r}")
        keep = self.kind == kind
        arrays = {name: getattr(self, name)[keep] for name in self.__dataclass_fields__ if name != "report"}
        return GazeEvents(**arrays, report=self.report)

    @property
    def fixations(self) -> GazeEvents:
        return self.select("fixation")

    @property
    def saccades(self) -> GazeEvents:
        return self.select("saccade")


def _angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between rows of two (M, 3) unit-vector arrays, degrees (atan2 form, exact near 0)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.degrees(np.arctan2(cross, np.sum(a * b, axis=-1)))


def _validate(timestamps_us: np.ndarray, yaw_rad: np.ndarray, pitch_rad: np.ndarray, source: str):
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
    t, yaw, pitch = _validate(timestamps_us, yaw_rad, pitch_rad, "<arrays>")
    return interval_velocity_deg_s(t, yaw, pitch)


def _check_rate(dt_ms: float, minimum_duration: float, name: str) -> None:
    if minimum_duration <= 0:
        raise ConfigError(f"{name}: minimum_duration must be > 0 ms, got {minimum_duration}")
    if dt_ms > minimum_duration * (1.0 + _RATE_TOLERANCE):
        raise ConfigError(
            f"{name}: sampling rate {1e3 / dt_ms:.3g} Hz (median interval {dt_ms:.1f} ms) is too low for "
            f"minimum_duration={minimum_duration} ms: one interval is longer than the shortest event asked "
            f"for. Pass minimum_duration >= {dt_ms:.0f} ms or use gaze sampled at >= "
            f"{1e3 / minimum_duration:.3g} Hz."
        )


def _interval_validity(
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


def _warn_if_empty(events: GazeEvents, t: np.ndarray, valid: np.ndarray, name: str) -> None:
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


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and exclusive stops of the runs of True in a 1-D bool array."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _build(
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


def _long_enough(
    t: np.ndarray, a: np.ndarray, b: np.ndarray, minimum_duration: float, dt_ms: float
) -> np.ndarray:
    return (b > a) & ((t[b] - t[a]) / 1e3 >= minimum_duration - 0.5 * dt_ms)


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
    t, yaw, pitch = _validate(timestamps_us, yaw_rad, pitch_rad, source)
    dt_ms = median_interval_ms(t)
    _check_rate(dt_ms, minimum_duration, "detect_ivt")
    if smoothing_ms is not None and not smoothing_ms > 0:
        raise ConfigError(f"detect_ivt: smoothing_ms must be > 0 ms or None, got {smoothing_ms}")
    smooth = smoothing_applies(smoothing_ms, dt_ms)
    window_ms = smoothing_ms if smooth else None  # the velocity window actually used
    if velocity_threshold is None:
        velocity_threshold = _THRESHOLD_SMOOTHED if smooth else _THRESHOLD_INTERVAL
    if not velocity_threshold > 0:
        raise ConfigError(f"detect_ivt: velocity_threshold must be > 0 deg/s, got {velocity_threshold}")
    name = f"detect_ivt({source})" if source else "detect_ivt"
    valid, gap_ms, n_gaps = _interval_validity(t, yaw, pitch, max_gap_ms, dt_ms, name)
    if window_ms is not None:
        per_sample = savgol_velocity_deg_s(t, yaw, pitch, float(window_ms), gap_ms)  # (N,)
        velocity = 0.5 * (per_sample[:-1] + per_sample[1:])  # (N-1,)
    else:
        velocity = interval_velocity_deg_s(t, yaw, pitch)
    valid &= np.isfinite(velocity)
    velocity = np.where(valid, velocity, np.nan)  # (N-1,)
    slow = valid & (velocity < velocity_threshold)
    fast = valid & (velocity >= velocity_threshold)
    fa, fb = _runs(slow)  # intervals fa..fb-1 -> samples fa..fb
    keep = _long_enough(t, fa, fb, minimum_duration, dt_ms)
    fa, fb = fa[keep], fb[keep]
    sa, sb = _runs(fast)
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
    events = _build(
        kinds, np.concatenate([fa, sa]), np.concatenate([fb, sb]), t, yaw, pitch, velocity, report
    )
    _warn_if_empty(events, t, valid, name)
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
    t, yaw, pitch = _validate(timestamps_us, yaw_rad, pitch_rad, source)
    if not dispersion_threshold > 0:
        raise ConfigError(f"detect_idt: dispersion_threshold must be > 0 deg, got {dispersion_threshold}")
    dt_ms = median_interval_ms(t)
    _check_rate(dt_ms, minimum_duration, "detect_idt")
    name = f"detect_idt({source})" if source else "detect_idt"
    valid, gap_ms, n_gaps = _interval_validity(t, yaw, pitch, max_gap_ms, dt_ms, name)  # (N-1,)
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
    events = _build(kinds, a_all, b_all, t, yaw, pitch, velocity, report)
    _warn_if_empty(events, t, valid, name)
    return events


def detect_events(track: GazeTrack, method: str = "ivt", **kwargs: float | None) -> GazeEvents:
    """Run ``detect_ivt`` or ``detect_idt`` on a GazeTrack (keyword arguments go to the detector)."""
    detectors: dict[str, Callable[..., GazeEvents]] = {"ivt": detect_ivt, "idt": detect_idt}
    if method not in detectors:
        raise ConfigError(f"unknown event detection method {method!r}; valid: {sorted(detectors)}")
    detect = detectors[method]
    return detect(track.timestamps_us, track.yaw_rad, track.pitch_rad, source=track.source, **kwargs)
