"""Torch Dataset over Expert-Novice Soccer samples, with per-fold channel normalisation.

Feature transforms (applied before normalisation, the same for every fold):

* gaze: the 3D gaze point ``gp30..gp32`` is clipped to +-10 m (10000 mm), as SkillSight clips far
  gaze points (the Glasses 2 reports points up to 280 m away); other channels are kept as read.
* motion: the ``X`` (world position) columns are made relative, so the room position of a trial is
  not a feature: the hips relative to their first step, every other bone relative to the hips at the
  same step. V, Q, A and W are kept as read.

Normalisation: per-channel mean/std fitted on the TRAINING fold only (:func:`fit_normaliser`) and
applied to every split; channels with std < 1e-6 are only centred.

Items are dicts holding the inputs a model declares (``input_names``: any of "gaze", "gaze_mask",
"motion", "motion_mask") plus "label" and "action" (int64), "has_motion" (bool) and, when given,
"teacher_features" (float32). A sample without motion gets zeros and an all-False motion_mask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.soccer.reader import SoccerSample

__all__ = [
    "GAZE_POINT_CLIP_MM",
    "SoccerNormaliser",
    "SoccerTorchDataset",
    "fit_normaliser",
    "transform_gaze",
    "transform_motion",
]

GAZE_POINT_CLIP_MM = 10_000.0
_INPUTS = ("gaze", "gaze_mask", "motion", "motion_mask")


def transform_gaze(gaze: np.ndarray, channel_names: Sequence[str]) -> np.ndarray:
    """(T, Cg) raw gaze -> (T, Cg) float32 with the 3D gaze point clipped to +-10 m."""
    out = np.array(gaze, dtype=np.float32, copy=True)
    cols = [j for j, name in enumerate(channel_names) if name in ("gp30", "gp31", "gp32")]
    out[:, cols] = np.clip(out[:, cols], -GAZE_POINT_CLIP_MM, GAZE_POINT_CLIP_MM)
    return out


def transform_motion(values: np.ndarray, feature_names: Sequence[str]) -> np.ndarray:
    """(T, F) motion -> (T, F) float32 with room-independent positions (see module docstring)."""
    names = list(feature_names)
    out = np.array(values, dtype=np.float32, copy=True)
    try:
        hips = [names.index(f"01-X-{a}") for a in "xyz"]
    except ValueError:
        raise DataFormatError(
            "motion", "feature_names", "01-X-*", "hip position columns are missing"
        ) from None
    hip_xyz = out[:, hips].copy()  # (T, 3)
    for bone in sorted({n.split("-")[0] for n in names if n.split("-")[1] == "X"} - {"01"}):
        missing = [f"{bone}-X-{a}" for a in "xyz" if f"{bone}-X-{a}" not in names]
        if missing:
            raise DataFormatError("motion", "feature_names", missing, "a bone position needs all of x, y, z")
        cols = [names.index(f"{bone}-X-{a}") for a in "xyz"]
        out[:, cols] -= hip_xyz
    out[:, hips] = hip_xyz - hip_xyz[:1]
    return out


@dataclass(frozen=True)
class SoccerNormaliser:
    """Per-channel statistics of one training fold.

    Attributes:
        gaze_mean, gaze_std: (Cg,). motion_mean, motion_std: (Fm,) or None when no training sample
            has motion.
    """

    gaze_mean: np.ndarray
    gaze_std: np.ndarray
    motion_mean: np.ndarray | None
    motion_std: np.ndarray | None


def _stats(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = rows.mean(axis=0)
    std = rows.std(axis=0)
    return mean.astype(np.float32), np.where(std < 1e-6, 1.0, std).astype(np.float32)


def fit_normaliser(train_samples: Sequence[SoccerSample]) -> SoccerNormaliser:
    """Fit channel mean/std on the training fold (every step of every sample counts once)."""
    if not train_samples:
        raise ConfigError("fit_normaliser needs at least one training sample")
    gaze = np.concatenate(
        [transform_gaze(s.gaze, s.gaze_channel_names) for s in train_samples]
    )  # (sum T, Cg)
    gaze_mean, gaze_std = _stats(gaze)
    motions = [s.motion for s in train_samples if s.motion is not None]
    motion_mean = motion_std = None
    if motions:
        motion = np.concatenate([transform_motion(m.values, m.feature_names) for m in motions])
        motion_mean, motion_std = _stats(motion)
    return SoccerNormaliser(gaze_mean, gaze_std, motion_mean, motion_std)


class SoccerTorchDataset(Dataset):
    """Normalised tensors for a list of samples (see the module docstring for the item keys).

    Args:
        samples: the split's samples.
        normaliser: statistics fitted on the training fold.
        input_names: which model inputs to build (a gaze-only model never touches motion).
        teacher_features: optional (len(samples), Dt) array added as "teacher_features".
    """

    def __init__(
        self,
        samples: Sequence[SoccerSample],
        normaliser: SoccerNormaliser,
        input_names: Sequence[str] = _INPUTS,
        teacher_features: np.ndarray | None = None,
    ) -> None:
        unknown = [n for n in input_names if n not in _INPUTS]
        if unknown:
            raise ConfigError(f"unknown soccer inputs {unknown}; valid: {_INPUTS}")
        wants_motion = any(n.startswith("motion") for n in input_names)
        if wants_motion and normaliser.motion_mean is None:
            raise ConfigError("motion inputs requested but the normaliser was fitted without motion")
        if teacher_features is not None and len(teacher_features) != len(samples):
            raise ConfigError(f"teacher_features has {len(teacher_features)} rows for {len(samples)} samples")
        self.samples = list(samples)
        self.input_names = tuple(input_names)
        n = len(self.samples)
        T = self.samples[0].gaze.shape[0] if n else 0
        self.label = torch.tensor([s.label for s in self.samples], dtype=torch.long)
        self.action = torch.tensor([s.action_id for s in self.samples], dtype=torch.long)
        self.has_motion = torch.tensor([s.motion is not None for s in self.samples], dtype=torch.bool)
        self.sample_ids = [s.sample_id for s in self.samples]
        self.tensors: dict[str, torch.Tensor] = {}
        if any(name.startswith("gaze") for name in input_names):
            gaze = np.stack(
                [transform_gaze(s.gaze, s.gaze_channel_names) for s in self.samples]
            )  # (n, T, Cg)
            self.tensors["gaze"] = torch.from_numpy((gaze - normaliser.gaze_mean) / normaliser.gaze_std)
            self.tensors["gaze_mask"] = torch.ones(n, T, dtype=torch.bool)
        if wants_motion and normaliser.motion_mean is not None and normaliser.motion_std is not None:
            F = normaliser.motion_mean.shape[0]
            motion = np.zeros((n, T, F), dtype=np.float32)
            for i, s in enumerate(self.samples):
                if s.motion is not None:
                    motion[i] = (
                        transform_motion(s.motion.values, s.motion.feature_names) - normaliser.motion_mean
                    ) / normaliser.motion_std
            self.tensors["motion"] = torch.from_numpy(motion)
            self.tensors["motion_mask"] = self.has_motion[:, None].expand(n, T).clone()
        self.teacher_features = (
            None if teacher_features is None else torch.as_tensor(teacher_features, dtype=torch.float32)
        )

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = {name: self.tensors[name][index] for name in self.input_names}
        item["label"] = self.label[index]
        item["action"] = self.action[index]
        item["has_motion"] = self.has_motion[index]
        if self.teacher_features is not None:
            item["teacher_features"] = self.teacher_features[index]
        return item
