"""The SkillSight clip protocol: which frames of a take a clip holds.

A clip is ``num_frames`` frames (16) sampled at ``sample_fps`` (2 fps), i.e. every
``stride = round(video_fps / sample_fps)`` frames of the video (15 on 30 fps video). It covers
``clip_len = num_frames * stride`` frames (8 s). Training draws one random start per take and epoch;
testing uses ``num_clips`` (10) evenly spaced starts

    start_k = floor(max(n_frames - clip_len, 0) * k / num_clips),  k = 0 .. num_clips - 1

and averages the logits of the clips. Takes shorter than a clip are padded at the end by repeating
their last frame (the clip keeps its 16 steps, so the gaze sequence keeps its length).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from skillsight.exceptions import ConfigError

__all__ = [
    "CLIP_NUM_FRAMES",
    "CLIP_SAMPLE_FPS",
    "TEST_NUM_CLIPS",
    "clip_frame_indices",
    "clip_length_frames",
    "clip_stride",
    "frame_timestamps_us",
    "test_clip_starts",
    "train_clip_start",
]

#: Frames per clip (SkillSight protocol).
CLIP_NUM_FRAMES = 16
#: Sampling rate of clip frames (frames per second).
CLIP_SAMPLE_FPS = 2.0
#: Evenly spaced clips per take at test time.
TEST_NUM_CLIPS = 10


def _check(n_frames: int, video_fps: float, num_frames: int, sample_fps: float) -> None:
    if int(n_frames) < 1:
        raise ConfigError(f"n_frames must be >= 1, got {n_frames}")
    if not np.isfinite(video_fps) or video_fps <= 0:
        raise ConfigError(f"video_fps must be > 0, got {video_fps}")
    if not np.isfinite(sample_fps) or sample_fps <= 0:
        raise ConfigError(f"sample_fps must be > 0, got {sample_fps}")
    if int(num_frames) < 1:
        raise ConfigError(f"num_frames must be >= 1, got {num_frames}")


def clip_stride(video_fps: float, sample_fps: float = CLIP_SAMPLE_FPS) -> int:
    """Frames of video between two clip frames: ``max(1, round(video_fps / sample_fps))``."""
    if not np.isfinite(video_fps) or video_fps <= 0 or not np.isfinite(sample_fps) or sample_fps <= 0:
        raise ConfigError(f"fps must be > 0, got video_fps={video_fps}, sample_fps={sample_fps}")
    return max(1, round(video_fps / sample_fps))


def clip_length_frames(
    video_fps: float, num_frames: int = CLIP_NUM_FRAMES, sample_fps: float = CLIP_SAMPLE_FPS
) -> int:
    """Video frames a clip covers: ``num_frames * stride`` (240 at 30 fps, 16 frames, 2 fps)."""
    return int(num_frames) * clip_stride(video_fps, sample_fps)


def clip_frame_indices(
    n_frames: int,
    video_fps: float,
    num_frames: int = CLIP_NUM_FRAMES,
    sample_fps: float = CLIP_SAMPLE_FPS,
    start: int = 0,
) -> np.ndarray:
    """Frame indices of the clip that starts at frame ``start``.

    Args:
        n_frames: frames in the video (>= 1).
        video_fps: video frame rate.
        num_frames: frames per clip.
        sample_fps: clip sampling rate.
        start: first frame, in [0, n_frames - 1].

    Returns:
        (num_frames,) int64 indices ``start + stride * arange(num_frames)``; indices past the end
        are clamped to ``n_frames - 1`` (the last frame is repeated).
    """
    _check(n_frames, video_fps, num_frames, sample_fps)
    if not 0 <= int(start) < int(n_frames):
        raise ConfigError(f"clip start {start} is outside a {n_frames}-frame video")
    stride = clip_stride(video_fps, sample_fps)
    indices = int(start) + stride * np.arange(int(num_frames), dtype=np.int64)
    return np.minimum(indices, int(n_frames) - 1)


def train_clip_start(
    n_frames: int,
    video_fps: float,
    rng: np.random.Generator,
    num_frames: int = CLIP_NUM_FRAMES,
    sample_fps: float = CLIP_SAMPLE_FPS,
) -> int:
    """One random clip start, uniform over ``[0, max(n_frames - clip_len, 0)]``.

    Args:
        n_frames: frames in the video.
        video_fps: video frame rate.
        rng: the generator to draw from (seeded by the caller, e.g. per epoch and take).
        num_frames, sample_fps: clip protocol.

    Returns:
        start frame index.
    """
    _check(n_frames, video_fps, num_frames, sample_fps)
    last_start = max(int(n_frames) - clip_length_frames(video_fps, num_frames, sample_fps), 0)
    return int(rng.integers(0, last_start + 1))


def test_clip_starts(
    n_frames: int,
    video_fps: float,
    num_frames: int = CLIP_NUM_FRAMES,
    sample_fps: float = CLIP_SAMPLE_FPS,
    num_clips: int = TEST_NUM_CLIPS,
) -> np.ndarray:
    """Evenly spaced test clip starts ``floor(max(n_frames - clip_len, 0) * k / num_clips)``.

    Returns:
        (num_clips,) int64 starts, non-decreasing (all 0 for takes shorter than a clip).
    """
    _check(n_frames, video_fps, num_frames, sample_fps)
    if int(num_clips) < 1:
        raise ConfigError(f"num_clips must be >= 1, got {num_clips}")
    span = max(int(n_frames) - clip_length_frames(video_fps, num_frames, sample_fps), 0)
    k = np.arange(int(num_clips), dtype=np.int64)
    return (span * k) // int(num_clips)  # exact integer floor


def frame_timestamps_us(
    frame_indices: Sequence[int] | np.ndarray, video_fps: float, t0_us: int
) -> np.ndarray:
    """Device-clock timestamps of video frames.

    Args:
        frame_indices: (T,) frame indices.
        video_fps: video frame rate.
        t0_us: timestamp of frame 0 (microseconds, device clock).

    Returns:
        (T,) int64 ``t0_us + round(index * 1e6 / video_fps)``.
    """
    if not np.isfinite(video_fps) or video_fps <= 0:
        raise ConfigError(f"video_fps must be > 0, got {video_fps}")
    indices = np.asarray(frame_indices, dtype=np.int64)
    return int(t0_us) + np.round(indices * (1e6 / float(video_fps))).astype(np.int64)


# A library function, not a pytest test, when imported by name (a function's __dict__ holds its attributes).
test_clip_starts.__dict__["__test__"] = False
