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
  ``max_gap_ms`` (default 1.5 x the median interval, so one dropped sample breaks an event). NaN
  samples and gaps always break events; they are never bridged.
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

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d, minimum_filter1d

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.geometry import gaze_direction_cpf
from skillsight.gaze.tracks import GazeTrack

__all__ = [
    "GazeEvents",
    "angular_velocity_deg_s",
    "detect_events",
    "detect_idt",
    "detect_ivt",
    "median_interval_ms",
]

#: relative jitter of the sampling interval tolerated before a rate is called too low.
_RATE_TOLERANCE = 0.1
#: default gap: intervals longer than this many median intervals break events.
_GAP_FACTOR = 1.5


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

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def select(self, kind: str) -> GazeEvents:
        """Only the events of one kind ("fixation" or "saccade")."""
        if kind not in ("fixation", "saccade"):
            raise ConfigError(f"event kind must be 'fixation' or 'saccade', got {kind!r}")
        keep = self.kind == kind
        return GazeEvents(**{name: getattr(self, name)[keep] for name in self.__dataclass_fields__})

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
    d = gaze_direction_cpf(yaw, pitch)  # (N, 3)
    dt_s = np.diff(t).astype(np.float64) / 1e6
    return _angle_deg(d[:-1], d[1:]) / dt_s


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
    t: np.ndarray, yaw: np.ndarray, pitch: np.ndarray, max_gap_ms: float | None, dt_ms: float
) -> np.ndarray:
    finite = np.isfinite(yaw) & np.isfinite(pitch)  # (N,)
    gap_ms = _GAP_FACTOR * dt_ms if max_gap_ms is None else float(max_gap_ms)
    if gap_ms <= 0:
        raise ConfigError(f"max_gap_ms must be > 0, got {max_gap_ms}")
    return finite[:-1] & finite[1:] & (np.diff(t) / 1e3 <= gap_ms)  # (N-1,)


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
    velocity_threshold: float = 20.0,
    minimum_duration: float = 100,
    max_gap_ms: float | None = None,
    source: str = "",
) -> GazeEvents:
    """Velocity-threshold identification (I-VT) of fixations and saccades.

    Args:
        timestamps_us: (N,) strictly increasing int64 microseconds.
        yaw_rad, pitch_rad: (N,) gaze angles in radians; NaN = missing sample (breaks events).
        velocity_threshold: deg/s; intervals below it are fixation intervals (pymovements default 20.0).
        minimum_duration: shortest fixation in ms (pymovements default 100); adapted to the sample
            grid as described in the module docstring. Saccades have no minimum duration.
        max_gap_ms: longer time steps break events (default 1.5 x the median interval).
        source: file the samples came from, for error messages.

    Returns:
        GazeEvents sorted by onset.

    Raises:
        DataFormatError: bad shapes or non-increasing timestamps.
        ConfigError: non-positive thresholds, or a sampling rate too low for ``minimum_duration``.
    """
    t, yaw, pitch = _validate(timestamps_us, yaw_rad, pitch_rad, source)
    if not velocity_threshold > 0:
        raise ConfigError(f"detect_ivt: velocity_threshold must be > 0 deg/s, got {velocity_threshold}")
    dt_ms = median_interval_ms(t)
    _check_rate(dt_ms, minimum_duration, "detect_ivt")
    valid = _interval_validity(t, yaw, pitch, max_gap_ms, dt_ms)
    velocity = np.where(valid, angular_velocity_deg_s(t, yaw, pitch), np.nan)  # (N-1,)
    slow = valid & (velocity < velocity_threshold)
    fast = valid & (velocity >= velocity_threshold)
    fa, fb = _runs(slow)  # intervals fa..fb-1 -> samples fa..fb
    keep = _long_enough(t, fa, fb, minimum_duration, dt_ms)
    fa, fb = fa[keep], fb[keep]
    sa, sb = _runs(fast)
    kinds = np.array(["fixation"] * fa.size + ["saccade"] * sa.size, dtype="<U8")
    return _build(kinds, np.concatenate([fa, sa]), np.concatenate([fb, sb]), t, yaw, pitch, velocity)


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
        max_gap_ms: longer time steps break events (default 1.5 x the median interval).
        source: file the samples came from, for error messages.

    Returns:
        GazeEvents sorted by onset.
    """
    t, yaw, pitch = _validate(timestamps_us, yaw_rad, pitch_rad, source)
    if not dispersion_threshold > 0:
        raise ConfigError(f"detect_idt: dispersion_threshold must be > 0 deg, got {dispersion_threshold}")
    dt_ms = median_interval_ms(t)
    _check_rate(dt_ms, minimum_duration, "detect_idt")
    valid = _interval_validity(t, yaw, pitch, max_gap_ms, dt_ms)  # (N-1,)
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
    return _build(kinds, np.concatenate([fa_arr, sa]), np.concatenate([fb_arr, sb]), t, yaw, pitch, velocity)


def detect_events(track: GazeTrack, method: str = "ivt", **kwargs: float) -> GazeEvents:
    """Run ``detect_ivt`` or ``detect_idt`` on a GazeTrack (keyword arguments go to the detector)."""
    detectors = {"ivt": detect_ivt, "idt": detect_idt}
    if method not in detectors:
        raise ConfigError(f"unknown event detection method {method!r}; valid: {sorted(detectors)}")
    detect = detectors[method]
    return detect(track.timestamps_us, track.yaw_rad, track.pitch_rad, source=track.source, **kwargs)
