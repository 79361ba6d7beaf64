"""Per-recording gaze features on constructed tracks with known events and depths."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.features import FEATURE_NAMES, gaze_features
from skillsight.gaze.tracks import GazeTrack

T0_US = 5_000_000


def _track(yaw_deg, pitch_deg, rate_hz: float, depth_m=None, depth_valid=None) -> GazeTrack:
    n = len(yaw_deg)
    t = T0_US + np.round(np.arange(n) * 1e6 / rate_hz).astype(np.int64)
    depth = np.full(n, np.nan) if depth_m is None else np.asarray(depth_m, dtype=float)
    valid = np.isfinite(depth) if depth_valid is None else np.asarray(depth_valid, dtype=bool)
    yaw, pitch = np.radians(yaw_deg), np.radians(pitch_deg)
    return GazeTrack(t, yaw, pitch, depth, valid, "vergence", source="test.csv")


@pytest.mark.parametrize("method", ["ivt", "idt"])
def test_features_of_two_fixations_and_one_saccade_at_100hz(method: str) -> None:
    # 0..30 at 0 deg (300 ms), ramp 30..33 (10 deg in 30 ms), 33..63 at 10 deg (300 ms).
    yaw = np.concatenate([np.zeros(31), [10 / 3, 20 / 3], np.full(31, 10.0)])
    depth = np.full(64, 2.0)
    depth[:10] = 1.0
    depth[10:20] = np.nan  # no depth in the file
    depth_valid = np.isfinite(depth)
    depth_valid[60:] = False  # the reader flagged these values as invalid
    exact = {"smoothing_ms": None} if method == "ivt" else {}  # the exact two-sample velocities
    f = gaze_features(_track(yaw, np.zeros(64), 100.0, depth, depth_valid), method, **exact)
    assert tuple(f) == FEATURE_NAMES
    assert all(isinstance(v, float) for v in f.values())
    assert f["duration_s"] == pytest.approx(0.63)
    assert f["sampling_rate_hz"] == pytest.approx(100.0)
    assert f["valid_fraction"] == 1.0 and f["valid_duration_s"] == pytest.approx(0.63)
    assert f["fixation_count"] == 2.0
    assert f["fixation_rate_per_s"] == pytest.approx(2 / 0.63)
    assert f["fixation_duration_mean_ms"] == pytest.approx(300.0)
    assert f["fixation_duration_std_ms"] == pytest.approx(0.0)
    assert f["saccade_count"] == 1.0
    assert f["saccade_amplitude_mean_deg"] == pytest.approx(10.0)
    assert f["saccade_peak_velocity_max_deg_s"] == pytest.approx(1000 / 3)
    # valid depth: 10 samples of 1.0 m and 40 of 2.0 m (rows 20..59)
    assert f["depth_valid_count"] == 50.0
    assert f["depth_valid_fraction"] == pytest.approx(50 / 64)
    assert f["depth_mean_m"] == pytest.approx((10 * 1.0 + 40 * 2.0) / 50)
    assert f["depth_median_m"] == pytest.approx(2.0)
    assert f["depth_std_m"] == pytest.approx(math.sqrt(0.2 * 0.8))  # two-point mixture, 20 % / 80 %


def test_features_at_10hz_with_missing_samples() -> None:
    # 10 Hz: fixations of 4 and 3 samples around a 6-degree jump; a NaN row then 3 more samples.
    yaw = np.array([0, 0, 0, 0, 6, 6, 6, np.nan, 6, 6, 6], dtype=float)
    f = gaze_features(_track(yaw, np.zeros(11), 10.0, depth_m=np.linspace(0.5, 1.5, 11)))
    assert f["valid_fraction"] == pytest.approx(10 / 11)
    assert f["valid_duration_s"] == pytest.approx(0.8)  # 10 intervals, 2 touch the NaN row
    assert f["fixation_count"] == 3.0  # 0..3, 4..6, 8..10: the NaN splits the second
    assert f["fixation_rate_per_s"] == pytest.approx(3 / 0.8)
    assert f["fixation_duration_mean_ms"] == pytest.approx((300 + 200 + 200) / 3)
    assert f["saccade_count"] == 1.0
    assert f["saccade_amplitude_median_deg"] == pytest.approx(6.0)
    assert f["saccade_peak_velocity_mean_deg_s"] == pytest.approx(60.0)
    assert f["depth_valid_count"] == 11.0 and f["depth_median_m"] == pytest.approx(1.0)


def test_empty_sets_give_nan_statistics_not_zero() -> None:
    f = gaze_features(_track(np.zeros(50), np.zeros(50), 100.0))  # one long fixation, no depth
    assert f["fixation_count"] == 1.0 and f["saccade_count"] == 0.0
    empty = ("saccade_amplitude_mean_deg", "saccade_peak_velocity_max_deg_s", "depth_mean_m", "depth_std_m")
    for key in empty:
        assert math.isnan(f[key]), key
    assert f["depth_valid_count"] == 0.0 and f["depth_valid_fraction"] == 0.0


def test_bad_tracks_raise() -> None:
    with pytest.raises(DataFormatError, match=r"test\.csv.*at least 2 samples"):
        gaze_features(_track(np.zeros(1), np.zeros(1), 10.0))
    bad = _track(np.zeros(5), np.zeros(5), 10.0)
    bad = GazeTrack(
        bad.timestamps_us, bad.yaw_rad, bad.pitch_rad, np.zeros(4), np.ones(4, bool), "x", "f.csv"
    )
    with pytest.raises(DataFormatError, match="depth_m"):
        gaze_features(bad)
    with pytest.raises(ConfigError, match="too low"):
        gaze_features(_track(np.zeros(10), np.zeros(10), 2.0))
