"""What reaches a model: per-channel validity, no (0,0,0,0) quaternion, no NaN/inf, the 2D gaze mask."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.evaluation.evaluate import predict_takes
from skillsight.exceptions import DataFormatError
from skillsight.gaze.normalize import GAZE_CHANNELS, normalize_clip_gaze
from skillsight.gaze.resample import gaze_samples_at
from skillsight.gaze.tracks import GazeTrack, Trajectory
from skillsight.models import create_model

HEAD = slice(6, 13)


def _inputs_with_a_trajectory_gap_and_no_depth():
    n = 100
    t = 1_000_000 + np.arange(n, dtype=np.int64) * 100_000  # 10 s of 10 Hz gaze
    depth_valid = np.arange(n) < 50  # depth only in the first half
    gaze = GazeTrack(t, np.full(n, 0.1), np.zeros(n), np.where(depth_valid, 1.5, np.nan), depth_valid, "t")
    tt = 1_000_000 + np.arange(10_000, dtype=np.int64) * 1000
    keep = (tt < 4_000_000) | (tt > 7_000_000)  # no pose between 3 s and 6 s of the take
    q = np.tile([0.0, 0.0, 0.0, 1.0], (int(keep.sum()), 1))
    traj = Trajectory(tt[keep], np.zeros((int(keep.sum()), 3)), q, np.ones(int(keep.sum())))
    query = 1_000_000 + np.arange(16, dtype=np.int64) * 500_000  # 16 steps, 0.5 s apart
    return normalize_clip_gaze(gaze_samples_at(gaze, query, traj)), query


def test_missing_pose_and_depth_are_masked_per_channel_and_neutral() -> None:
    norm, query = _inputs_with_a_trajectory_gap_and_no_depth()
    no_pose = (query >= 4_000_000) & (query <= 7_000_000)
    assert norm.mask.all()  # the gaze itself is there at every step...
    assert not norm.channel_mask[no_pose, HEAD].any()  # ...but the head pose is not, and says so
    assert norm.channel_mask[~no_pose, HEAD].all()
    np.testing.assert_array_equal(norm.gaze[no_pose, 9:13], np.tile([0, 0, 0, 1], (int(no_pose.sum()), 1)))
    depth = GAZE_CHANNELS.index("depth_m")
    assert not norm.channel_mask[query >= 6_000_000, depth].any()
    assert np.isfinite(norm.gaze).all() and np.isfinite(norm.gaze2d).all()


def test_the_student_reads_the_per_channel_mask() -> None:
    norm, _ = _inputs_with_a_trajectory_gap_and_no_depth()
    model = create_model("test_skillsight_student", num_steps=16).eval()
    inputs = {
        "gaze": torch.from_numpy(norm.gaze)[None],
        "gaze_mask": torch.from_numpy(norm.mask)[None],
        "gaze_channel_mask": torch.from_numpy(norm.channel_mask)[None],
    }
    claimed_valid = {**inputs, "gaze_channel_mask": torch.ones_like(inputs["gaze_channel_mask"])}
    with torch.no_grad():
        assert not torch.allclose(model(**inputs)["logits"], model(**claimed_valid)["logits"])


def test_evaluating_a_checkpoint_with_nan_weights_is_an_error() -> None:
    model = create_model("test_skillsight_student").eval()
    with torch.no_grad():
        model.skill_head.weight.fill_(float("nan"))
    batch = {
        **model.example_inputs(2),
        "take_uid": ["a", "b"],
        "scenario": torch.zeros(2),
        "label": torch.zeros(2),
    }
    with pytest.raises(DataFormatError, match=r"a, field .logits.: the model gave NaN/inf logits"):
        predict_takes(model, [batch], ["Dance"])
