"""Extra dataset keys: sparse frames, head motion from a trajectory, clip audio; only decoded when asked."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from skillsight.data.datasets import SkillClipDataset
from skillsight.data.extra_inputs.head_motion import head_motion_at
from skillsight.data.extra_inputs.sparse_frames import sparse_positions
from skillsight.data.readers.egoexo4d import load_takes
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.tracks import Trajectory


def test_sparse_positions_are_evenly_spaced_and_include_the_ends() -> None:
    assert sparse_positions(16, 4).tolist() == [0, 5, 10, 15]
    assert sparse_positions(16, 1).tolist() == [0]
    assert sparse_positions(4, 4).tolist() == [0, 1, 2, 3]
    with pytest.raises(ConfigError, match="num_sparse_frames"):
        sparse_positions(4, 5)


def _turning_walk(rate_hz: float = 50.0, seconds: float = 4.0) -> Trajectory:
    """Yaw at 0.5 rad/s about world z while walking 1.2 m/s along the device's own x axis."""
    t_s = np.arange(0, seconds, 1 / rate_hz)
    yaw = 0.5 * t_s
    rot = Rotation.from_euler("z", yaw[:, None])
    # integrate a body-frame velocity (1.2, 0, 0) in the world frame
    heading = np.stack([np.cos(yaw), np.sin(yaw), np.zeros_like(yaw)], axis=1)
    pos = np.concatenate([[np.zeros(3)], np.cumsum(1.2 * heading[:-1] / rate_hz, axis=0)])
    return Trajectory((t_s * 1e6).astype(np.int64), pos, rot.as_quat(), np.ones(len(t_s)))


def test_head_motion_recovers_body_frame_angular_and_linear_velocity() -> None:
    traj = _turning_walk()
    motion, valid = head_motion_at(traj, 500_000, 3_500_000, 30)
    assert valid.all() and motion.shape == (30, 6)
    np.testing.assert_allclose(motion[:, :3], [[0, 0, 0.5]] * 30, atol=1e-6)  # gyroscope: yaw rate
    np.testing.assert_allclose(motion[:, 3:], [[1.2, 0, 0]] * 30, atol=0.02)  # body-frame forward speed


def test_head_motion_outside_the_trajectory_is_masked_and_zero() -> None:
    traj = _turning_walk(seconds=2.0)
    motion, valid = head_motion_at(traj, 1_000_000, 3_000_000, 10)
    assert valid[:4].all() and not valid[-4:].any()
    assert np.all(motion[~valid] == 0)


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> list:
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("extra")
    generate_synthetic_dataset(
        root, takes_per_level=3, scenarios=("Cooking",), frame_px=32, duration_s=10, workers=1
    )
    return load_takes(root).takes


def test_sparse_frames_are_the_clips_frames_at_the_sparse_positions(takes) -> None:
    both = SkillClipDataset(
        takes[:2],
        ["video", "sparse_frames"],
        mode="test",
        num_clips=2,
        frame_size_px=32,
        input_options={"num_sparse_frames": 4},
    )
    item = both[1]
    assert item["sparse_frames"].shape == (4, 3, 32, 32)
    assert torch.equal(item["sparse_frames"], item["video"][sparse_positions(16, 4)])
    only = SkillClipDataset(takes[:2], ["sparse_frames"], mode="test", num_clips=2, frame_size_px=32)
    assert "video" not in only[1] and torch.equal(only[1]["sparse_frames"], item["sparse_frames"])


def test_head_motion_and_audio_keys_have_the_declared_shapes(takes) -> None:
    ds = SkillClipDataset(
        takes[:2],
        ["head_motion", "head_motion_mask", "audio"],
        mode="test",
        num_clips=2,
        frame_size_px=32,
        input_options={"head_motion_steps": 20, "audio_rate_hz": 8000},
    )
    item = ds[0]
    assert item["head_motion"].shape == (20, 6) and item["head_motion_mask"].dtype == torch.bool
    assert item["head_motion_mask"].all() and torch.isfinite(item["head_motion"]).all()
    assert item["audio"].shape == (16 * 4000,)  # 16 frames x 0.5 s x 8 kHz
    assert float(item["audio"].abs().max()) > 0.1  # contact sounds are in the window


def test_a_take_without_audio_is_refused_naming_it(takes, tmp_path: Path) -> None:
    import dataclasses

    from skillsight.data.readers.video import decode_all_frames, write_video

    take = takes[0]
    silent = tmp_path / "silent.mp4"
    write_video(silent, decode_all_frames(take.video_paths[take.ego_camera]), 10)
    muted = dataclasses.replace(take, video_paths={**take.video_paths, take.ego_camera: silent})
    ds = SkillClipDataset([muted], ["audio"], mode="test", num_clips=1, frame_size_px=32)
    with pytest.raises(DataFormatError, match="has no audio stream") as err:
        ds[0]
    assert take.take_uid in str(err.value)
