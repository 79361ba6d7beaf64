"""What a run reads, decided by its model: scan requirements, the takes, and each split's clip dataset.

A model declares its inputs (``model.input_names``); the takes it needs follow from them, so a
gaze-only model trains and evaluates on a download without videos, and a video model skips takes
whose video is missing (each skip counted, with its reason, in ``data_scan.txt``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from skillsight.config import RunConfig
from skillsight.data.cache import FeatureCache
from skillsight.data.take_warnings import input_warnings
from skillsight.models import model_inputs
from skillsight.training.skill_data import (
    CropFeatureDataset,
    SkillData,
    build_clip_dataset,
    crop_extractor_for,
    decoded_inputs,
    load_skill_data,
)

__all__ = ["INPUT_REQUIREMENTS", "datasets_for", "load_run_data", "run_warnings", "scan_requirements"]

#: Scan requirements (:data:`skillsight.data.readers.egoexo4d.REQUIREMENTS`) of each decoded input.
INPUT_REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "video": ("video",),
    "crops": ("video", "gaze"),
    "sparse_frames": ("video",),
    "audio": ("video",),
    "exo_video": ("exo",),
    "gaze": ("gaze",),
    "gaze_mask": ("gaze",),
    "gaze_channel_mask": ("gaze",),
    "gaze2d": ("gaze",),
    "gaze2d_mask": ("gaze",),
    "head_motion": ("gaze", "trajectory"),
    "head_motion_mask": ("gaze", "trajectory"),
}
_TARGETS = ("label", "action", "scenario")
#: What a model that declares nothing (or an input unknown here) is assumed to need.
_DEFAULT_REQUIREMENTS = ("gaze", "video")


def scan_requirements(input_names: Iterable[str]) -> tuple[str, ...]:
    """The files a take must have for a model with ``input_names`` (e.g. ``("gaze",)`` for gaze-only)."""
    needed: list[str] = []
    names = [n for n in decoded_inputs(tuple(input_names)) if n not in _TARGETS]
    if not names:
        return _DEFAULT_REQUIREMENTS
    for name in names:
        needed += INPUT_REQUIREMENTS.get(name, _DEFAULT_REQUIREMENTS)
    return tuple(dict.fromkeys(needed))


def load_run_data(cfg: RunConfig, model: torch.nn.Module, actions: Sequence[str] | None = None) -> SkillData:
    """The takes ``model`` can read, with the action vocabulary ``actions`` (default: from every take).

    Raises:
        ConfigError: no training take has what the model needs (the message holds the skip report).
    """
    return load_skill_data(cfg.data, require=scan_requirements(model_inputs(model)), actions=actions)


def run_warnings(model: torch.nn.Module, data: SkillData) -> list[str]:
    """What the model loses on these takes (2D gaze, trajectory), one line per kind, split by split."""
    lines = []
    for split in ("train", "val", "test"):
        for line in input_warnings(getattr(data, split), model_inputs(model)):
            lines.append(f"{split}: {line}")
    return lines


def datasets_for(
    model: torch.nn.Module,
    cfg: RunConfig,
    data: SkillData,
    split: str,
    mode: str,
    cache_root: Path,
    num_clips: int | None = None,
    targets: Sequence[str] = _TARGETS,
) -> Any:
    """Clip dataset of a split for the model's inputs (``crop_features``: the cached frozen extractor's).

    Test-mode datasets accept unlabelled takes (label -1): they are predicted, not scored.
    """
    takes = {"train": data.train, "val": data.val, "test": data.test}[split]
    # the extractor the model names, with ITS weights (a pretrained crop encoder computes the cache)
    extractor = crop_extractor_for(model) if "crop_features" in model_inputs(model) else None
    ds = build_clip_dataset(
        takes,
        model_inputs(model),
        cfg.data,
        mode,
        data.actions,
        cfg.trainer.seed,
        crop_out_px=None if extractor is None else extractor.crop_size,
        num_clips=num_clips,
        input_options=dict(getattr(model, "input_options", {}) or {}),
        # a model built for N exo views reads the first N of the take's cameras (None: all of them)
        num_exo_views=getattr(model, "num_exo_views", None) if "exo_video" in model_inputs(model) else None,
        targets=targets,
        allow_unlabelled=mode == "test",
    )
    if extractor is None:
        return ds
    params = {
        "crop_px": cfg.data.crop_px,
        "frame_px": cfg.data.frame_px,
        "num_frames": cfg.data.num_frames,
        "sample_fps": cfg.data.sample_fps,
    }
    return CropFeatureDataset(ds, extractor, FeatureCache(cache_root), params)
