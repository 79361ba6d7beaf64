"""Aria MPS sample files: every layout parses; projectaria_tools 2.3.0 golden values are reproduced."""

from __future__ import annotations

import json

import numpy as np
import pytest
from _paths import shared_data_dir

from skillsight.data.readers.aria import pose_at, read_device_calibration, read_gaze_csv, read_trajectory_csv
from skillsight.gaze.geometry import gaze_point_cpf, vergence_to_combined
from skillsight.gaze.projection import project_gaze_to_rgb, to_upright_px

pytestmark = pytest.mark.realdata

GAZE_FILES = [
    ("gen1/legacy_v1/eyegaze.csv", "legacy_v1", 123),
    ("gen1/legacy_v2/generalized_eye_gaze.csv", "legacy_v2", 123),
    ("gen1/vergence/generalized_gaze.csv", "vergence", 123),
    ("gen1/general_eye_gaze_30hz.csv", "legacy_v2", 6),
    ("gen2/general_eye_gaze.csv", "gen2", 5),
    ("gen2/personalized_eye_gaze.csv", "gen2", 5),
    ("aea/general_eye_gaze.csv", "legacy_v2", 4),
]


@pytest.fixture(scope="module")
def samples():
    return shared_data_dir("aria-mps-samples")


@pytest.fixture(scope="module")
def golden(samples):
    return json.loads((samples / "aea" / "golden_values_projectaria_tools_2.3.0.json").read_text())


@pytest.mark.parametrize("rel,layout,rows", GAZE_FILES)
def test_every_gaze_layout_parses(samples, rel, layout, rows):
    track = read_gaze_csv(samples / rel)
    assert track.layout == layout
    assert len(track) == rows
    assert track.timestamps_us.dtype == np.int64 and np.all(np.diff(track.timestamps_us) > 0)
    assert np.all(np.isfinite(track.yaw_rad)) and np.all(np.isfinite(track.pitch_rad))
    assert np.array_equal(track.depth_valid, np.isfinite(track.depth_m))
    if layout in ("vergence", "gen2"):
        assert track.left_yaw_rad is not None and track.right_yaw_rad is not None


def test_legacy_v1_and_v2_hold_the_same_gaze(samples):
    v1 = read_gaze_csv(samples / "gen1/legacy_v1/eyegaze.csv")
    v2 = read_gaze_csv(samples / "gen1/legacy_v2/generalized_eye_gaze.csv")
    np.testing.assert_array_equal(v1.timestamps_us, v2.timestamps_us)
    np.testing.assert_allclose(v1.yaw_rad, v2.yaw_rad, atol=1e-12)
    assert not v1.depth_valid.any() and not v2.depth_valid.any()  # depth column empty in both


def test_vergence_depth_is_the_capped_ray_intersection(samples):
    track = read_gaze_csv(samples / "gen1/vergence/generalized_gaze.csv")
    _, depth = vergence_to_combined(track.left_yaw_rad, track.right_yaw_rad, track.pitch_rad)
    assert track.depth_valid.all()
    np.testing.assert_allclose(track.depth_m, np.minimum(depth, 4.0), rtol=1e-9)


def test_gen2_combined_yaw_lies_between_the_eyes(samples):
    track = read_gaze_csv(samples / "gen2/general_eye_gaze.csv")
    lo = np.minimum(track.left_yaw_rad, track.right_yaw_rad)
    hi = np.maximum(track.left_yaw_rad, track.right_yaw_rad)
    assert np.all((track.yaw_rad >= lo) & (track.yaw_rad <= hi))
    assert not track.depth_valid.any()


def test_golden_vergence_rows(samples, golden):
    track = read_gaze_csv(samples / "gen1/vergence/generalized_gaze.csv")
    for row in golden["gen1_vergence_first3"]:
        i = int(np.flatnonzero(track.timestamps_us == row["tracking_timestamp_us"])[0])
        assert track.yaw_rad[i] == pytest.approx(row["reader_yaw"], abs=1e-5)
        assert track.depth_m[i] == pytest.approx(row["reader_depth"], abs=1e-5)
        yaw, depth = vergence_to_combined(
            np.array([row["left_yaw"]]), np.array([row["right_yaw"]]), np.array([row["pitch"]])
        )
        assert yaw[0] == pytest.approx(row["computed_combined_yaw"], abs=1e-5)
        assert depth[0] == pytest.approx(row["computed_depth"], abs=1e-5)
        point = gaze_point_cpf(np.array([row["reader_yaw"]]), np.array([row["pitch"]]), 1.0)
        np.testing.assert_allclose(point[0], row["point_at_1m_cpf"], atol=1e-5)


def test_golden_transforms_and_intrinsics(samples, golden):
    path = samples / "aea" / "device_calibration.json"
    calib = read_device_calibration(path)
    cad = read_device_calibration(path, extrinsics="cad")
    np.testing.assert_allclose(calib.T_device_cpf, golden["aea_T_device_cpf"], atol=1e-6)
    np.testing.assert_allclose(calib.T_device_camera, golden["aea_T_device_rgb_calibrated"], atol=1e-9)
    np.testing.assert_allclose(cad.T_device_camera, golden["aea_T_device_rgb_CAD"], atol=1e-6)
    np.testing.assert_array_equal(calib.camera.params, golden["aea_rgb_fisheye624_params"])
    assert (calib.camera.width_px, calib.camera.height_px) == (1408, 1408)


def test_golden_gaze_pixels_plain_and_upright(samples, golden):
    calib = read_device_calibration(samples / "aea" / "device_calibration.json")
    gaze = read_gaze_csv(samples / "aea" / "general_eye_gaze.csv")
    rows = golden["aea_gaze_reprojection_rgb_1408"]
    np.testing.assert_array_equal(gaze.timestamps_us, [r["tracking_timestamp_us"] for r in rows])
    yaw = np.array([r["yaw"] for r in rows])
    pitch = np.array([r["pitch"] for r in rows])
    np.testing.assert_allclose(gaze.yaw_rad, yaw, atol=1e-6)
    point = gaze_point_cpf(yaw, pitch, 1.0)
    plain = project_gaze_to_rgb(point, calib)
    upright = project_gaze_to_rgb(point, calib, upright=True)
    np.testing.assert_allclose(plain, [r["rgb_px_depth1m"] for r in rows], atol=1e-2)
    np.testing.assert_allclose(upright, [r["rgb_px_depth1m_upright"] for r in rows], atol=1e-2)
    # The official make_upright path is NOT the image rotation of the plain pixel: ~(14.5, -15.5) px apart.
    offset = upright - to_upright_px(plain, 1408)
    assert np.all(np.abs(offset[:, 0] - 14.4) < 0.5) and np.all(np.abs(offset[:, 1] + 15.4) < 0.3)


def test_cad_extrinsics_move_the_gaze_pixel_5_to_11_px(samples, golden):
    path = samples / "aea" / "device_calibration.json"
    rows = golden["aea_gaze_reprojection_rgb_1408"]
    point = gaze_point_cpf(np.array([r["yaw"] for r in rows]), np.array([r["pitch"] for r in rows]), 1.0)
    shift = np.linalg.norm(
        project_gaze_to_rgb(point, read_device_calibration(path, extrinsics="cad"))
        - project_gaze_to_rgb(point, read_device_calibration(path)),
        axis=1,
    )
    assert np.all((shift > 5.0) & (shift < 12.0))


@pytest.mark.parametrize(
    "rel,rows", [("closed_loop_trajectory.csv", 199), ("closed_loop_trajectory_20col.csv", 6)]
)
def test_trajectories_parse(samples, rel, rows):
    traj = read_trajectory_csv(samples / "trajectory" / rel)
    assert len(traj) == rows
    np.testing.assert_allclose(np.linalg.norm(traj.q_world_device_xyzw, axis=1), 1.0, atol=1e-12)
    assert np.all(np.isfinite(traj.quality))


def test_30hz_gaze_gets_poses_from_its_trajectory(samples):
    gaze = read_gaze_csv(samples / "gen1/general_eye_gaze_30hz.csv")
    traj = read_trajectory_csv(samples / "trajectory/closed_loop_trajectory_20col.csv")
    # the gaze stream starts 3 us before the trajectory: not interpolated, but a nearest lookup
    np.testing.assert_array_equal(traj.timestamps_us - gaze.timestamps_us, 3)
    _, _, valid = pose_at(traj, gaze.timestamps_us)
    np.testing.assert_array_equal(valid, [False, True, True, True, True, True])
    t, _q, valid = pose_at(traj, gaze.timestamps_us, mode="nearest", max_gap_us=1000)
    assert valid.all()
    np.testing.assert_array_equal(t, traj.t_world_device_m)
