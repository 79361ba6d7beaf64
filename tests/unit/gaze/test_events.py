"""I-VT and I-DT on constructed signals whose events are known exactly."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.events import (
    GazeQualityWarning,
    angular_velocity_deg_s,
    detect_events,
    detect_idt,
    detect_ivt,
)


def exact_ivt(*args, **kwargs):
    """I-VT on exact two-sample interval velocities (no smoothing; 20 deg/s unless given)."""
    return detect_ivt(*args, smoothing_ms=None, **kwargs)


exact_ivt.__name__ = "detect_ivt"  # parametrised ids stay readable
DETECTORS = [exact_ivt, detect_idt]
T0_US = 1_234_000_000  # recordings do not start at 0


def _timestamps(n: int, rate_hz: float) -> np.ndarray:
    return T0_US + np.round(np.arange(n) * 1e6 / rate_hz).astype(np.int64)


def fixation_saccade_fixation_100hz() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Yaw 0 for samples 0..30 (300 ms), a 10 deg ramp over samples 30..33, yaw 10 deg for 33..63."""
    yaw_deg = np.concatenate([np.zeros(31), [10 / 3, 20 / 3], np.full(31, 10.0)])
    return _timestamps(64, 100.0), np.radians(yaw_deg), np.zeros(64)


@pytest.mark.parametrize("detect", DETECTORS)
def test_fixation_saccade_fixation_at_100hz(detect) -> None:
    t, yaw, pitch = fixation_saccade_fixation_100hz()
    ev = detect(t, yaw, pitch)
    assert ev.kind.tolist() == ["fixation", "saccade", "fixation"]
    assert ev.onset_index.tolist() == [0, 30, 33]
    assert ev.offset_index.tolist() == [30, 33, 63]
    assert ev.onset_us.tolist() == [T0_US, T0_US + 300_000, T0_US + 330_000]
    np.testing.assert_allclose(ev.duration_ms, [300.0, 30.0, 300.0])
    np.testing.assert_allclose(ev.amplitude_deg, [0.0, 10.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(ev.peak_velocity_deg_s, [0.0, 1000 / 3, 0.0], atol=1e-6)
    np.testing.assert_allclose(ev.mean_yaw_rad, np.radians([0.0, 5.0, 10.0]), atol=1e-12)
    np.testing.assert_allclose(ev.mean_pitch_rad, 0.0)
    assert len(ev.fixations) == 2 and len(ev.saccades) == 1


@pytest.mark.parametrize("detect", DETECTORS)
def test_pitch_saccade_amplitude_is_exact(detect) -> None:
    # 200 Hz: 25 samples (120 ms) at -4 deg, one sample at 0, 25 samples at 3.5 deg.
    pitch_deg = np.concatenate([np.full(25, -4.0), [0.0], np.full(25, 3.5)])
    t = _timestamps(51, 200.0)
    ev = detect(t, np.zeros(51), np.radians(pitch_deg))
    assert ev.kind.tolist() == ["fixation", "saccade", "fixation"]
    sac = ev.saccades
    assert sac.onset_index.tolist() == [24] and sac.offset_index.tolist() == [26]
    np.testing.assert_allclose(sac.amplitude_deg, [7.5], atol=1e-9)
    np.testing.assert_allclose(sac.peak_velocity_deg_s, [4.0 * 200], rtol=1e-9)


@pytest.mark.parametrize("detect", DETECTORS)
def test_10hz_adapts_minimum_duration_to_two_samples(detect) -> None:
    # 10 Hz: fixations of 5, 2 and 3 samples separated by 5-degree jumps (50 deg/s over 100 ms).
    yaw_deg = np.array([0, 0, 0, 0, 0, 5, 5, 10, 10, 10], dtype=float)
    t = _timestamps(10, 10.0)
    ev = detect(t, np.radians(yaw_deg), np.zeros(10))
    assert ev.kind.tolist() == ["fixation", "saccade", "fixation", "saccade", "fixation"]
    assert ev.onset_index.tolist() == [0, 4, 5, 6, 7]
    assert ev.offset_index.tolist() == [4, 5, 6, 7, 9]
    np.testing.assert_allclose(ev.duration_ms, [400, 100, 100, 100, 200])
    np.testing.assert_allclose(ev.saccades.amplitude_deg, [5.0, 5.0], atol=1e-9)
    np.testing.assert_allclose(ev.saccades.peak_velocity_deg_s, [50.0, 50.0], rtol=1e-9)


@pytest.mark.parametrize("detect", DETECTORS)
def test_100hz_minimum_duration_counts_samples_exactly(detect) -> None:
    # fixations of 10 samples (90 ms) and 11 samples (100 ms): only the second reaches 100 ms.
    yaw_deg = np.concatenate([np.zeros(10), np.full(11, 8.0)])
    ev = detect(_timestamps(21, 100.0), np.radians(yaw_deg), np.zeros(21))
    fix = ev.fixations
    assert fix.onset_index.tolist() == [10] and fix.offset_index.tolist() == [20]
    np.testing.assert_allclose(fix.duration_ms, [100.0])
    ev90 = detect(_timestamps(21, 100.0), np.radians(yaw_deg), np.zeros(21), minimum_duration=90)
    assert ev90.fixations.onset_index.tolist() == [0, 10]


@pytest.mark.parametrize("detect", DETECTORS)
def test_too_low_rate_is_refused_with_rate_and_threshold(detect) -> None:
    t = _timestamps(20, 5.0)
    with pytest.raises(ConfigError, match=r"5 Hz.*200\.0 ms.*minimum_duration=100"):
        detect(t, np.zeros(20), np.zeros(20))
    ev = detect(t, np.zeros(20), np.zeros(20), minimum_duration=200)
    assert ev.kind.tolist() == ["fixation"] and ev.duration_ms.tolist() == [3800.0]


@pytest.mark.parametrize("detect", DETECTORS)
def test_nan_samples_break_events_and_are_never_bridged(detect) -> None:
    yaw = np.zeros(61)
    yaw[30] = np.nan
    ev = detect(_timestamps(61, 100.0), yaw, np.zeros(61))
    assert ev.kind.tolist() == ["fixation", "fixation"]
    assert ev.onset_index.tolist() == [0, 31] and ev.offset_index.tolist() == [29, 60]
    # a NaN between two fixations at different places: no saccade across the hole
    yaw_deg = np.concatenate([np.zeros(20), [np.nan], np.full(20, 6.0)])
    ev = detect(_timestamps(41, 100.0), np.radians(yaw_deg), np.zeros(41))
    assert ev.kind.tolist() == ["fixation", "fixation"]
    assert np.all(np.isfinite(ev.mean_yaw_rad))


@pytest.mark.parametrize("detect", DETECTORS)
def test_timestamp_gap_breaks_events(detect) -> None:
    t = _timestamps(40, 100.0)
    t[20:] += 200_000  # 210 ms step between samples 19 and 20
    ev = detect(t, np.zeros(40), np.zeros(40))
    assert ev.onset_index.tolist() == [0, 20] and ev.offset_index.tolist() == [19, 39]
    ev = detect(t, np.zeros(40), np.zeros(40), max_gap_ms=300)
    assert ev.onset_index.tolist() == [0] and ev.offset_index.tolist() == [39]


def test_slow_drift_is_one_ivt_fixation_but_several_idt_fixations() -> None:
    # 5 deg/s drift for 1 s: below the I-VT threshold, but it leaves a 1-degree dispersion window.
    t = _timestamps(101, 100.0)
    yaw = np.radians(np.arange(101) * 0.045)
    ivt = exact_ivt(t, yaw, np.zeros(101))
    assert ivt.kind.tolist() == ["fixation"] and ivt.duration_ms.tolist() == [1000.0]
    idt = detect_idt(t, yaw, np.zeros(101))
    fix = idt.fixations
    assert len(fix) == 4
    assert fix.onset_index.tolist() == [0, 23, 46, 69]
    assert fix.offset_index.tolist() == [22, 45, 68, 91]  # 22 steps of 0.045 = 0.99 deg <= 1.0
    np.testing.assert_allclose(fix.amplitude_deg, 0.99, rtol=1e-9)
    assert idt.saccades.onset_index.tolist() == [22, 45, 68]


def test_velocity_of_nan_sample_is_nan_and_velocity_is_angular() -> None:
    t = _timestamps(4, 100.0)
    yaw = np.radians([0.0, 1.0, np.nan, 1.0])
    v = angular_velocity_deg_s(t, yaw, np.zeros(4))
    np.testing.assert_allclose(v[0], 100.0, rtol=1e-9)
    assert np.isnan(v[1]) and np.isnan(v[2])


def test_bad_input_raises_with_field_and_value() -> None:
    t = _timestamps(10, 100.0)
    t[5] = t[4]
    with pytest.raises(DataFormatError, match=r"timestamps_us.*strictly increasing"):
        detect_ivt(t, np.zeros(10), np.zeros(10), source="gaze.csv")
    with pytest.raises(DataFormatError, match="integer microseconds"):
        detect_ivt(t.astype(float), np.zeros(10), np.zeros(10))
    with pytest.raises(DataFormatError, match="same length"):
        detect_idt(_timestamps(10, 100.0), np.zeros(9), np.zeros(10))
    with pytest.raises(ConfigError, match="velocity_threshold"):
        detect_ivt(_timestamps(10, 100.0), np.zeros(10), np.zeros(10), velocity_threshold=0)
    with pytest.raises(ConfigError, match="unknown event detection method 'hmm'"):
        from skillsight.gaze.tracks import GazeTrack

        n = 10
        track = GazeTrack(_timestamps(n, 100.0), np.zeros(n), np.zeros(n), np.zeros(n), np.ones(n, bool), "x")
        detect_events(track, "hmm")


def _naive_idt(t, yaw, pitch, thr, n_min, min_ms, dt_ms, gap_ms):
    """Per-sample Salvucci & Goldberg I-DT (reference for the vectorised one)."""
    pos = np.degrees(np.stack([yaw, pitch], 1))
    ok = np.isfinite(pos).all(1)

    def good(s, e):  # samples s..e inclusive
        seg = pos[s : e + 1]
        no_gap = np.all(np.diff(t[s : e + 1]) <= gap_ms * 1e3)
        return ok[s : e + 1].all() and no_gap and np.ptp(seg, 0).sum() <= thr

    out, s, n = [], 0, len(t)
    while s + n_min - 1 < n:
        if not good(s, s + n_min - 1):
            s += 1
            continue
        e = s + n_min - 1
        while e + 1 < n and good(s, e + 1):
            e += 1
        if (t[e] - t[s]) / 1e3 >= min_ms - dt_ms / 2:
            out.append((s, e))
        s = e + 1
    return out


@pytest.mark.parametrize("rate_hz", [10.0, 100.0])
def test_random_walk_invariants_and_idt_matches_naive_reference(rate_hz: float) -> None:
    rng = np.random.default_rng(3)
    n = 400
    t = _timestamps(n, rate_hz)
    steps = np.where(rng.random(n) < 0.1, rng.normal(0, 4.0, n), rng.normal(0, 0.15, n))
    yaw, pitch = np.radians(np.cumsum(steps)), np.radians(np.cumsum(rng.normal(0, 0.1, n)))
    yaw[rng.choice(n, 12, replace=False)] = np.nan
    for detect in DETECTORS:
        ev = detect(t, yaw, pitch)
        assert np.all(np.diff(ev.onset_index) >= 0)
        for a, b in zip(ev.onset_index, ev.offset_index):
            assert b > a and np.all(np.isfinite(yaw[a : b + 1]))
        fix = ev.fixations
        assert np.all(fix.duration_ms >= 100 - 0.5 * 1e3 / rate_hz)
        assert np.all(fix.onset_index[1:] > fix.offset_index[:-1])
    dt_ms = 1e3 / rate_hz
    n_min = 2 if rate_hz == 10.0 else 11
    ref = _naive_idt(t, yaw, pitch, 1.0, n_min, 100, dt_ms, 1.5 * dt_ms)
    fix = detect_idt(t, yaw, pitch).fixations
    assert list(zip(fix.onset_index.tolist(), fix.offset_index.tolist())) == ref
    assert len(ref) > 3


def _jittered_recording(seed: int = 1):
    """250 Hz with 4/8 ms steps: 300 ms fixations (0.1 deg noise) joined by 40 ms, 12-degree saccades."""
    from tests.unit.gaze.test_velocity import jittered_timestamps

    rng = np.random.default_rng(seed)
    t = jittered_timestamps(1500, seed)
    ms = (t - t[0]) / 1e3
    cycle = ms % 340.0  # 300 ms fixation, then a 40 ms saccade
    k = np.floor(ms / 340.0)
    yaw_deg = 12.0 * (k + np.clip((cycle - 300.0) / 40.0, 0.0, 1.0)) % 48.0
    yaw_deg = yaw_deg + rng.normal(0, 0.1, t.size)
    truth = cycle < 300.0
    return t, np.radians(yaw_deg - 24.0), np.radians(rng.normal(0, 0.1, t.size)), truth


def test_defaults_find_fixations_on_jittered_wearable_timestamps() -> None:
    # The issue: 4/8 ms steps made every 8 ms step a gap (1.5 x median), so 0 fixations came back.
    t, yaw, pitch, truth = _jittered_recording()
    ev = detect_ivt(t, yaw, pitch)
    assert ev.report is not None and ev.report.gap_intervals == 0 and ev.report.smoothing_ms == 40.0
    assert ev.report.threshold == 60.0
    n_cycles = int(np.ceil((t[-1] - t[0]) / 340_000))
    assert abs(len(ev.fixations) - n_cycles) <= 1
    inside = np.zeros(t.size, bool)
    for a, b in zip(ev.fixations.onset_index, ev.fixations.offset_index):
        inside[a : b + 1] = True
    assert np.mean(inside == truth) > 0.9
    idt = detect_idt(t, yaw, pitch)
    assert abs(len(idt.fixations) - n_cycles) <= 1


def test_many_gaps_warn_and_most_gaps_refuse() -> None:
    some = _timestamps(200, 100.0)
    some[100:] += np.cumsum(np.where(np.arange(100) % 4 == 0, 50_000, 0))  # 25 of 199 steps > 25 ms
    with pytest.warns(GazeQualityWarning, match=r"25 of 199 intervals"):
        detect_ivt(some, np.zeros(200), np.zeros(200))
    most = _timestamps(200, 100.0) + np.arange(200) * 30_000  # every step 40 ms, median too: not gaps
    detect_ivt(most, np.zeros(200), np.zeros(200))
    with pytest.raises(
        ConfigError, match=r"199 of 199 intervals \(100 %\) are longer than max_gap_ms = 20 ms"
    ):
        detect_ivt(most, np.zeros(200), np.zeros(200), max_gap_ms=20)


def test_an_empty_result_over_real_gaze_warns_with_the_settings() -> None:
    t = _timestamps(300, 100.0)
    yaw = np.radians(np.arange(300) * 1.0)  # 100 deg/s: never a fixation
    with pytest.warns(GazeQualityWarning, match=r"no fixation found in 3\.0 s .*threshold 60"):
        ev = detect_ivt(t, yaw, np.zeros(300))
    assert len(ev.fixations) == 0 and len(ev.saccades) == 1
