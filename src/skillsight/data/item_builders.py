"""The builders of a clip item's keys: targets, normalised gaze, video, crops, exo views.

Each builder takes what it needs (the take, the clip's normalised gaze, its decoded frames) and
returns only the keys of the spec it serves; :class:`skillsight.data.datasets.SkillClipDataset`
calls them in a fixed order. The extra keys (``sparse_frames``, ``head_motion``, ``audio``) have
their own builders in :mod:`skillsight.data.extra_inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from skillsight.data.clips import frame_timestamps_us
from skillsight.data.records import SCENARIOS, Take
from skillsight.data.sample_spec import SampleSpec
from skillsight.data.take_reader import GazeRecords, timeline_anchor_us
from skillsight.gaze.crops import crop_frames, gaze_crop_boxes
from skillsight.gaze.normalize import NormalizedGaze, normalize_clip_gaze
from skillsight.gaze.resample import gaze_samples_at

__all__ = [
    "CROP_MEAN",
    "CROP_STD",
    "VIDEO_MEAN",
    "VIDEO_STD",
    "clip_gaze",
    "crops_item",
    "exo_video_item",
    "gaze_items",
    "target_items",
    "to_tensor_frames",
    "video_item",
]

#: Pixel normalisation of video frames (SkillSight / TimeSformer).
VIDEO_MEAN, VIDEO_STD = 0.45, 0.225
#: Pixel normalisation of crops: the ImageNet statistics DINOv2 was trained with.
CROP_MEAN = (0.485, 0.456, 0.406)
CROP_STD = (0.229, 0.224, 0.225)


def to_tensor_frames(
    frames: np.ndarray, mean: float | Sequence[float], std: float | Sequence[float]
) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float32 normalised."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(255.0)
    x = x.movedim(-1, -3)  # (..., 3, H, W)
    mean_t = torch.as_tensor(mean, dtype=torch.float32).reshape(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32).reshape(-1, 1, 1)
    return ((x - mean_t) / std_t).contiguous()


def target_items(
    take: Take, keys: frozenset[str], action_index: Mapping[str, int]
) -> dict[str, torch.Tensor]:
    """``label`` (always; -1 unlabelled), ``scenario`` and ``action`` ids as () int64 tensors."""
    item = {"label": torch.tensor(-1 if take.label is None else int(take.label), dtype=torch.long)}
    if "scenario" in keys:
        item["scenario"] = torch.tensor(SCENARIOS.index(take.scenario), dtype=torch.long)
    if "action" in keys:
        item["action"] = torch.tensor(action_index[take.task_name], dtype=torch.long)
    return item


def clip_gaze(
    take: Take, records: GazeRecords, indices: np.ndarray, fps: float, spec: SampleSpec
) -> NormalizedGaze:
    """The clip's gaze at its frame times (anchored at :func:`timeline_anchor_us`), normalised."""
    query_us = frame_timestamps_us(indices, fps, timeline_anchor_us(take, records.gaze))
    samples = gaze_samples_at(
        records.gaze,
        query_us,
        records.trajectory,
        records.gaze2d,
        records.calibration,
        max_gap_us=spec.gaze_max_gap_us,
    )
    return normalize_clip_gaze(samples, far_clip_m=spec.far_clip_m)


def gaze_items(norm: NormalizedGaze, keys: frozenset[str]) -> dict[str, torch.Tensor]:
    """The gaze keys asked for: ``gaze`` (T, 14), ``gaze_mask`` (T,), ``gaze_channel_mask`` (T, 14),
    ``gaze2d`` (T, 2), ``gaze2d_mask`` (T,)."""
    arrays = {
        "gaze": norm.gaze,
        "gaze_mask": norm.mask,
        "gaze_channel_mask": norm.channel_mask,
        "gaze2d": norm.gaze2d,
        "gaze2d_mask": norm.gaze2d_mask,
    }
    return {k: torch.from_numpy(v) for k, v in arrays.items() if k in keys}


def video_item(frames: np.ndarray) -> torch.Tensor:
    """``video``: (T, S, S, 3) uint8 ego frames -> (T, 3, S, S) float32, mean/std 0.45/0.225."""
    return to_tensor_frames(frames, VIDEO_MEAN, VIDEO_STD)


def crops_item(frames: np.ndarray, gaze2d: np.ndarray, crop_px: int, crop_out_px: int) -> torch.Tensor:
    """``crops``: gaze-centred (T, 3, c, c) crops of (T, S, S, 3) frames, ImageNet mean/std.

    Args:
        frames: (T, S, S, 3) uint8 ego frames.
        gaze2d: (T, 2) normalised 2D gaze in [0, 1] (image centre where unknown).
        crop_px: crop side in frame pixels.
        crop_out_px: side the crops are resized to.
    """
    boxes = gaze_crop_boxes(gaze2d, frames.shape[1:3], crop_px)  # (T, 4)
    crops = crop_frames(frames, boxes, crop_out_px)  # (T, c, c, 3)
    return to_tensor_frames(crops, CROP_MEAN, CROP_STD)


def exo_video_item(views: Sequence[np.ndarray]) -> torch.Tensor:
    """``exo_video``: V arrays (T, S, S, 3) uint8 -> (V, T, 3, S, S) float32, mean/std 0.45/0.225."""
    return to_tensor_frames(np.stack(views), VIDEO_MEAN, VIDEO_STD)
