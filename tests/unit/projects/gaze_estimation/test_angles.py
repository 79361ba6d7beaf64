"""(pitch, yaw) <-> vector convention, angular error, angle bins (numpy and torch agree)."""

import math

import numpy as np
import pytest
import torch

from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.angles import (
    BINS_GAZE360,
    BINS_MPIIFACEGAZE,
    AngleBins,
    angular_error_deg,
    angular_error_deg_torch,
    pitchyaw_to_vector,
    pitchyaw_to_vector_torch,
    vector_to_pitchyaw,
)


def test_convention_x_cos_p_sin_y_y_sin_p_z_cos_p_cos_y():
    p, y = math.radians(20.0), math.radians(-35.0)
    v = pitchyaw_to_vector(np.array([p, y]))
    np.testing.assert_allclose(v, [math.cos(p) * math.sin(y), math.sin(p), math.cos(p) * math.cos(y)])
    np.testing.assert_allclose(pitchyaw_to_vector(np.array([0.0, 0.0])), [0, 0, 1])
    np.testing.assert_allclose(pitchyaw_to_vector(np.array([0.0, math.pi / 2])), [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(pitchyaw_to_vector(np.array([math.pi / 2, 0.0])), [0, 1, 0], atol=1e-12)


def test_vector_round_trip_and_torch_agrees():
    rng = np.random.default_rng(0)
    py = np.stack([rng.uniform(-1.4, 1.4, 100), rng.uniform(-3.0, 3.0, 100)], axis=1)
    np.testing.assert_allclose(vector_to_pitchyaw(pitchyaw_to_vector(py) * 3.0), py, atol=1e-10)
    np.testing.assert_allclose(
        pitchyaw_to_vector_torch(torch.as_tensor(py)).numpy(), pitchyaw_to_vector(py), atol=1e-12
    )
    with pytest.raises(ConfigError, match="zero-length"):
        vector_to_pitchyaw(np.zeros((2, 3)))


def test_angular_error_known_values():
    a = np.radians([[0.0, 0.0], [10.0, 0.0], [0.0, 0.0], [0.0, 90.0]])
    b = np.radians([[0.0, 10.0], [0.0, 0.0], [0.0, 0.0], [0.0, -90.0]])
    np.testing.assert_allclose(angular_error_deg(a, b), [10.0, 10.0, 0.0, 180.0], atol=1e-6)
    # yaw differences shrink with pitch: at pitch 60 deg a 10 deg yaw step is ~5 deg of arc
    e = angular_error_deg(np.radians([60.0, 0.0]), np.radians([60.0, 10.0]))
    assert e == pytest.approx(math.degrees(math.acos(0.25 * math.cos(math.radians(10)) + 0.75)), abs=1e-6)
    t = angular_error_deg_torch(torch.as_tensor(a), torch.as_tensor(b)).numpy()
    np.testing.assert_allclose(t, [10.0, 10.0, 0.0, 180.0], atol=1e-4)


def test_l2cs_default_bins():
    assert (BINS_GAZE360.num_bins, BINS_GAZE360.width_deg, BINS_GAZE360.lo_deg, BINS_GAZE360.hi_deg) == (
        90,
        4.0,
        -180.0,
        180.0,
    )
    assert (BINS_MPIIFACEGAZE.num_bins, BINS_MPIIFACEGAZE.width_deg, BINS_MPIIFACEGAZE.hi_deg) == (
        28,
        3.0,
        42.0,
    )


@pytest.mark.parametrize("bins", [BINS_GAZE360, BINS_MPIIFACEGAZE])
def test_bin_encode_decode_round_trip(bins):
    angles = np.linspace(bins.lo_deg, bins.hi_deg, 997, endpoint=False)
    idx = bins.encode(angles)
    assert idx.min() == 0 and idx.max() == bins.num_bins - 1
    assert np.all(np.abs(bins.decode(idx) - angles) <= bins.width_deg / 2 + 1e-9)
    np.testing.assert_array_equal(
        bins.encode(bins.decode(np.arange(bins.num_bins))), np.arange(bins.num_bins)
    )
    np.testing.assert_array_equal(bins.encode_torch(torch.as_tensor(angles)).numpy(), idx)
    assert bins.encode(np.array([bins.lo_deg - 50, bins.hi_deg + 50])).tolist() == [0, bins.num_bins - 1]


def test_expectation_uses_bin_centres():
    bins = AngleBins(num_bins=4, width_deg=10.0, lo_deg=-20.0)  # centres -15, -5, 5, 15
    logits = np.array([[0.0, 0.0, 0.0, 0.0], [-1e9, 0.0, -1e9, -1e9]])
    np.testing.assert_allclose(bins.expectation_deg(logits), [0.0, -5.0])
    np.testing.assert_allclose(
        bins.expectation_deg_torch(torch.as_tensor(logits, dtype=torch.float32)).numpy(), [0.0, -5.0]
    )
    with pytest.raises(ConfigError, match="out of range"):
        bins.decode(np.array([4]))
    with pytest.raises(ConfigError):
        AngleBins(num_bins=1, width_deg=1.0, lo_deg=0.0)
