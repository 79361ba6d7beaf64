"""Gaze geometry: vergence <-> combined, CPF points, quaternions, poses, CPF <-> world."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsight.gaze.geometry import (
    DEFAULT_IPD_M,
    combined_to_vergence,
    gaze_direction_cpf,
    gaze_point_cpf,
    gaze_point_cpf_from_world,
    gaze_point_world,
    invert_poses,
    matrix_to_quat_xyzw,
    pose_matrices,
    quat_xyzw_to_matrix,
    slerp_xyzw,
    transform_points,
    vergence_to_combined,
)

FAST = settings(max_examples=60, deadline=None)
angle = st.floats(-1.2, 1.2)
depth = st.floats(0.1, 50.0)


def _random_poses(rng: np.random.Generator, n: int) -> np.ndarray:
    return pose_matrices(rng.normal(size=(n, 3)), rng.normal(size=(n, 4)))


def test_vergence_matches_ray_intersection_by_hand():
    # eyes at x = +-IPD/2 looking at the point (0.1, -0.05, 0.8)
    target = np.array([0.1, -0.05, 0.8])
    h = DEFAULT_IPD_M / 2
    left = np.arctan((target[0] - h) / target[2])
    right = np.arctan((target[0] + h) / target[2])
    pitch = np.arctan(target[1] / target[2])
    yaw, d = vergence_to_combined(np.array([left]), np.array([right]), np.array([pitch]))
    assert d[0] == pytest.approx(np.linalg.norm(target), rel=1e-12)
    assert yaw[0] == pytest.approx(np.arctan(target[0] / target[2]), abs=1e-12)
    np.testing.assert_allclose(gaze_point_cpf(yaw, np.array([pitch]), d)[0], target, atol=1e-12)


def test_vergence_folds_rays_meeting_behind_the_eyes_like_the_official_reader():
    yaw_a, d_a = vergence_to_combined(np.array([0.30]), np.array([0.25]), np.array([0.1]))
    yaw_b, d_b = vergence_to_combined(np.array([0.25]), np.array([0.30]), np.array([0.1]))
    assert yaw_a[0] == pytest.approx(yaw_b[0]) and d_a[0] == pytest.approx(d_b[0])


def test_parallel_rays_have_infinite_depth_and_exact_yaw():
    yaw, d = vergence_to_combined(np.array([0.2]), np.array([0.2]), np.array([0.0]))
    assert np.isinf(d[0]) and yaw[0] == pytest.approx(0.2)


@FAST
@given(yaw=angle, pitch=angle, d=depth)
def test_combined_to_vergence_round_trip(yaw, pitch, d):
    left, right = combined_to_vergence(np.array([yaw]), np.array([pitch]), np.array([d]))
    assert left[0] < right[0]  # converging rays in front of the eyes
    yaw2, d2 = vergence_to_combined(left, right, np.array([pitch]))
    assert yaw2[0] == pytest.approx(yaw, abs=1e-9)
    assert d2[0] == pytest.approx(d, rel=1e-7)


@FAST
@given(left=angle, gap=st.floats(1e-3, 0.3), pitch=angle)
def test_vergence_to_combined_round_trip(left, gap, pitch):
    right = left + gap
    yaw, d = vergence_to_combined(np.array([left]), np.array([right]), np.array([pitch]))
    left2, right2 = combined_to_vergence(yaw, np.array([pitch]), d)
    assert left2[0] == pytest.approx(left, abs=1e-8) and right2[0] == pytest.approx(right, abs=1e-8)


def test_gaze_direction_is_unit_and_forward():
    rng = np.random.default_rng(1)
    yaw, pitch = rng.uniform(-1.2, 1.2, 100), rng.uniform(-1.2, 1.2, 100)
    v = gaze_direction_cpf(yaw, pitch)
    assert v.shape == (100, 3)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0)
    np.testing.assert_allclose(v[:, 0] / v[:, 2], np.tan(yaw))
    np.testing.assert_allclose(v[:, 1] / v[:, 2], np.tan(pitch))
    np.testing.assert_allclose(gaze_point_cpf(yaw, pitch, np.full(100, 2.5)), 2.5 * v)


def test_quaternion_matrix_known_rotation():
    q = np.array([0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)])  # +90 deg about Z
    np.testing.assert_allclose(quat_xyzw_to_matrix(q), [[0, -1, 0], [1, 0, 0], [0, 0, 1]], atol=1e-15)


@FAST
@given(st.lists(st.floats(-1, 1), min_size=4, max_size=4).filter(lambda v: np.linalg.norm(v) > 0.1))
def test_quaternion_round_trip(values):
    q = np.asarray(values) / np.linalg.norm(values)
    q2 = matrix_to_quat_xyzw(quat_xyzw_to_matrix(q))
    assert q2[3] >= 0
    # q and -q are the same rotation (both have w = 0 on the equator): compare up to sign
    assert min(np.abs(q2 - q).max(), np.abs(q2 + q).max()) < 1e-9


def test_rotation_matrices_are_orthonormal_for_many_quaternions():
    rot = quat_xyzw_to_matrix(np.random.default_rng(2).normal(size=(500, 4)))
    np.testing.assert_allclose(
        rot @ np.swapaxes(rot, 1, 2), np.broadcast_to(np.eye(3), (500, 3, 3)), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(rot), 1.0)


def test_invert_and_transform_points():
    rng = np.random.default_rng(3)
    T = _random_poses(rng, 50)
    np.testing.assert_allclose(T @ invert_poses(T), np.broadcast_to(np.eye(4), (50, 4, 4)), atol=1e-12)
    p = rng.normal(size=(50, 3))
    expected = np.einsum("nij,nj->ni", T, np.c_[p, np.ones(50)])[:, :3]
    np.testing.assert_allclose(transform_points(T, p), expected, atol=1e-12)
    np.testing.assert_allclose(
        transform_points(T[0], p), (T[0] @ np.c_[p, np.ones(50)].T).T[:, :3], atol=1e-12
    )


def test_slerp_endpoints_midpoint_and_short_arc():
    q0 = np.array([[0.0, 0.0, 0.0, 1.0]])
    q1 = np.array([[0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)]])  # 90 deg about Z
    np.testing.assert_allclose(slerp_xyzw(q0, q1, np.array([0.0])), q0, atol=1e-12)
    np.testing.assert_allclose(slerp_xyzw(q0, q1, np.array([1.0])), q1, atol=1e-12)
    mid = slerp_xyzw(q0, q1, np.array([0.5]))
    np.testing.assert_allclose(mid, [[0, 0, np.sin(np.pi / 8), np.cos(np.pi / 8)]], atol=1e-12)
    # -q1 is the same rotation: slerp must take the short arc and land on the same midpoint rotation
    mid_neg = slerp_xyzw(q0, -q1, np.array([0.5]))
    np.testing.assert_allclose(quat_xyzw_to_matrix(mid_neg), quat_xyzw_to_matrix(mid), atol=1e-12)
    same = slerp_xyzw(q1, q1, np.array([0.3]))
    np.testing.assert_allclose(same, q1, atol=1e-12)


@FAST
@given(seed=st.integers(0, 2**31 - 1))
def test_cpf_world_cpf_round_trip(seed):
    rng = np.random.default_rng(seed)
    T_world_device = _random_poses(rng, 8)
    T_device_cpf = _random_poses(rng, 1)[0]
    p_cpf = gaze_point_cpf(rng.uniform(-1, 1, 8), rng.uniform(-1, 1, 8), rng.uniform(0.2, 5, 8))
    p_world = gaze_point_world(p_cpf, T_world_device, T_device_cpf)
    manual = np.einsum("nij,nj->ni", T_world_device @ T_device_cpf, np.c_[p_cpf, np.ones(8)])[:, :3]
    np.testing.assert_allclose(p_world, manual, atol=1e-10)
    np.testing.assert_allclose(
        gaze_point_cpf_from_world(p_world, T_world_device, T_device_cpf), p_cpf, atol=1e-9
    )
