"""Gap-aware linear resampling of gaze tracks."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.gaze.resample import resample_track


def test_linear_interpolation_between_samples() -> None:
    ts = np.array([0, 100_000, 200_000, 300_000])
    vals = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0], [3.0, 40.0]])
    out, valid = resample_track(ts, vals, np.array([0, 50_000, 250_000, 300_000]))
    np.testing.assert_allclose(out, [[0, 10], [0.5, 15], [2.5, 35], [3, 40]])
    assert valid.all()


def test_outside_track_and_long_gaps_are_invalid() -> None:
    ts = np.array([0, 100_000, 600_000, 700_000])  # 500 ms gap (blink / tracking loss)
    vals = np.arange(4, dtype=float)[:, None]
    query = np.array([-1, 50_000, 300_000, 600_000, 650_000, 700_001])
    out, valid = resample_track(ts, vals, query, max_gap_us=250_000)
    np.testing.assert_array_equal(valid, [False, True, False, True, True, False])
    assert np.isnan(out[~valid]).all()
    np.testing.assert_allclose(out[valid, 0], [0.5, 2.0, 2.5])
    _, valid = resample_track(ts, vals, query, max_gap_us=600_000)
    np.testing.assert_array_equal(valid, [False, True, True, True, True, False])


def test_nan_sample_invalidates_its_neighbourhood_only() -> None:
    ts = np.arange(5) * 100_000
    vals = np.array([[0.0], [1.0], [np.nan], [3.0], [4.0]])
    out, valid = resample_track(ts, vals, np.array([50_000, 150_000, 250_000, 300_000, 350_000]))
    np.testing.assert_array_equal(valid, [True, False, False, True, True])
    np.testing.assert_allclose(out[valid, 0], [0.5, 3.0, 3.5])


def test_empty_track_and_bad_timestamps() -> None:
    out, valid = resample_track(np.zeros(0, np.int64), np.zeros((0, 3)), np.array([1, 2]))
    assert out.shape == (2, 3) and not valid.any()
    with pytest.raises(DataFormatError):
        resample_track(np.array([0, 0]), np.zeros((2, 1)), np.array([0]))
