"""The SkillSight clip protocol."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsight.data import clips
from skillsight.data.clips import (
    clip_frame_indices,
    clip_length_frames,
    clip_stride,
    frame_timestamps_us,
    test_clip_starts,
    train_clip_start,
)
from skillsight.exceptions import ConfigError


def test_protocol_constants_and_stride() -> None:
    assert (clips.CLIP_NUM_FRAMES, clips.CLIP_SAMPLE_FPS, clips.TEST_NUM_CLIPS) == (16, 2.0, 10)
    assert clip_stride(30.0) == 15
    assert clip_stride(29.97) == 15
    assert clip_stride(25.0) == 12  # round(12.5) -> 12 (banker's rounding of Python round)
    assert clip_stride(1.0) == 1  # never 0
    assert clip_length_frames(30.0) == 240  # 8 s


def test_clip_indices_stride_15_from_start() -> None:
    idx = clip_frame_indices(1000, 30.0, start=7)
    np.testing.assert_array_equal(idx, 7 + 15 * np.arange(16))
    assert idx.dtype == np.int64


def test_short_video_repeats_last_frame() -> None:
    idx = clip_frame_indices(50, 30.0)
    np.testing.assert_array_equal(idx, [0, 15, 30, 45] + [49] * 12)


def test_test_starts_match_reference_formula() -> None:
    n = 1234
    starts = test_clip_starts(n, 30.0)
    expected = [int(np.floor(max(n - 240, 0) * k / 10)) for k in range(10)]
    np.testing.assert_array_equal(starts, expected)
    assert starts[0] == 0 and starts[-1] + 240 <= n
    np.testing.assert_array_equal(test_clip_starts(100, 30.0), np.zeros(10))
    assert len(test_clip_starts(5000, 30.0, num_clips=3)) == 3


def test_train_start_is_uniform_in_range_and_seeded() -> None:
    rng = np.random.default_rng(0)
    starts = np.array([train_clip_start(300, 30.0, rng) for _ in range(2000)])
    assert starts.min() == 0 and starts.max() == 60  # 300 - 240
    assert train_clip_start(300, 30.0, np.random.default_rng(5)) == train_clip_start(
        300, 30.0, np.random.default_rng(5)
    )
    assert train_clip_start(100, 30.0, rng) == 0  # shorter than a clip


def test_timestamps_us() -> None:
    ts = frame_timestamps_us([0, 15, 30], 30.0, t0_us=1_000_000)
    np.testing.assert_array_equal(ts, [1_000_000, 1_500_000, 2_000_000])
    assert ts.dtype == np.int64


def test_bad_arguments_raise() -> None:
    with pytest.raises(ConfigError):
        clip_frame_indices(0, 30.0)
    with pytest.raises(ConfigError):
        clip_frame_indices(100, 30.0, start=100)
    with pytest.raises(ConfigError):
        clip_frame_indices(100, 0.0)
    with pytest.raises(ConfigError):
        test_clip_starts(100, 30.0, num_clips=0)


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 20_000), fps=st.sampled_from([10.0, 25.0, 29.97, 30.0, 60.0]), k=st.integers(1, 12))
def test_every_test_clip_lies_inside_the_video(n: int, fps: float, k: int) -> None:
    starts = test_clip_starts(n, fps, num_clips=k)
    assert (np.diff(starts) >= 0).all() and starts[0] == 0
    for s in starts:
        idx = clip_frame_indices(n, fps, start=int(s))
        assert idx.shape == (16,) and idx.min() >= 0 and idx.max() <= n - 1
        assert (np.diff(idx) >= 0).all()
        if n >= clip_length_frames(fps):  # long enough: no padding, exact stride
            assert (np.diff(idx) == clip_stride(fps)).all()
