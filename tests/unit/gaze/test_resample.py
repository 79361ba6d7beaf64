"""Gap-aware linear resampling of gaze tracks."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import gaze_point_cpf_from_world, pose_matrices, transform_points
from skillsight.gaze.normalize import normalize_clip_gaze
from skillsight.gaze.projection import project_gaze_to_rgb
from skillsight.gaze.resample import gaze_samples_at, resample_track
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera, Gaze2DTrack, GazeTrack, Trajectory


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


# --- gaze_samples_at: the raw per-clip arrays ----------------------------------------------------


TARGET_WORLD = np.array([0.3, -0.2, 2.5])
PARAMS = np.array([610.0, 715.0, 716.0, 0.4, -0.5, 0.1, 1.0, -1.6, 0.7, 1e-4, -2e-4, 1e-4, 0, 0, 0])


def _calibration() -> DeviceCalibration:
    T_device_cpf = pose_matrices(np.array([-0.04, -0.01, -0.02]), np.array([0.0, 0.1, 0.0, 0.995]))
    T_device_camera = pose_matrices(np.array([-0.005, 0.01, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))
    return DeviceCalibration(
        T_device_cpf=T_device_cpf,
        T_device_camera=T_device_camera,
        camera=Fisheye624Camera(params=PARAMS, width_px=1408, height_px=1408),
    )


def _trajectory() -> Trajectory:
    ts = np.arange(0, 3_000_001, 10_000, dtype=np.int64)  # 100 Hz, 3 s
    s = ts / 1e6
    t = np.stack([0.2 * s, 0.05 * np.sin(s), 0.1 * s], axis=1)
    half = 0.15 * s
    q = np.stack([np.zeros_like(s), np.sin(half), np.zeros_like(s), np.cos(half)], axis=1)  # yaw turn
    return Trajectory(timestamps_us=ts, t_world_device_m=t, q_world_device_xyzw=q, quality=np.ones(len(ts)))


def _gaze_on_target(
    traj: Trajectory, calib: DeviceCalibration, ts: np.ndarray, with_depth: bool = True
) -> GazeTrack:
    """Gaze that fixates TARGET_WORLD while the head moves."""
    idx = np.searchsorted(traj.timestamps_us, ts)
    T_world_device = pose_matrices(traj.t_world_device_m[idx], traj.q_world_device_xyzw[idx])
    target = np.broadcast_to(TARGET_WORLD, (len(ts), 3))
    p = gaze_point_cpf_from_world(target, T_world_device, calib.T_device_cpf)
    yaw, pitch = np.arctan(p[:, 0] / p[:, 2]), np.arctan(p[:, 1] / p[:, 2])
    depth = np.linalg.norm(p, axis=1) if with_depth else np.full(len(ts), np.nan)
    return GazeTrack(
        timestamps_us=ts,
        yaw_rad=yaw,
        pitch_rad=pitch,
        depth_m=depth,
        depth_valid=np.isfinite(depth),
        layout="legacy_v1",
    )


def test_fixating_a_world_point_gives_that_point_at_every_step() -> None:
    traj, calib = _trajectory(), _calibration()
    gaze_ts = np.arange(100_000, 2_900_001, 100_000, dtype=np.int64)  # 10 Hz
    gaze = _gaze_on_target(traj, calib, gaze_ts)
    query = gaze_ts[::5]  # exact hits: no interpolation error
    s = gaze_samples_at(gaze, query, trajectory=traj, calibration=calib)
    assert s.gaze_valid.all() and s.pose_valid.all() and s.depth_valid.all() and s.has_trajectory
    np.testing.assert_allclose(s.point_world_m, np.broadcast_to(TARGET_WORLD, (len(query), 3)), atol=1e-9)
    idx = np.searchsorted(traj.timestamps_us, query)
    T_world_device = pose_matrices(traj.t_world_device_m[idx], traj.q_world_device_xyzw[idx])
    T_world_cpf = T_world_device @ calib.T_device_cpf
    np.testing.assert_allclose(s.head_t_world_m, T_world_cpf[:, :3, 3], atol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(s.dir_cpf, axis=1), 1.0)
    # projected 2D gaze (no 2D track given) = the projection of the CPF point into the upright image
    np.testing.assert_allclose(
        s.gaze2d_px,
        project_gaze_to_rgb(s.point_cpf_m, calib, upright=True, upright_mode="rotate_image"),
        atol=1e-9,
    )
    assert s.gaze2d_valid.all() and s.image_size_px == (1408, 1408)
    # normalised: a fixed target gives constant point channels = target - mean head position
    g = normalize_clip_gaze(s).gaze
    expected = np.broadcast_to(TARGET_WORLD - s.head_t_world_m.mean(0), g[:, :3].shape)
    np.testing.assert_allclose(g[:, :3], expected, atol=1e-5)


def test_between_gaze_samples_and_outside_the_track() -> None:
    traj, calib = _trajectory(), _calibration()
    gaze_ts = np.arange(100_000, 2_900_001, 100_000, dtype=np.int64)
    gaze = _gaze_on_target(traj, calib, gaze_ts)
    query = np.array([50_000, 150_000, 2_950_000], dtype=np.int64)
    s = gaze_samples_at(gaze, query, trajectory=traj, calibration=calib)
    np.testing.assert_array_equal(s.gaze_valid, [False, True, False])
    np.testing.assert_allclose(s.dir_cpf[1], _mid_direction(gaze, 0), atol=1e-12)
    assert np.isnan(s.dir_cpf[[0, 2]]).all() and np.isnan(s.point_world_m[[0, 2]]).all()


def _mid_direction(gaze: GazeTrack, i: int) -> np.ndarray:
    from skillsight.gaze.geometry import gaze_direction_cpf

    yaw = (gaze.yaw_rad[i] + gaze.yaw_rad[i + 1]) / 2
    pitch = (gaze.pitch_rad[i] + gaze.pitch_rad[i + 1]) / 2
    return gaze_direction_cpf(np.array([yaw]), np.array([pitch]))[0]


def test_without_depth_trajectory_or_calibration() -> None:
    traj, calib = _trajectory(), _calibration()
    gaze_ts = np.arange(100_000, 2_900_001, 100_000, dtype=np.int64)
    gaze = _gaze_on_target(traj, calib, gaze_ts, with_depth=False)
    s = gaze_samples_at(gaze, gaze_ts[:4], default_depth_m=2.0)
    assert not s.depth_valid.any() and np.isnan(s.depth_m).all()
    np.testing.assert_allclose(np.linalg.norm(s.point_cpf_m, axis=1), 2.0)
    assert not s.has_trajectory and not s.pose_valid.any()
    from skillsight.data.readers.aria import cad_T_device_cpf

    np.testing.assert_allclose(s.point_world_m, transform_points(cad_T_device_cpf("DVT-S"), s.point_cpf_m))
    assert not s.gaze2d_valid.any() and s.image_size_px == (1408, 1408)
    out = normalize_clip_gaze(s)
    assert not out.channel_mask[:, 6:].any() and out.mask.all()


def test_gaze2d_track_is_resampled_and_raw_pixels_are_turned_upright() -> None:
    traj, calib = _trajectory(), _calibration()
    gaze_ts = np.arange(100_000, 2_900_001, 100_000, dtype=np.int64)
    gaze = _gaze_on_target(traj, calib, gaze_ts)
    xy = np.stack([np.linspace(100, 1300, len(gaze_ts)), np.linspace(50, 60, len(gaze_ts))], axis=1)
    track = Gaze2DTrack(timestamps_us=gaze_ts, xy_px=xy, image_size_px=(1408, 1408), upright=True)
    s = gaze_samples_at(gaze, gaze_ts[[2, 3]] + 50_000, gaze2d=track, calibration=calib)
    np.testing.assert_allclose(s.gaze2d_px, (xy[[2, 3]] + xy[[3, 4]]) / 2)
    raw = Gaze2DTrack(timestamps_us=gaze_ts, xy_px=xy, image_size_px=(1408, 1408), upright=False)
    s_raw = gaze_samples_at(gaze, gaze_ts[[2]], gaze2d=raw)
    np.testing.assert_allclose(s_raw.gaze2d_px, [[1407 - xy[2, 1], xy[2, 0]]])
