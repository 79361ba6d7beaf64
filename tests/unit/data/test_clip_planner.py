"""ClipPlanner: item -> (take, clip) mapping and the protocol's clip starts."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.data.clip_planner import ClipPlanner, ClipSlot
from skillsight.data.clips import test_clip_starts
from skillsight.exceptions import ConfigError


def test_test_mode_items_walk_the_clips_of_each_take_in_order() -> None:
    planner = ClipPlanner(3, "test", num_clips=4, seed=0, num_frames=16, sample_fps=2.0)
    assert len(planner) == 12
    assert [planner.slot(i) for i in (0, 3, 4, 11)] == [
        ClipSlot(0, 0),
        ClipSlot(0, 3),
        ClipSlot(1, 0),
        ClipSlot(2, 3),
    ]
    starts = test_clip_starts(900, 30.0, 16, 2.0, 4)  # 30 s at 30 fps
    got = [int(planner.frame_indices(ClipSlot(1, k), 900, 30.0, epoch=7)[0]) for k in range(4)]
    assert got == starts.tolist()  # the epoch does not move test clips
    np.testing.assert_array_equal(np.diff(planner.frame_indices(ClipSlot(1, 2), 900, 30.0, 0)), 15)


def test_train_mode_draws_depend_on_seed_epoch_and_take_only() -> None:
    planner = ClipPlanner(5, "train", num_clips=10, seed=3, num_frames=16, sample_fps=2.0)
    assert len(planner) == 5 and planner.slot(4) == ClipSlot(4, -1)
    draw = [planner.start(ClipSlot(i, -1), 900, 30.0, epoch=0) for i in range(5)]
    again = ClipPlanner(5, "train", num_clips=10, seed=3, num_frames=16, sample_fps=2.0)
    assert draw == [again.start(ClipSlot(i, -1), 900, 30.0, epoch=0) for i in range(5)]
    later = [planner.start(ClipSlot(i, -1), 900, 30.0, epoch=1) for i in range(5)]
    assert draw != later
    assert all(0 <= s <= 900 - 240 for s in draw + later)


def test_bad_mode_and_index_are_refused() -> None:
    with pytest.raises(ConfigError, match="mode must be"):
        ClipPlanner(1, "val", 1, 0, 16, 2.0)
    with pytest.raises(IndexError, match="out of range for 2 items"):
        ClipPlanner(1, "test", 2, 0, 16, 2.0).slot(2)
