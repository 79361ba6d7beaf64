"""Velocity estimates on jittered timestamps and the gap rule (values known in closed form)."""

from __future__ import annotations

import numpy as np

from skillsight.gaze.velocity import (
    default_max_gap_ms,
    interval_velocity_deg_s,
    savgol_velocity_deg_s,
    smoothing_applies,
)


def jittered_timestamps(n: int, seed: int = 0) -> np.ndarray:
    """Steps alternating ~4 ms and ~8 ms with 0.1 ms noise, as a Pupil Invisible delivers them."""
    rng = np.random.default_rng(seed)
    steps = np.where(rng.random(n - 1) < 0.25, 8000, 4000) + rng.integers(-100, 100, n - 1)
    return 1_650_000_000_000 + np.concatenate([[0], np.cumsum(steps)]).astype(np.int64)


def test_savgol_velocity_is_exact_for_uniform_motion_on_jittered_steps() -> None:
    t = jittered_timestamps(300)
    seconds = (t - t[0]) / 1e6
    yaw = np.radians(30.0 * seconds - 5.0)  # 30 deg/s pure yaw rotation, pitch 0
    v = savgol_velocity_deg_s(t, yaw, np.zeros_like(yaw), window_ms=40.0, max_gap_ms=20.0)
    # the fitted direction moves along the unit circle: speed = 30 deg/s up to the fit's curvature error
    np.testing.assert_allclose(v, 30.0, rtol=2e-3)
    np.testing.assert_allclose(interval_velocity_deg_s(t, yaw, np.zeros_like(yaw)), 30.0, rtol=1e-9)


def test_savgol_windows_skip_missing_samples_and_gaps() -> None:
    t = 1_000_000 + np.arange(40, dtype=np.int64) * 4000
    t[20:] += 100_000  # a 104 ms gap between samples 19 and 20
    yaw = np.radians(np.where(np.arange(40) < 20, 0.0, 10.0))  # 10 deg apart across the gap
    yaw[5] = np.nan
    v = savgol_velocity_deg_s(t, yaw, np.zeros(40), window_ms=40.0, max_gap_ms=20.0)
    assert np.isnan(v[5])
    # no window reaches across the gap, so the 10-degree jump is never seen as motion
    np.testing.assert_allclose(v[np.isfinite(v)], 0.0, atol=1e-6)
    assert np.isfinite(v[19]) and np.isfinite(v[20])
    lone = np.radians(np.array([0.0, np.nan, 1.0, np.nan, 0.0]))
    v = savgol_velocity_deg_s(np.arange(5, dtype=np.int64) * 4000, lone, np.zeros(5), 40.0, 20.0)
    assert np.isnan(v).all()  # every finite sample is isolated between missing ones


def test_gap_rule_and_when_smoothing_applies() -> None:
    assert default_max_gap_ms(4.0) == 20.0  # floor: jittered 250 Hz
    assert default_max_gap_ms(100.0) == 250.0  # 10 Hz: one dropped sample is bridged
    assert smoothing_applies(40.0, 4.0) and smoothing_applies(40.0, 10.0)
    assert not smoothing_applies(40.0, 100.0) and not smoothing_applies(None, 4.0)
