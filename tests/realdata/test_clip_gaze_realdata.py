"""Clip gaze sampling and normalisation on real Aria MPS outputs (../shared/data/aria-mps-samples)."""

from __future__ import annotations

import numpy as np
from _paths import shared_data_dir

from skillsight.data.readers import aria
from skillsight.gaze.normalize import normalize_clip_gaze
from skillsight.gaze.resample import gaze_samples_at


def test_vergence_gaze_with_its_trajectory() -> None:
    root = shared_data_dir("aria-mps-samples")
    gaze = aria.read_gaze_csv(root / "gen1" / "vergence" / "generalized_gaze.csv")
    traj = aria.read_trajectory_csv(root / "trajectory" / "closed_loop_trajectory.csv")
    query = np.arange(149_210_000, 149_390_001, 30_000, dtype=np.int64)  # inside both recordings
    s = gaze_samples_at(gaze, query, trajectory=traj)
    assert s.gaze_valid.all() and s.pose_valid.all() and s.depth_valid.all()
    ray_m = np.linalg.norm(s.point_world_m - s.head_t_world_m, axis=1)
    np.testing.assert_allclose(ray_m, s.depth_m, rtol=1e-6)  # the world point sits at the gaze depth
    out = normalize_clip_gaze(s)
    assert np.isfinite(out.gaze).all() and out.mask.all() and out.channel_mask.all()
    np.testing.assert_allclose(out.gaze[0, 6:13], [0, 0, 0, 0, 0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(out.gaze[:, 9:13], axis=1), 1.0, atol=1e-5)
    # a quarter second of head motion: centimetres, not metres
    assert np.abs(out.gaze[:, 6:9]).max() < 0.5
    # outside the trajectory the pose is unknown and masked, the gaze is still there
    late = gaze_samples_at(gaze, np.array([150_000_000, 151_000_000]), trajectory=traj)
    assert late.gaze_valid.all() and not late.pose_valid.any()
    assert not normalize_clip_gaze(late).channel_mask[:, 6:13].any()


def test_30hz_legacy_gaze_without_depth() -> None:
    root = shared_data_dir("aria-mps-samples")
    gaze = aria.read_gaze_csv(root / "gen1" / "general_eye_gaze_30hz.csv")
    traj = aria.read_trajectory_csv(root / "trajectory" / "closed_loop_trajectory_20col.csv")
    query = gaze.timestamps_us[1:5]
    s = gaze_samples_at(gaze, query, trajectory=traj, default_depth_m=1.0)
    assert s.gaze_valid.all() and s.pose_valid.all() and not s.depth_valid.any()
    np.testing.assert_allclose(np.linalg.norm(s.point_cpf_m, axis=1), 1.0)
    out = normalize_clip_gaze(s)
    assert (out.gaze[:, 13] == 0).all() and not out.channel_mask[:, 13].any()
    assert np.isfinite(out.gaze).all()
