"""Which clip a dataset item is: the take, the clip within it and its frame indices.

* train mode: one random clip per take per epoch, drawn from ``(seed, epoch, take index)`` so it is
  reproducible and independent of DataLoader workers;
* test mode: ``num_clips`` evenly spaced clips per take, item ``i`` = take ``i // num_clips``, clip
  ``i % num_clips`` (so logits can be averaged per take).

The planner knows nothing about files: the caller gives each take's timeline (frame count and rate,
see :meth:`skillsight.data.take_reader.TakeReader.timeline`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.data.clips import clip_frame_indices, test_clip_starts, train_clip_start
from skillsight.exceptions import ConfigError

__all__ = ["ClipPlanner", "ClipSlot"]


@dataclass(frozen=True)
class ClipSlot:
    """Item ``index`` of the dataset: take ``take_index``, clip ``clip_index`` (-1 in train mode)."""

    take_index: int
    clip_index: int
    draw: int = 0  # which of the take's train-mode clips (train_clips_per_take > 1)


class ClipPlanner:
    """Maps item indices to clips of takes under the SkillSight protocol.

    Args:
        num_takes: takes in the dataset.
        mode: "train" or "test".
        num_clips: clips per take in test mode.
        seed: seed of the train-mode draws.
        num_frames, sample_fps: clip protocol.
    """

    def __init__(
        self,
        num_takes: int,
        mode: str,
        num_clips: int,
        seed: int,
        num_frames: int,
        sample_fps: float,
        train_clips_per_take: int = 1,
    ):
        if mode not in ("train", "test"):
            raise ConfigError(f"mode must be 'train' or 'test', got {mode!r}")
        self.num_takes = int(num_takes)
        self.mode = mode
        self.num_clips = int(num_clips)
        self.seed = int(seed)
        self.num_frames = int(num_frames)
        self.sample_fps = float(sample_fps)
        if int(train_clips_per_take) < 1:
            raise ConfigError(f"train_clips_per_take must be >= 1, got {train_clips_per_take}")
        self.train_clips_per_take = int(train_clips_per_take)

    def __len__(self) -> int:
        return self.num_takes * (self.num_clips if self.mode == "test" else self.train_clips_per_take)

    def slot(self, index: int) -> ClipSlot:
        """The take and clip of item ``index``; IndexError outside ``[0, len)``."""
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        if self.mode == "test":
            take_i, clip_index = divmod(index, self.num_clips)
            return ClipSlot(take_i, clip_index)
        take_i, draw = divmod(index, self.train_clips_per_take)
        return ClipSlot(take_i, -1, draw)

    def start(self, slot: ClipSlot, n_frames: int, fps: float, epoch: int) -> int:
        """First frame of the clip in ``slot`` on a timeline of ``n_frames`` at ``fps``."""
        if self.mode == "test":
            starts = test_clip_starts(n_frames, fps, self.num_frames, self.sample_fps, self.num_clips)
            return int(starts[slot.clip_index])
        # one clip per take keeps the seed sequence of the protocol's single draw
        key = [self.seed, int(epoch), slot.take_index] + (
            [slot.draw] if self.train_clips_per_take > 1 else []
        )
        rng = np.random.default_rng(key)
        return train_clip_start(n_frames, fps, rng, self.num_frames, self.sample_fps)

    def take_frame_indices(self, take_index: int, n_frames: int, fps: float) -> np.ndarray | None:
        """Test mode: the sorted, unique frame indices of ALL the take's test clips (None in train mode)."""
        if self.mode != "test":
            return None
        starts = test_clip_starts(n_frames, fps, self.num_frames, self.sample_fps, self.num_clips)
        clips = [clip_frame_indices(n_frames, fps, self.num_frames, self.sample_fps, int(s)) for s in starts]
        return np.unique(np.concatenate(clips))

    def frame_indices(self, slot: ClipSlot, n_frames: int, fps: float, epoch: int) -> np.ndarray:
        """(num_frames,) int64 frame indices of the clip in ``slot``."""
        start = self.start(slot, n_frames, fps, epoch)
        return clip_frame_indices(n_frames, fps, self.num_frames, self.sample_fps, start)
