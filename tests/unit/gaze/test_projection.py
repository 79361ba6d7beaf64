"""Camera models: Fisheye624 / pinhole round trips, the upright frame, gaze -> RGB pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsight.data.readers.aria_calibration import cad_T_device_cpf
from skillsight.gaze.geometry import gaze_point_cpf, pose_matrices, transform_points
from skillsight.gaze.projection import (
    T_CAMERA_CAMERA_CW90,
    T_camera_cpf,
    from_upright_px,
    project_fisheye624,
    project_gaze_to_rgb,
    project_pinhole,
    rotate_fisheye624_params_cw90,
    to_upright_px,
    unproject_fisheye624,
    unproject_pinhole,
)
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera

FAST = settings(max_examples=40, deadline=None)

# An Aria-like RGB camera (1408 x 1408): typical magnitudes of every distortion term.
PARAMS = np.array(
    [610.0, 715.0, 700.0, 0.40, -0.49, 0.23, 1.0, -1.57, 0.61, -3e-4, -7e-4, -6e-4, -2e-4, 2e-4, -2e-4]
)


def _calibration(params: np.ndarray = PARAMS) -> DeviceCalibration:
    T_device_camera = pose_matrices(
        np.array([-0.0046, -0.0117, -0.0049]), np.array([0.328, 0.038, 0.034, 0.943])
    )
    camera = Fisheye624Camera(params=params, width_px=1408, height_px=1408)
    return DeviceCalibration(
        T_device_cpf=cad_T_device_cpf("DVT-S"), T_device_camera=T_device_camera, camera=camera
    )


def test_projection_of_the_optical_axis_is_the_principal_point():
    px = project_fisheye624(np.array([[0.0, 0.0, 2.0]]), PARAMS)
    np.testing.assert_allclose(px, [[715.0, 700.0]])


def test_no_distortion_is_equidistant_fisheye():
    params = np.r_[500.0, 100.0, 50.0, np.zeros(12)]
    theta = 0.6
    px = project_fisheye624(np.array([[np.sin(theta), 0.0, np.cos(theta)]]), params)
    np.testing.assert_allclose(px, [[100.0 + 500.0 * theta, 50.0]], atol=1e-9)


def test_points_behind_the_camera_are_nan():
    px = project_fisheye624(np.array([[0.1, 0.1, -1.0], [0.1, 0.1, 0.0], [0.1, 0.1, 1.0]]), PARAMS)
    assert np.isnan(px[:2]).all() and np.isfinite(px[2]).all()


def test_wrong_parameter_count_is_refused():
    with pytest.raises(ValueError, match="15 parameters"):
        project_fisheye624(np.zeros((1, 3)), PARAMS[:14])


@FAST
@given(theta=st.floats(0.0, 1.3), phi=st.floats(-np.pi, np.pi), r=st.floats(0.05, 20.0))
def test_project_unproject_round_trip(theta, phi, r):
    ray = np.array([[np.sin(theta) * np.cos(phi), np.sin(theta) * np.sin(phi), np.cos(theta)]])
    px = project_fisheye624(ray * r, PARAMS)
    back = unproject_fisheye624(px, PARAMS)
    np.testing.assert_allclose(back, ray, atol=1e-9)


def test_unproject_project_round_trip_over_the_image():
    grid = np.stack(np.meshgrid(np.linspace(0, 1407, 25), np.linspace(0, 1407, 25)), -1).reshape(-1, 2)
    inside = np.linalg.norm(grid - [704, 704], axis=1) < 700
    rays = unproject_fisheye624(grid[inside], PARAMS)
    np.testing.assert_allclose(np.linalg.norm(rays, axis=1), 1.0)
    np.testing.assert_allclose(project_fisheye624(rays, PARAMS), grid[inside], atol=1e-6)


@FAST
@given(x=st.floats(-2, 2), y=st.floats(-2, 2), z=st.floats(0.1, 10))
def test_pinhole_round_trip(x, y, z):
    params = np.array([500.0, 510.0, 320.0, 240.0])
    px = project_pinhole(np.array([[x, y, z]]), params)
    np.testing.assert_allclose(px, [[500 * x / z + 320, 510 * y / z + 240]])
    ray = unproject_pinhole(px, params)
    np.testing.assert_allclose(ray[0], np.array([x, y, z]) / np.linalg.norm([x, y, z]), atol=1e-9)
    assert np.isnan(project_pinhole(np.array([[x, y, -z]]), params)).all()


def test_upright_pixels_follow_a_clockwise_quarter_turn():
    # raw image 4 wide x 3 high; the top-left raw pixel lands at the top-right of the upright image
    raw = np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 2.0], [1.5, 1.0]])
    up = to_upright_px(raw, raw_height_px=3)
    np.testing.assert_allclose(up, [[2, 0], [2, 3], [0, 0], [1, 1.5]])
    np.testing.assert_allclose(from_upright_px(up, raw_height_px=3), raw)
    image = np.arange(12).reshape(3, 4)
    turned = np.rot90(image, k=-1)  # clockwise
    for (x, y), (xu, yu) in zip(raw[:3].astype(int), up[:3].astype(int)):
        assert image[y, x] == turned[yu, xu]


def test_rotated_intrinsics_and_pose_equal_the_image_rotation():
    calib = _calibration()
    point = gaze_point_cpf(np.linspace(-0.5, 0.5, 7), np.linspace(-0.4, 0.3, 7), np.full(7, 1.5))
    rotated = project_fisheye624(
        transform_points(T_camera_cpf(calib, rotate_cw90=True), point),
        rotate_fisheye624_params_cw90(PARAMS, 1408),
    )
    np.testing.assert_allclose(
        rotated, project_gaze_to_rgb(point, calib, upright=True, upright_mode="rotate_image"), atol=1e-9
    )


def test_make_upright_keeps_raw_intrinsics_on_a_turned_camera():
    calib = _calibration()
    point = gaze_point_cpf(np.array([0.1, -0.2]), np.array([0.05, -0.1]), np.array([1.0, 3.0]))
    p_cam = transform_points(T_camera_cpf(calib), point)
    p_turned = transform_points(np.linalg.inv(T_CAMERA_CAMERA_CW90), p_cam)  # (x, y) -> (-y, x)
    np.testing.assert_allclose(p_turned[:, :2], np.c_[-p_cam[:, 1], p_cam[:, 0]], atol=1e-12)
    np.testing.assert_allclose(
        project_gaze_to_rgb(point, calib, upright=True), project_fisheye624(p_turned, PARAMS), atol=1e-9
    )
    # without distortion beyond radial, it differs from the image rotation only by the principal-point swap
    radial_only = np.r_[PARAMS[:9], np.zeros(6)]
    calib0 = _calibration(radial_only)
    diff = project_gaze_to_rgb(point, calib0, upright=True) - project_gaze_to_rgb(
        point, calib0, upright=True, upright_mode="rotate_image"
    )
    np.testing.assert_allclose(
        diff, np.tile([PARAMS[1] - (1407 - PARAMS[2]), PARAMS[2] - PARAMS[1]], (2, 1)), atol=1e-9
    )


def test_gaze_straight_ahead_projects_near_the_image_centre_and_behind_is_nan():
    calib = _calibration()
    px = project_gaze_to_rgb(gaze_point_cpf(np.array([0.0]), np.array([-0.2]), np.array([2.0])), calib)
    assert np.all(np.abs(px - 704) < 300)
    behind = project_gaze_to_rgb(np.array([[0.0, 0.0, -2.0]]), calib)
    assert np.isnan(behind).all()
    with pytest.raises(ValueError, match="upright_mode"):
        project_gaze_to_rgb([*np.zeros((1, 3)), 0, 0, 1], calib, upright=True, upright_mode="sideways")  # type: ignore[arg-type]
