"""Aria MPS readers/writers on small files written in code: layouts, round trips, bad input, poses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.aria import (
    GAZE_LAYOUTS,
    cad_T_device_cpf,
    detect_gaze_layout,
    nominal_rgb_calibration,
    pose_at,
    read_device_calibration,
    read_gaze_csv,
    read_trajectory_csv,
    write_device_calibration_json,
    write_gaze_csv,
    write_trajectory_csv,
)
from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import pose_matrices, quat_xyzw_to_matrix, slerp_xyzw
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera, GazeTrack, Trajectory

LEGACY_V1 = (
    "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,depth_m,yaw_low_rads_cpf,pitch_low_rads_cpf,"
    "yaw_high_rads_cpf,pitch_high_rads_cpf\n"
    "100,0.1,0.2,,0.0,0.1,0.2,0.3\n"
    "200,0.15,0.25,1.5,0.0,0.1,0.2,0.3\n"
)


def _track(n: int = 20, with_depth: bool = True) -> GazeTrack:
    rng = np.random.default_rng(0)
    depth = rng.uniform(0.3, 3.9, n)
    valid = np.ones(n, bool) if with_depth else np.zeros(n, bool)
    valid[::7] = False
    return GazeTrack(
        timestamps_us=np.arange(n, dtype=np.int64) * 100_000 + 5_000,
        yaw_rad=rng.uniform(-0.5, 0.5, n),
        pitch_rad=rng.uniform(-0.5, 0.3, n),
        depth_m=np.where(valid, depth, np.nan),
        depth_valid=valid,
        layout="synthetic",
    )


def _traj(n: int = 11, step_us: int = 1000) -> Trajectory:
    rng = np.random.default_rng(1)
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return Trajectory(
        timestamps_us=np.arange(n, dtype=np.int64) * step_us + 1_000_000,
        t_world_device_m=rng.normal(size=(n, 3)),
        q_world_device_xyzw=q,
        quality=rng.uniform(0, 1, n),
    )


@pytest.mark.parametrize("layout", list(GAZE_LAYOUTS))
def test_detect_every_layout_from_its_header(layout):
    assert detect_gaze_layout(GAZE_LAYOUTS[layout], "x.csv") == layout


def test_unknown_layout_lists_columns_and_known_layouts():
    with pytest.raises(DataFormatError) as err:
        detect_gaze_layout(["tracking_timestamp_us", "gaze_x"], "odd.csv")
    msg = str(err.value)
    assert "odd.csv" in msg and "gaze_x" in msg and "vergence" in msg and "legacy_v1" in msg


def test_legacy_v1_empty_depth_becomes_nan_and_invalid(tmp_path: Path):
    path = tmp_path / "eyegaze.csv"
    path.write_text(LEGACY_V1)
    track = read_gaze_csv(path)
    assert track.layout == "legacy_v1"
    np.testing.assert_array_equal(track.timestamps_us, [100, 200])
    assert np.isnan(track.depth_m[0]) and track.depth_m[1] == 1.5
    np.testing.assert_array_equal(track.depth_valid, [False, True])


@pytest.mark.parametrize("layout", ["vergence", "legacy_v2", "legacy_v1"])
def test_gaze_write_read_round_trip(tmp_path: Path, layout):
    track = _track()
    path = tmp_path / f"{layout}.csv"
    write_gaze_csv(path, track, layout=layout)
    back = read_gaze_csv(path)
    assert back.layout == layout and back.source == str(path)
    np.testing.assert_array_equal(back.timestamps_us, track.timestamps_us)
    np.testing.assert_allclose(back.yaw_rad, track.yaw_rad, atol=1e-12)
    np.testing.assert_array_equal(back.pitch_rad, track.pitch_rad)
    np.testing.assert_array_equal(back.depth_valid, track.depth_valid)
    np.testing.assert_allclose(back.depth_m, track.depth_m, rtol=0, atol=0, equal_nan=True)


def test_vergence_writer_derives_per_eye_yaws_consistent_with_depth(tmp_path: Path):
    track = _track()
    path = tmp_path / "generalized_gaze.csv"
    write_gaze_csv(path, track, layout="vergence")
    back = read_gaze_csv(path)
    from skillsight.gaze.geometry import vergence_to_combined

    _, depth = vergence_to_combined(back.left_yaw_rad, back.right_yaw_rad, back.pitch_rad)
    np.testing.assert_allclose(depth[track.depth_valid], track.depth_m[track.depth_valid], rtol=1e-9)
    assert np.all(back.left_yaw_rad[~track.depth_valid] == back.right_yaw_rad[~track.depth_valid])


def test_gen2_round_trip_has_no_depth(tmp_path: Path):
    path = tmp_path / "general_eye_gaze.csv"
    write_gaze_csv(path, _track(), layout="gen2")
    back = read_gaze_csv(path)
    assert back.layout == "gen2" and not back.depth_valid.any()


def test_empty_file_is_refused(tmp_path: Path):
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(DataFormatError, match="empty file") as err:
        read_gaze_csv(path)
    assert str(path) in str(err.value)


def test_header_only_is_refused(tmp_path: Path):
    path = tmp_path / "header.csv"
    path.write_text(LEGACY_V1.splitlines()[0] + "\n")
    with pytest.raises(DataFormatError, match="no data rows"):
        read_gaze_csv(path)


def test_missing_column_names_file_field_and_columns(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text("tracking_timestamp_us,left_yaw_rads_cpf,right_yaw_rads_cpf,depth_m\n1,0.1,0.2,1.0\n")
    with pytest.raises(DataFormatError) as err:
        read_gaze_csv(path)
    assert (
        err.value.field == "pitch_rads_cpf" and str(path) in str(err.value) and "vergence" in str(err.value)
    )


def test_empty_required_cell_names_field_and_line(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + "300,,0.3,,0,0,0,0\n")
    with pytest.raises(DataFormatError) as err:
        read_gaze_csv(path)
    assert err.value.field == "yaw_rads_cpf" and "line 4" in str(err.value) and str(path) in str(err.value)


def test_nan_text_in_required_cell_is_refused(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + "300,0.2,nan,,0,0,0,0\n")
    with pytest.raises(DataFormatError, match="line 4") as err:
        read_gaze_csv(path)
    assert err.value.field == "pitch_rads_cpf"


def test_unparsable_cell_names_field_value_and_line(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + "300,0.2,abc,,0,0,0,0\n")
    with pytest.raises(DataFormatError) as err:
        read_gaze_csv(path)
    assert err.value.field == "pitch_rads_cpf" and err.value.value == "abc" and "line 4" in str(err.value)


def test_ragged_row_is_refused(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + "300,0.2,0.1\n")
    with pytest.raises(DataFormatError, match="line 4"):
        read_gaze_csv(path)


@pytest.mark.parametrize("bad_ts", ["150", "200"])
def test_non_monotonic_timestamps_name_row_and_value(tmp_path: Path, bad_ts):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + f"{bad_ts},0.2,0.1,,0,0,0,0\n")
    with pytest.raises(DataFormatError) as err:
        read_gaze_csv(path)
    msg = str(err.value)
    assert err.value.field == "tracking_timestamp_us" and err.value.value == int(bad_ts) and "line 4" in msg


def test_negative_depth_is_refused(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    path.write_text(LEGACY_V1 + "300,0.2,0.1,-1.0,0,0,0,0\n")
    with pytest.raises(DataFormatError, match="depth"):
        read_gaze_csv(path)


def test_windows_line_endings_and_trailing_empty_cells(tmp_path: Path):
    path = tmp_path / "gaze.csv"
    text = "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,depth_m\n1,0.1,0.2,\n2,0.3,0.4,\n"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    track = read_gaze_csv(path)
    np.testing.assert_array_equal(track.yaw_rad, [0.1, 0.3])
    assert not track.depth_valid.any()


def test_trajectory_round_trip_and_velocities(tmp_path: Path):
    traj = _traj()
    path = tmp_path / "closed_loop_trajectory.csv"
    write_trajectory_csv(path, traj)
    assert len(path.read_text().splitlines()[0].split(",")) == 20
    back = read_trajectory_csv(path)
    np.testing.assert_array_equal(back.timestamps_us, traj.timestamps_us)
    np.testing.assert_array_equal(back.t_world_device_m, traj.t_world_device_m)
    np.testing.assert_allclose(back.q_world_device_xyzw, traj.q_world_device_xyzw, atol=1e-15)
    np.testing.assert_array_equal(back.quality, traj.quality)


def test_trajectory_constant_velocity_is_written_in_device_frame(tmp_path: Path):
    n = 5
    q = np.tile([0.0, 0.0, np.sin(np.pi / 4), np.cos(np.pi / 4)], (n, 1))  # device X = world Y
    t = np.c_[np.zeros(n), np.arange(n) * 0.002, np.zeros(n)]  # 2 m/s along world Y
    traj = Trajectory(np.arange(n, dtype=np.int64) * 1000, t, q, np.ones(n))
    path = tmp_path / "traj.csv"
    write_trajectory_csv(path, traj)
    rows = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(10, 16))
    np.testing.assert_allclose(rows[:, :3], np.tile([2.0, 0.0, 0.0], (n, 1)), atol=1e-9)
    np.testing.assert_allclose(rows[:, 3:], 0.0, atol=1e-9)


def test_trajectory_bad_quaternion_and_order(tmp_path: Path):
    path = tmp_path / "traj.csv"
    write_trajectory_csv(path, _traj(4))
    lines = path.read_text().splitlines()
    cells = lines[2].split(",")
    cells[9] = "5.0"
    (tmp_path / "q.csv").write_text("\n".join([*lines[:2], ",".join(cells), *lines[3:]]) + "\n")
    with pytest.raises(DataFormatError, match="line 3"):
        read_trajectory_csv(tmp_path / "q.csv")
    (tmp_path / "o.csv").write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
    with pytest.raises(DataFormatError, match="strictly increase"):
        read_trajectory_csv(tmp_path / "o.csv")


def test_pose_at_interpolates_exact_hits_and_refuses_to_extrapolate():
    traj = _traj(11, step_us=1000)
    ts = traj.timestamps_us
    query = np.array([ts[0] - 1, ts[0], ts[3] + 250, ts[-1], ts[-1] + 1])
    t, q, valid = pose_at(traj, query)
    np.testing.assert_array_equal(valid, [False, True, True, True, False])
    assert np.isnan(t[~valid]).all() and np.isnan(q[~valid]).all()
    np.testing.assert_allclose(t[1], traj.t_world_device_m[0])
    np.testing.assert_allclose(t[3], traj.t_world_device_m[-1])
    np.testing.assert_allclose(t[2], 0.75 * traj.t_world_device_m[3] + 0.25 * traj.t_world_device_m[4])
    expected_q = slerp_xyzw(traj.q_world_device_xyzw[3:4], traj.q_world_device_xyzw[4:5], np.array([0.25]))
    np.testing.assert_allclose(quat_xyzw_to_matrix(q[2]), quat_xyzw_to_matrix(expected_q[0]), atol=1e-12)


def test_pose_at_gap_and_nearest():
    traj = _traj(4, step_us=1000)
    ts = traj.timestamps_us.copy()
    ts[2:] += 500_000  # a half-second hole between samples 1 and 2
    traj = Trajectory(ts, traj.t_world_device_m, traj.q_world_device_xyzw, traj.quality)
    _, _, valid = pose_at(traj, np.array([ts[0] + 10, ts[1] + 10, ts[2] + 10]), max_gap_us=10_000)
    np.testing.assert_array_equal(valid, [True, False, True])
    query = np.array([ts[0] + 400, ts[1] + 200_000, ts[3], ts[0] - 3, ts[3] + 5000])
    t, _, valid = pose_at(traj, query, mode="nearest", max_gap_us=1000)
    np.testing.assert_array_equal(valid, [True, False, True, True, False])
    np.testing.assert_array_equal(t[0], traj.t_world_device_m[0])
    np.testing.assert_array_equal(t[3], traj.t_world_device_m[0])  # 3 us before the first sample: a lookup
    _, _, valid = pose_at(traj, query[3:4])  # ... but never interpolated from outside
    assert not valid.any()
    with pytest.raises(ValueError, match="mode"):
        pose_at(traj, ts, mode="cubic")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole microseconds"):
        pose_at(traj, ts.astype(np.float64) + 0.5)
    _, _, valid = pose_at(traj, ts.astype(np.float64))  # integral floats are fine
    assert valid.all()


def _calib() -> DeviceCalibration:
    params = np.array(
        [610.0, 715.0, 700.0, 0.4, -0.5, 0.24, 1.0, -1.6, 0.6, -3e-4, -7e-4, -6e-4, -2e-4, 2e-4, -2e-4]
    )
    T_device_camera = pose_matrices(
        np.array([-0.0046, -0.0117, -0.0049]), np.array([0.328, 0.038, 0.034, 0.943])
    )
    return DeviceCalibration(cad_T_device_cpf("DVT-S"), T_device_camera, Fisheye624Camera(params, 1408, 1408))


def test_calibration_write_read_round_trip(tmp_path: Path):
    calib = _calib()
    path = tmp_path / "device_calibration.json"
    write_device_calibration_json(path, calib)
    doc = json.loads(path.read_text())
    cam = doc["CameraCalibrations"][0]
    assert cam["Label"] == "camera-rgb" and cam["Projection"]["Name"] == "FisheyeRadTanThinPrism"
    assert (
        len(cam["T_Device_Camera"]["UnitQuaternion"]) == 2
        and len(cam["T_Device_Camera"]["UnitQuaternion"][1]) == 3
    )
    back = read_device_calibration(path)
    np.testing.assert_allclose(back.T_device_camera, calib.T_device_camera, atol=1e-12)
    np.testing.assert_allclose(back.T_device_cpf, calib.T_device_cpf, atol=1e-15)
    np.testing.assert_array_equal(back.camera.params, calib.camera.params)
    assert (back.camera.width_px, back.camera.height_px, back.camera.label) == (1408, 1408, "camera-rgb")


def test_calibration_writer_refuses_a_cpf_the_format_cannot_hold(tmp_path: Path):
    calib = _calib()
    moved = DeviceCalibration(np.eye(4), calib.T_device_camera, calib.camera)
    with pytest.raises(ValueError, match="cad_T_device_cpf"):
        write_device_calibration_json(tmp_path / "c.json", moved)


def test_calibration_errors_name_the_key(tmp_path: Path):
    path = tmp_path / "c.json"
    write_device_calibration_json(path, _calib())
    doc = json.loads(path.read_text())
    with pytest.raises(DataFormatError, match="camera not in file"):
        read_device_calibration(path, camera_label="camera-slam-left")
    doc["DeviceClassInfo"]["BuildVersion"] = "PVT-X"
    path.write_text(json.dumps(doc))
    with pytest.raises(DataFormatError, match="BuildVersion"):
        read_device_calibration(path)
    path.write_text("{not json")
    with pytest.raises(DataFormatError, match="cannot read"):
        read_device_calibration(path)


def test_dvt_l_cpf_differs_from_dvt_s_only_slightly():
    small, large = cad_T_device_cpf("DVT-S"), cad_T_device_cpf("DVT-L")
    np.testing.assert_allclose(small[:3, :3], large[:3, :3], atol=1e-12)
    assert 0 < np.linalg.norm(small[:3, 3] - large[:3, 3]) < 0.005


@pytest.mark.parametrize("build", ["DVT-S", "DVT-L"])
def test_nominal_calibration_sees_gaze_ahead_and_round_trips(tmp_path: Path, build):
    from skillsight.gaze.geometry import gaze_point_cpf
    from skillsight.gaze.projection import project_gaze_to_rgb

    calib = nominal_rgb_calibration(build)
    # gaze slightly down (the RGB camera is tilted down ~7.5 deg from the CPF in CAD) lands near the centre
    px = project_gaze_to_rgb(gaze_point_cpf(np.array([0.0]), np.array([-0.13]), np.array([2.0])), calib)
    assert np.all(np.abs(px - 704) < 60)
    path = tmp_path / "device_calibration.json"
    write_device_calibration_json(path, calib, build_version=build)
    back = read_device_calibration(path)
    np.testing.assert_allclose(back.T_device_camera, calib.T_device_camera, atol=1e-12)
    np.testing.assert_allclose(
        read_device_calibration(path, extrinsics="cad").T_device_camera, calib.T_device_camera, atol=1e-12
    )
