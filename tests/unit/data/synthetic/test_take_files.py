"""The synthetic take writers: each file reads back, through the real readers, as what was simulated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.aria_calibration import read_device_calibration
from skillsight.data.readers.aria_gaze import read_gaze_csv
from skillsight.data.readers.aria_trajectory import read_trajectory_csv
from skillsight.data.synthetic.behaviour import simulate_take
from skillsight.data.synthetic.scenes import SCENES, sample_attributes
from skillsight.data.synthetic.take_files import (
    DEPTH_CAP_M,
    SimulatedTake,
    write_calibration,
    write_gaze,
    write_trajectory,
)
from skillsight.data.synthetic.takes import synthetic_calibration
from skillsight.gaze.geometry import invert_poses


@pytest.fixture(scope="module")
def take() -> SimulatedTake:
    """A 4 s Cooking take at 20 fps: gaze every 2nd frame (10 Hz), head poses at 100 Hz."""
    scene = SCENES["Cooking"]
    attributes = sample_attributes(2, np.random.default_rng(0), 1.0)
    b = simulate_take(scene, 0, attributes, np.random.default_rng(1), 4.0, rate_hz=20, head_rate_hz=100)
    calib = synthetic_calibration(np.random.default_rng(2))
    T_world_cpf = np.zeros((len(b.head_times_s), 4, 4))
    T_world_cpf[:, :3, :3], T_world_cpf[:, :3, 3], T_world_cpf[:, 3, 3] = (
        b.R_world_cpf,
        b.head_pos_world_m,
        1.0,
    )
    return SimulatedTake(
        scene=scene,
        behaviour=b,
        calibration=calib,
        T_world_device=T_world_cpf @ invert_poses(calib.T_device_cpf),
        start_us=5_000_000,
        gaze_step=2,
        session_uid="00000000-0000-4000-8000-000000000000",
        audio=None,
    )


def test_gaze_is_written_at_the_gaze_rate_with_depth_capped(take: SimulatedTake, tmp_path: Path) -> None:
    write_gaze(tmp_path, take)
    track = read_gaze_csv(tmp_path / "eye_gaze" / "general_eye_gaze.csv")
    assert track.layout == "vergence" and len(track) == 40  # 80 frames, every 2nd
    np.testing.assert_array_equal(track.timestamps_us, 5_000_000 + 100_000 * np.arange(40))
    np.testing.assert_allclose(track.yaw_rad, take.behaviour.yaw_rad[::2], atol=1e-6)
    np.testing.assert_allclose(track.pitch_rad, take.behaviour.pitch_rad[::2], atol=1e-6)
    np.testing.assert_allclose(track.depth_m, np.minimum(take.behaviour.depth_m[::2], DEPTH_CAP_M), atol=1e-6)


def test_trajectory_and_calibration_read_back(take: SimulatedTake, tmp_path: Path) -> None:
    write_trajectory(tmp_path, take)
    write_calibration(tmp_path, take)
    trajectory = read_trajectory_csv(tmp_path / "trajectory" / "closed_loop_trajectory.csv")
    head_us = 5_000_000 + np.round(take.behaviour.head_times_s * 1e6).astype(np.int64)
    np.testing.assert_array_equal(trajectory.timestamps_us, head_us)
    np.testing.assert_allclose(trajectory.t_world_device_m, take.T_world_device[:, :3, 3], atol=1e-6)
    assert np.all(trajectory.quality == 1.0)
    calib = read_device_calibration(tmp_path / "device_calibration.json")
    np.testing.assert_allclose(calib.T_device_cpf, take.calibration.T_device_cpf, atol=1e-6)
    np.testing.assert_allclose(calib.T_device_camera, take.calibration.T_device_camera, atol=1e-6)
