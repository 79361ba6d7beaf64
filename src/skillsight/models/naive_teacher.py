"""The naive end-to-end teacher: video and gaze in ONE TimeSformer, without SkillSight's three branches.

The ablation SkillSight argues against: instead of a gaze prior on attention, a fixated-object crop
sequence and a separate gaze-dynamics encoder, the gaze is simply fed into the video backbone's input:

* a fourth input channel per frame: a peak-1 Gaussian heat map centred on the 2D gaze point (sigma
  ``sigma_frac`` of the frame side; 9/28 by default, the width of SkillSight's gaze prior), all zeros
  where the gaze is invalid;
* the 14 per-frame gaze channels (3D point, direction, head pose, depth; invalid steps zeroed) projected
  to the token width and added to every patch token of their frame, together with a learned "gaze
  valid" embedding on valid frames.

The TimeSformer's final CLS token is the clip feature; a linear layer classifies it. One backbone learns
everything end to end (no frozen extractor, no per-scenario terms).

With ``pretrained_dir`` (RGB TimeSformer weights, e.g. the teacher's) the 4-channel patch embedding keeps
the RGB filters and starts the heat-map channel at zero (stem adaptation "rgb_extra"), so at the first
step the backbone sees the frames exactly as the pretrained one does.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, backbone_args, clip_frames_args
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.timesformer_utils import (
    build_timesformer_backbone,
    check_video,
    config_side_px,
    timesformer_config,
)

__all__ = ["NAIVE_TEACHER_PRESETS", "NaiveEndToEndTeacher", "gaze_heatmaps"]

#: default heat-map sigma as a fraction of the frame side: SkillSight's 9 patches on a 28-patch grid.
DEFAULT_SIGMA_FRAC = 9.0 / 28.0


def gaze_heatmaps(gaze2d: torch.Tensor, mask: torch.Tensor, size: int, sigma_frac: float) -> torch.Tensor:
    """Peak-1 Gaussian heat maps of the 2D gaze, zero where the gaze is invalid.

    Args:
        gaze2d: (B, T, 2) gaze in [0, 1] (x right, y down).
        mask: (B, T) bool, True where valid.
        size: side S of the maps in pixels.
        sigma_frac: sigma as a fraction of S.

    Returns:
        (B, T, 1, S, S) float maps.
    """
    centres = (torch.arange(size, dtype=gaze2d.dtype, device=gaze2d.device) + 0.5) / size  # (S,)
    dx = centres.view(1, 1, 1, size) - gaze2d[..., 0, None, None]  # (B, T, 1, S)
    dy = centres.view(1, 1, size, 1) - gaze2d[..., 1, None, None]  # (B, T, S, 1)
    maps = torch.exp(-(dx * dx + dy * dy) / (2.0 * sigma_frac**2))  # (B, T, S, S)
    valid = (mask.bool() & torch.isfinite(gaze2d).all(-1)).to(maps.dtype)  # (B, T)
    maps = torch.nan_to_num(maps) * valid[..., None, None]
    return maps.unsqueeze(2)  # (B, T, 1, S, S)


class NaiveEndToEndTeacher(DeclaredInputsModule):
    """TimeSformer over RGB + gaze heat map, with per-frame gaze embeddings added to the patch tokens.

    Args:
        num_frames: frames / gaze steps per clip T.
        backbone_size: key of :data:`skillsight.models.layers.timesformer_utils.TIMESFORMER_SIZES`.
        backbone: overrides of its config fields (``num_channels`` is set to 4 here).
        gaze_channels: channels per gaze step (14 for Ego-Exo4D).
        sigma_frac: heat-map sigma as a fraction of the frame side.
        head_dropout: dropout before the classifier.
        num_classes: skill classes.
        pretrained_dir: optional LOCAL ``save_pretrained`` folder of RGB TimeSformer weights.
    """

    input_names: tuple[str, ...] = ("video", "gaze2d", "gaze", "gaze_mask")
    sensors: tuple[str, ...] = ("rgb", "eye_tracker")

    def __init__(
        self,
        *,
        num_frames: int = 16,
        backbone_size: str = "base",
        backbone: dict[str, Any] | None = None,
        gaze_channels: int = 14,
        sigma_frac: float = DEFAULT_SIGMA_FRAC,
        head_dropout: float = 0.0,
        num_classes: int = len(PROFICIENCY_LABELS),
        pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 < sigma_frac <= 1.0:
            raise ConfigError(f"sigma_frac must be in (0, 1], got {sigma_frac}")
        overrides = {**(backbone or {})}
        if overrides.get("num_channels", 4) != 4:
            raise ConfigError("the naive teacher's backbone reads 4 channels (RGB + gaze heat map)")
        overrides["num_channels"] = 4
        config = timesformer_config(backbone_size, int(num_frames), overrides)
        self.backbone = build_timesformer_backbone(config, pretrained_dir, stem="rgb_extra")
        self.num_frames, self.image_size = int(num_frames), config_side_px(config, "image_size")
        self.feature_dim, self.gaze_channels = int(config.hidden_size), int(gaze_channels)
        self.sigma_frac = float(sigma_frac)
        self.gaze_proj = nn.Linear(self.gaze_channels, self.feature_dim)
        self.gaze_valid = nn.Parameter(torch.zeros(self.feature_dim))
        self.dropout = nn.Dropout(float(head_dropout))
        self.classifier = nn.Linear(self.feature_dim, int(num_classes))

    def forward_features(self, **inputs: torch.Tensor) -> torch.Tensor:
        """Final CLS token (B, D)."""
        self.check_input_names(inputs)
        T, S = self.num_frames, self.image_size
        video = check_video(type(self).__name__, "video", inputs["video"], (-1, T, 3, S, S))
        B = video.shape[0]
        gaze2d = self.check_shape("gaze2d", inputs["gaze2d"], (B, T, 2))
        gaze = self.check_shape("gaze", inputs["gaze"], (B, T, self.gaze_channels))
        mask = self.check_shape("gaze_mask", inputs["gaze_mask"], (B, T)).bool()
        pixels = torch.cat([video, gaze_heatmaps(gaze2d, mask, S, self.sigma_frac)], dim=2)  # (B, T, 4, S, S)
        tokens = self.backbone.embeddings(pixels)  # (B, 1 + P * T, D), patch-major: 1 + p * T + t
        valid = mask.to(tokens.dtype).unsqueeze(-1)  # (B, T, 1)
        per_frame = self.gaze_proj(gaze * valid) + valid * self.gaze_valid  # (B, T, D)
        D = tokens.shape[-1]
        patches = tokens[:, 1:].reshape(B, -1, T, D) + per_frame.unsqueeze(1)  # (B, P, T, D)
        tokens = torch.cat([tokens[:, :1], patches.reshape(B, -1, D)], dim=1)  # (B, 1 + P * T, D)
        hidden = self.backbone.encoder(tokens, return_dict=True).last_hidden_state
        if self.backbone.layernorm is not None:
            hidden = self.backbone.layernorm(hidden)
        return hidden[:, 0]  # (B, D)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """video (B, T, 3, S, S) normalised; gaze2d (B, T, 2) in [0, 1]; gaze (B, T, C); gaze_mask (B, T).

        Returns:
            "logits" (B, num_classes) and "features" (B, D) (the final CLS token).
        """
        features = self.forward_features(**inputs)
        return {"logits": self.classifier(self.dropout(features)), "features": features}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random frames and gaze; the last step of every clip is invalid."""
        B, T, S = batch_size, self.num_frames, self.image_size
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[:, -1] = False
        return {
            "video": torch.randn(B, T, 3, S, S, generator=gen),
            "gaze2d": torch.rand(B, T, 2, generator=gen),
            "gaze": torch.randn(B, T, self.gaze_channels, generator=gen),
            "gaze_mask": mask,
        }


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant (``backbone`` overrides merge key by key).
NAIVE_TEACHER_PRESETS: dict[str, dict[str, Any]] = {
    # Paper size: the teacher's video backbone (ViT-B/16, 448 px, 16 frames) with gaze fused at the input.
    "naive_teacher": dict(num_frames=16, backbone_size="base", backbone={"image_size": 448}),
    "naive_teacher_tiny": dict(num_frames=16, backbone_size="tiny"),
    "test_naive_teacher": dict(num_frames=4, backbone_size="test"),
}


def _naive_teacher_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Naive teacher: frames per clip, backbone input = the decoded frame size (no scenario tokens)."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), **backbone_args(cfg, key="backbone", image_px=cfg.data.frame_px)}


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> NaiveEndToEndTeacher:
        preset = NAIVE_TEACHER_PRESETS[name]
        args = {**preset, **kwargs}
        args["backbone"] = {**preset.get("backbone", {}), **(kwargs.get("backbone") or {})}
        return NaiveEndToEndTeacher(**args)

    factory.__name__ = name
    factory.__doc__ = f"NaiveEndToEndTeacher preset {name!r}: {NAIVE_TEACHER_PRESETS[name]}"
    register_model(name, data_args=_naive_teacher_data_args)(factory)


for _name in NAIVE_TEACHER_PRESETS:
    _register(_name)
