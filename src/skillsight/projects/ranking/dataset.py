"""Torch datasets for pairwise skill ranking: segment sampling, two-stream inputs, pairs.

Protocol (Li et al. 2019): a video is cut into ``N`` equal segments and one frame is taken from
each, a random one in training and the last one in testing. Each step's input is the RGB frame
and the ``K`` optical-flow fields leading into it (see :func:`skillsight.projects.ranking.flow.stack_flow`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.exceptions import DataFormatError
from skillsight.projects.ranking.flow import DEFAULT_FLOW_METHOD, FlowMethod, stack_flow, video_flow
from skillsight.projects.ranking.pairs import SimilarPair, SkillPair

__all__ = [
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "PairDataset",
    "RankedWithSimilarDataset",
    "SimilarPairDataset",
    "TwoStreamLoader",
    "VideoDataset",
    "segment_frame_indices",
]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)

SampleMode = Literal["train", "test"]


def segment_frame_indices(
    n_frames: int, num_segments: int, mode: SampleMode, rng: np.random.Generator | None = None
) -> np.ndarray:
    """One frame index per segment.

    Segment ``k`` covers frames ``[floor(k T / N), floor((k + 1) T / N))`` (at least one frame; when
    T < N neighbouring segments share frames).

    Args:
        n_frames: T, frames in the video (>= 1).
        num_segments: N.
        mode: "train" (uniform random frame of each segment; needs ``rng``) or "test" (last frame).
        rng: random generator for "train".

    Returns:
        (N,) int64 frame indices, non-decreasing.
    """
    if n_frames < 1 or num_segments < 1:
        raise DataFormatError("video", "n_frames", n_frames, f"cannot take {num_segments} segments")
    k = np.arange(num_segments)
    start = (k * n_frames) // num_segments
    end = np.maximum(((k + 1) * n_frames) // num_segments, start + 1)  # exclusive, >= start + 1
    end = np.minimum(end, n_frames)
    start = np.minimum(start, end - 1)
    if mode == "test":
        return (end - 1).astype(np.int64)
    if mode != "train" or rng is None:
        raise ValueError(f"mode must be 'train' (with rng) or 'test', got {mode!r}")
    return (start + rng.integers(0, end - start)).astype(np.int64)  # (N,)


class TwoStreamLoader:
    """Loads the model inputs of one video: normalised RGB frames and scaled stacked flow.

    Args:
        paths: video id -> file.
        image_size: square side S the frames (and the flow) are resized to, pixels.
        num_segments: N.
        flow_stack: K fields per step.
        flow_cache_dir: where :func:`video_flow` caches each video's flow.
        flow_method: "tvl1", "farneback" or None (TV-L1; Farneback only when named).
        flow_bound_px: flow is clipped to +-this many pixels and divided by it (range [-1, 1]).
        keep_in_memory: keep every decoded video (all frames) and its flow in memory; for small
            (synthetic) sets, so that each epoch does not decode again.
    """

    def __init__(
        self,
        paths: dict[str, Path],
        image_size: int,
        num_segments: int,
        flow_stack: int,
        flow_cache_dir: str | Path,
        flow_method: FlowMethod | None = None,
        flow_bound_px: float = 20.0,
        keep_in_memory: bool = False,
    ) -> None:
        self.paths = dict(paths)
        self.image_size, self.num_segments, self.flow_stack = image_size, num_segments, flow_stack
        self.flow_cache_dir = Path(flow_cache_dir)
        self.flow_method: FlowMethod = flow_method or DEFAULT_FLOW_METHOD
        self.flow_bound_px = float(flow_bound_px)
        self.keep_in_memory = keep_in_memory
        self._n_frames: dict[str, int] = {}
        self._memory: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _path(self, video_id: str) -> Path:
        if video_id not in self.paths:
            raise DataFormatError("video index", "video_id", video_id, "no video file for this id")
        return self.paths[video_id]

    def _flow(self, video_id: str) -> np.ndarray:
        size = (self.image_size, self.image_size)
        return video_flow(self._path(video_id), self.flow_cache_dir, size, self.flow_method)

    def n_frames(self, video_id: str) -> int:
        """Frames in the video (the flow cache has one field fewer)."""
        if video_id not in self._n_frames:
            self._n_frames[video_id] = int(self._flow(video_id).shape[0]) + 1
        return self._n_frames[video_id]

    def rgb(self, video_id: str, indices: np.ndarray) -> np.ndarray:
        """(N, S, S, 3) uint8 frames at the given indices, resized to the model's input size."""
        from skillsight.data.readers.video import decode_frames

        size = (self.image_size, self.image_size)
        if not self.keep_in_memory:
            return decode_frames(self._path(video_id), indices, size=size)
        if video_id not in self._memory:
            flow = np.asarray(self._flow(video_id))
            frames = decode_frames(self._path(video_id), np.arange(flow.shape[0] + 1), size=size)
            self._memory[video_id] = (frames, flow)
        return self._memory[video_id][0][indices]

    def load(self, video_id: str, frame_indices: np.ndarray) -> dict[str, torch.Tensor]:
        """Inputs at the given frames: ``frames`` (N, 3, S, S) and ``flow`` (N, 2K, S, S), float32."""
        rgb = self.rgb(video_id, frame_indices).astype(np.float32) / 255.0  # (N, S, S, 3)
        rgb = ((rgb - IMAGENET_MEAN) / IMAGENET_STD).transpose(0, 3, 1, 2)  # (N, 3, S, S)
        flow_all = self._memory[video_id][1] if video_id in self._memory else self._flow(video_id)
        flow = stack_flow(flow_all, frame_indices, self.flow_stack)  # (N, 2K, S, S)
        flow = np.clip(flow / self.flow_bound_px, -1.0, 1.0)
        return {
            "frames": torch.from_numpy(np.ascontiguousarray(rgb, dtype=np.float32)),
            "flow": torch.from_numpy(np.ascontiguousarray(flow, dtype=np.float32)),
        }

    def sample(self, video_id: str, mode: SampleMode, rng: np.random.Generator | None = None) -> dict:
        """Segment-sampled inputs plus ``frame_indices`` (N,) int64."""
        indices = segment_frame_indices(self.n_frames(video_id), self.num_segments, mode, rng)
        return {**self.load(video_id, indices), "frame_indices": torch.from_numpy(indices)}


class PairDataset(Dataset):
    """Pairs for the Siamese ranking task: item -> {"better": inputs, "worse": inputs, ids}.

    In "train" mode frames are random within segments, drawn from ``(seed, epoch, index)`` (call
    :meth:`set_epoch`; the one loop does), so an item does not depend on which items were read before it
    (a resumed run, DataLoader workers); in "test" mode they are the segments' last frames.
    """

    def __init__(
        self, pairs: Sequence[SkillPair], loader: TwoStreamLoader, mode: SampleMode = "train", seed: int = 0
    ) -> None:
        if not pairs:
            raise DataFormatError("pairs", "pairs", 0, "a pair dataset needs at least one pair")
        self.pairs = list(pairs)
        self.loader = loader
        self.mode: SampleMode = mode
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose random frames train mode returns."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        pair = self.pairs[index]
        rng = np.random.default_rng([self.seed, self.epoch, index]) if self.mode == "train" else None
        return {
            "better": self.loader.sample(pair.better, self.mode, rng),
            "worse": self.loader.sample(pair.worse, self.mode, rng),
            "better_id": pair.better,
            "worse_id": pair.worse,
        }


class SimilarPairDataset(Dataset):
    """Equally skilled pairs for the similarity loss: item -> {"first": inputs, "second": inputs, ids}.

    Frames are random within segments ("train" protocol), drawn from ``(seed, epoch, index)`` like
    :class:`PairDataset` (call :meth:`set_epoch`), so an item never depends on the items read before it.
    """

    def __init__(self, pairs: Sequence[SimilarPair], loader: TwoStreamLoader, seed: int = 0) -> None:
        if not pairs:
            raise DataFormatError(
                "similar pairs", "pairs", 0, "a similar-pair dataset needs at least one pair"
            )
        self.pairs = list(pairs)
        self.loader = loader
        self.seed, self.epoch = seed, 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose random frames the items hold."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> dict:
        pair = self.pairs[index]
        rng = np.random.default_rng([self.seed, self.epoch, index])
        return {
            "first": self.loader.sample(pair.first, "train", rng),
            "second": self.loader.sample(pair.second, "train", rng),
            "first_id": pair.first,
            "second_id": pair.second,
        }


class RankedWithSimilarDataset(Dataset):
    """Ranked and equally skilled pairs in one item, ``{"ranked": ..., "similar": ...}``, so one loader
    (and the one loop's resumable sampler) serves both losses.

    The length is the longer list's; the shorter one cycles: item ``i`` holds ranked pair ``i mod R``
    and similar pair ``(i + o_e) mod S``, where the offset ``o_e`` is drawn from ``(seed, epoch)`` so
    which ranked and similar pairs share a batch changes every epoch. With a shuffled sampler over the
    items, every pair of the longer list is seen once per epoch and every pair of the shorter one
    ``floor`` or ``ceil`` of (longer / shorter) times.
    """

    def __init__(self, ranked: PairDataset, similar: SimilarPairDataset) -> None:
        self.ranked, self.similar = ranked, similar
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Pass the epoch to both parts (their random frames) and redraw the cycling offset."""
        self.epoch = epoch
        self.ranked.set_epoch(epoch)
        self.similar.set_epoch(epoch)

    def __len__(self) -> int:
        return max(len(self.ranked), len(self.similar))

    def _offset(self) -> int:
        return int(np.random.default_rng([self.similar.seed, self.epoch]).integers(len(self.similar)))

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < len(self):
            raise IndexError(f"item {index} of {len(self)}")
        return {
            "ranked": self.ranked[index % len(self.ranked)],
            "similar": self.similar[(index + self._offset()) % len(self.similar)],
        }


class VideoDataset(Dataset):
    """Unique videos in test mode, for scoring each video once: item -> inputs + ``video_id``."""

    def __init__(self, video_ids: Sequence[str], loader: TwoStreamLoader) -> None:
        self.video_ids = sorted(set(video_ids))
        self.loader = loader

    def __len__(self) -> int:
        return len(self.video_ids)

    def __getitem__(self, index: int) -> dict:
        vid = self.video_ids[index]
        return {**self.loader.sample(vid, "test"), "video_id": vid}
