"""Teacher features for distillation computed once over all processes: each rank runs the frozen
teacher on a disjoint share of the clips (on its GPU when it has one) and every rank gets all of them.

Clip ``i`` goes to rank ``i % world``, unpadded, so no clip is computed twice and the crop-feature cache
entries those clips fill on the way have one writer each. Without a process group this is the plain
one-process pass (on this process's GPU when there is one).
"""

from __future__ import annotations

from collections.abc import Sized

import torch
from torch import nn
from torch.utils.data import Dataset, Subset

from skillsight.evaluation.device import OnDevice, inference_device
from skillsight.evaluation.distributed import gather_objects, rank_and_world, shard
from skillsight.training.skill_data import precompute_teacher_features

__all__ = ["sharded_teacher_features"]


def sharded_teacher_features(
    teacher: nn.Module, clips: Dataset, batch_size: int, show_progress: bool = True, device: str = "auto"
) -> torch.Tensor:
    """(N clips, D) teacher features in dataset order, the same on every rank.

    Args:
        clips: a sized test-mode clip dataset (:func:`~skillsight.training.skill_data.build_clip_dataset`).
        device: "auto" (this rank's GPU if any), "gpu" or "cpu" (see
            :func:`~skillsight.evaluation.device.inference_device`).
    """
    if not isinstance(clips, Sized):
        raise TypeError(f"teacher-feature clips must be a sized dataset, got {type(clips).__name__}")
    rank, world = rank_and_world()
    on_device = OnDevice(teacher, inference_device(device))
    try:
        if world == 1:
            return precompute_teacher_features(on_device, clips, batch_size, show_progress)
        indices = shard(range(len(clips)), rank, world)
        local = (
            precompute_teacher_features(on_device, Subset(clips, indices), batch_size, show_progress)
            if indices
            else None
        )
    finally:
        teacher.to("cpu")  # the GPU is the student's from here on
    parts = gather_objects((indices, local))
    width = next(int(f.shape[-1]) for _, f in parts if f is not None)
    features = torch.empty(len(clips), width)
    filled = torch.zeros(len(clips), dtype=torch.bool)
    for part_indices, part in parts:
        if part is not None:
            features[part_indices] = part
            filled[part_indices] = True
    if not bool(filled.all()):  # a sharding bug would leave rows of torch.empty garbage
        raise RuntimeError(f"teacher features gathered for {int(filled.sum())} of {len(clips)} clips")
    return features
