"""Per-clip gaze normalisation (the 14 SkillSight channels and the 2D gaze)."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.gaze.geometry import gaze_direction_cpf, matrix_to_quat_xyzw, pose_matrices, transform_points
from skillsight.gaze.normalize import GAZE_CHANNELS, NUM_GAZE_CHANNELS, normalize_clip_gaze
from skillsight.gaze.resample import GazeSamples

T = 6


def _rot_y(angle_rad: np.ndarray) -> np.ndarray:
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    R = np.zeros((*np.shape(angle_rad), 3, 3))
    R[..., 0, 0], R[..., 0, 2], R[..., 1, 1], R[..., 2, 0], R[..., 2, 2] = c, s, 1, -s, c
    return R


def _samples(
    head_t: np.ndarray,
    head_R: np.ndarray,
    yaw: np.ndarray,
    pitch: np.ndarray,
    depth: np.ndarray,
    gaze2d_px: np.ndarray | None = None,
    **overrides,
) -> GazeSamples:
    """Consistent samples: world point = T_world_cpf @ (depth * dir_cpf)."""
    direction = gaze_direction_cpf(yaw, pitch)
    point_cpf = direction * depth[:, None]
    head_q = matrix_to_quat_xyzw(head_R)
    point_world = transform_points(pose_matrices(head_t, head_q), point_cpf)
    fields = dict(
        timestamps_us=np.arange(len(yaw), dtype=np.int64) * 500_000,
        dir_cpf=direction,
        depth_m=depth,
        point_cpf_m=point_cpf,
        point_world_m=point_world,
        head_t_world_m=head_t,
        head_q_xyzw=head_q,
        gaze2d_px=np.full((len(yaw), 2), 704.0) if gaze2d_px is None else gaze2d_px,
        gaze_valid=np.ones(len(yaw), bool),
        depth_valid=np.ones(len(yaw), bool),
        pose_valid=np.ones(len(yaw), bool),
        gaze2d_valid=np.ones(len(yaw), bool),
    )
    fields.update(overrides)
    return GazeSamples(**fields)


def _moving_clip(**overrides) -> GazeSamples:
    rng = np.random.default_rng(0)
    head_t = np.cumsum(rng.normal(0, 0.05, (T, 3)), axis=0) + np.array([3.0, 1.5, -2.0])
    head_R = _rot_y(np.linspace(0.2, 0.8, T))
    yaw, pitch = rng.uniform(-0.4, 0.4, T), rng.uniform(-0.3, 0.3, T)
    depth = rng.uniform(0.5, 3.0, T)
    return _samples(head_t, head_R, yaw, pitch, depth, **overrides)


def test_channel_names_and_shapes() -> None:
    assert len(GAZE_CHANNELS) == NUM_GAZE_CHANNELS == 14
    out = normalize_clip_gaze(_moving_clip())
    assert out.gaze.shape == (T, 14) and out.gaze.dtype == np.float32
    assert out.gaze2d.shape == (T, 2) and out.gaze2d.dtype == np.float32
    assert out.mask.all() and out.channel_mask.all() and out.gaze2d_mask.all()


def test_channels_match_their_definitions() -> None:
    s = _moving_clip()
    g = normalize_clip_gaze(s).gaze.astype(np.float64)
    np.testing.assert_allclose(g[:, 0:3], s.point_world_m - s.head_t_world_m.mean(0), atol=1e-5)
    np.testing.assert_allclose(g[:, 3:6], s.dir_cpf - s.dir_cpf[0], atol=1e-6)
    R = _rot_y(np.linspace(0.2, 0.8, T))
    expected_t = np.einsum("ji,nj->ni", R[0], s.head_t_world_m - s.head_t_world_m[0])  # R0^T (t_i - t_0)
    np.testing.assert_allclose(g[:, 6:9], expected_t, atol=1e-5)
    expected_q = matrix_to_quat_xyzw(_rot_y(np.linspace(0.2, 0.8, T) - 0.2))
    np.testing.assert_allclose(g[:, 9:13], expected_q, atol=1e-5)
    np.testing.assert_allclose(g[0, 6:13], [0, 0, 0, 0, 0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(g[:, 13], s.depth_m, atol=1e-5)


def test_rigid_motion_of_the_world_leaves_relative_channels_unchanged() -> None:
    s = _moving_clip()
    shift = np.array([100.0, -50.0, 7.0])
    moved = _samples(s.head_t_world_m + shift, _rot_y(np.linspace(0.2, 0.8, T)), *_yaw_pitch(s), s.depth_m)
    a, b = normalize_clip_gaze(s).gaze, normalize_clip_gaze(moved).gaze
    np.testing.assert_allclose(a, b, atol=1e-4)
    turned = _samples(
        s.head_t_world_m @ _rot_y(np.array(1.0)).T,
        _rot_y(np.linspace(1.2, 1.8, T)),
        *_yaw_pitch(s),
        s.depth_m,
    )
    c = normalize_clip_gaze(turned).gaze
    np.testing.assert_allclose(a[:, 3:], c[:, 3:], atol=1e-4)  # direction, relative pose, depth


def _yaw_pitch(s: GazeSamples) -> tuple[np.ndarray, np.ndarray]:
    d = s.dir_cpf
    return np.arctan(d[:, 0] / d[:, 2]), np.arctan(d[:, 1] / d[:, 2])


def test_far_points_are_pulled_back_to_10_m_along_the_ray() -> None:
    head_t = np.zeros((T, 3))
    head_R = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    depth = np.array([1.0, 5.0, 50.0, 9.0, 1000.0, 2.0])
    s = _samples(head_t, head_R, np.zeros(T), np.zeros(T), depth)
    g = normalize_clip_gaze(s).gaze
    np.testing.assert_allclose(g[:, 2], [1, 5, 10, 9, 10, 2], atol=1e-5)
    np.testing.assert_allclose(g[:, 13], [1, 5, 10, 9, 10, 2], atol=1e-5)
    near = normalize_clip_gaze(s, far_clip_m=3.0).gaze
    np.testing.assert_allclose(near[:, 2], [1, 3, 3, 3, 3, 2], atol=1e-5)


def test_gaze2d_is_divided_by_the_image_size_not_the_quaternion() -> None:
    px = np.array([[704, 352], [0, 1408], [1408, 0], [2000, -5], [100, 200], [1056, 704]], float)
    s = _moving_clip(gaze2d_px=px)
    out = normalize_clip_gaze(s)
    np.testing.assert_allclose(
        out.gaze2d, [[0.5, 0.25], [0, 1], [1, 0], [1, 0], [100 / 1408, 200 / 1408], [0.75, 0.5]], atol=1e-6
    )
    wide = normalize_clip_gaze(s, image_size_px=(1920, 1080)).gaze2d
    np.testing.assert_allclose(wide[0], [704 / 1920, 352 / 1080], atol=1e-6)
    assert not np.allclose(out.gaze2d[:, 0], px[:, 0] / s.head_q_xyzw[:, 3])


def test_missing_values_become_zero_with_masks() -> None:
    s = _moving_clip()
    gaze_valid = np.array([False, True, True, False, True, True])
    dir_cpf = np.where(gaze_valid[:, None], s.dir_cpf, np.nan)
    point = np.where(gaze_valid[:, None], s.point_world_m, np.nan)
    gaze2d_valid = np.array([True, False, True, True, True, True])
    gaze2d = np.where(gaze2d_valid[:, None], s.gaze2d_px, np.nan)
    depth_valid = np.array([False, True, False, False, True, True])
    s2 = _moving_clip(
        gaze_valid=gaze_valid,
        dir_cpf=dir_cpf,
        point_world_m=point,
        gaze2d_px=gaze2d,
        gaze2d_valid=gaze2d_valid,
        depth_valid=depth_valid,
        depth_m=np.where(depth_valid, s.depth_m, np.nan),
    )
    out = normalize_clip_gaze(s2)
    assert np.isfinite(out.gaze).all()
    np.testing.assert_array_equal(out.mask, gaze_valid)
    assert (out.gaze[~gaze_valid, 0:6] == 0).all()
    np.testing.assert_allclose(
        out.gaze[:, 3:6], np.where(gaze_valid[:, None], s.dir_cpf - s.dir_cpf[1], 0), atol=1e-6
    )  # reference = first observed step
    np.testing.assert_array_equal(out.channel_mask[:, 13], depth_valid & gaze_valid)
    assert (out.gaze[~(depth_valid & gaze_valid), 13] == 0).all()
    np.testing.assert_array_equal(out.gaze2d_mask, gaze2d_valid)
    np.testing.assert_allclose(out.gaze2d[1], [0.5, 0.5])  # unknown 2D gaze -> image centre
    assert out.channel_mask[:, 6:13].all()  # pose known everywhere


def test_no_trajectory_gives_identity_pose_marked_invalid() -> None:
    s = _moving_clip()
    T_device_cpf_t = np.array([0.05, 0.0, 0.01])
    head_t = np.broadcast_to(T_device_cpf_t, (T, 3)).copy()
    head_R = np.broadcast_to(np.eye(3), (T, 3, 3)).copy()
    static = _samples(
        head_t, head_R, *_yaw_pitch(s), s.depth_m, pose_valid=np.zeros(T, bool), has_trajectory=False
    )
    out = normalize_clip_gaze(static)
    np.testing.assert_allclose(out.gaze[:, 6:13], np.tile([0, 0, 0, 0, 0, 0, 1], (T, 1)), atol=1e-6)
    assert not out.channel_mask[:, 6:13].any() and out.channel_mask[:, 0:6].all()
    np.testing.assert_allclose(out.gaze[:, 0:3], s.dir_cpf * s.depth_m[:, None], atol=1e-5)


def test_pose_gaps_are_neutral_identity_poses_and_masked() -> None:
    s = _moving_clip()
    pose_valid = np.array([False, True, True, True, False, True])
    head_t = np.where(pose_valid[:, None], s.head_t_world_m, np.nan)
    point = np.where(pose_valid[:, None], s.point_world_m, np.nan)
    out = normalize_clip_gaze(
        _moving_clip(
            pose_valid=pose_valid,
            head_t_world_m=head_t,
            point_world_m=point,
            head_q_xyzw=np.where(pose_valid[:, None], s.head_q_xyzw, np.nan),
        )
    )
    assert np.isfinite(out.gaze).all()
    np.testing.assert_allclose(out.gaze[1, 6:13], [0, 0, 0, 0, 0, 0, 1], atol=1e-6)  # first step with a pose
    # a missing pose is the identity (never the non-rotation quaternion 0, 0, 0, 0), and masked
    assert (out.gaze[~pose_valid, 0:3] == 0).all()
    identity = np.tile([0, 0, 0, 0, 0, 0, 1], (int((~pose_valid).sum()), 1))
    np.testing.assert_array_equal(out.gaze[~pose_valid, 6:13], identity)
    assert not out.channel_mask[~pose_valid, 6:13].any() and out.channel_mask[pose_valid, 6:13].all()
    np.testing.assert_array_equal(out.channel_mask[:, 0], pose_valid)


def test_bad_shapes_raise() -> None:
    from skillsight.exceptions import DataFormatError

    with pytest.raises(DataFormatError, match="depth_m"):
        normalize_clip_gaze(_moving_clip(depth_m=np.zeros(T + 1)))


@pytest.mark.parametrize("bad_q", [[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.2988e-308]])
def test_a_zero_or_underflowing_head_quaternion_is_no_pose(bad_q) -> None:
    """(0, 0, 0, 1e-308) has a norm that underflows to 0: it is no rotation, so its step has no head pose
    (masked like a non-finite pose) and no floating-point error escapes (a property-test example that
    failed before window preparation was vectorised)."""
    clip = _moving_clip()
    head_q = clip.head_q_xyzw.copy()
    head_q[3] = bad_q
    with np.errstate(divide="raise", invalid="raise"):  # a division by zero would raise here
        norm = normalize_clip_gaze(_moving_clip(head_q_xyzw=head_q))
    reference = normalize_clip_gaze(_moving_clip(head_q_xyzw=head_q, pose_valid=np.arange(T) != 3))
    np.testing.assert_array_equal(norm.gaze, reference.gaze)
    assert not norm.channel_mask[3, GAZE_CHANNELS.index("head_qw")]
    assert np.isfinite(norm.gaze).all()
