"""``sparse_frames``: a few ego frames of the clip (EgoDistill's sparse camera use).

K frames (option ``num_sparse_frames``, default 4) at evenly spaced positions among the clip's T frame
indices (first and last included), so they are a subset of the frames a dense model of the same clip
sees; only those K frames are decoded. Normalised like ``video`` (mean/std 0.45/0.225):
(K, 3, S, S) float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from skillsight.data.extra_inputs.base import ExtraInput, option
from skillsight.data.records import Take
from skillsight.exceptions import ConfigError

__all__ = ["SPARSE_FRAMES_INPUT", "sparse_positions"]

DEFAULT_SPARSE_FRAMES = 4


def sparse_positions(num_frames: int, num_sparse: int) -> np.ndarray:
    """Positions (K,) in 0..T-1 of K evenly spaced frames, first and last included (K <= T)."""
    if not 1 <= num_sparse <= num_frames:
        raise ConfigError(
            f"num_sparse_frames must be in [1, {num_frames}] (the clip's frames), got {num_sparse}"
        )
    return np.round(np.linspace(0, num_frames - 1, num_sparse)).astype(np.int64)


def build_sparse_frames(ds: Any, take: Take, indices: np.ndarray, fps: float) -> dict[str, torch.Tensor]:
    """(K, 3, S, S) normalised frames at :func:`sparse_positions` of the clip."""
    k = int(option(ds.input_options, "num_sparse_frames", DEFAULT_SPARSE_FRAMES))
    chosen = indices[sparse_positions(len(indices), k)]
    return {"sparse_frames": ds.ego_video_tensor(take, chosen)}


def _files(take: Take) -> list:
    return [(f"video_paths[{take.ego_camera}]", take.video_paths.get(take.ego_camera))]


SPARSE_FRAMES_INPUT = ExtraInput(
    keys=("sparse_frames",), build=build_sparse_frames, files=_files, needs_video_timeline=True
)
