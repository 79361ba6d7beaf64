"""Beholder-style baseline: full-frame video features aggregated by a gaze attention map.

Li, Liu & Rehg ("In the Eye of the Beholder", ECCV 2018 / TPAMI 2021) let gaze decide WHERE the visual
features of the whole frame are aggregated: an attention map derived from the gaze weights the
backbone's last spatio-temporal feature map before pooling (their network samples the map from a
predicted gaze distribution; with a measured gaze, as here, the map is a Gaussian around the gaze
point). The backbone still sees the full frame, so context outside the gaze region shapes the
features; only the pooling is gaze-driven. That is what sets it apart from the EgoExoLearn-style
gaze-crop model (:class:`skillsight.models.video_baselines.GazeCropVideoClassifier`), which never sees
pixels outside the crop.

:class:`GazePooledVideoClassifier`: TimeSformer -> final patch tokens (B, T, P, D) -> per frame, the
weighted mean over patches with a Gaussian over the patch grid centred on the gaze (sigma
``sigma_frac`` of the frame side, normalised to sum 1; uniform over the frame where the gaze is
invalid) -> mean over frames -> LayerNorm -> Linear.
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

__all__ = ["GAZE_POOLED_PRESETS", "GazePooledVideoClassifier", "gaze_pooling_weights"]


def gaze_pooling_weights(
    gaze2d: torch.Tensor, mask: torch.Tensor, grid: int, sigma_frac: float
) -> torch.Tensor:
    """Per-frame attention weights over a ``grid`` x ``grid`` patch grid (row-major), summing to 1.

    Args:
        gaze2d: (B, T, 2) gaze in [0, 1] (x right, y down).
        mask: (B, T) bool, True where the gaze is valid.
        grid: patches per side.
        sigma_frac: Gaussian sigma as a fraction of the frame side.

    Returns:
        (B, T, grid * grid): a normalised Gaussian around the gaze where valid, uniform elsewhere.
    """
    centres = (torch.arange(grid, dtype=gaze2d.dtype, device=gaze2d.device) + 0.5) / grid  # (G,)
    safe = torch.nan_to_num(gaze2d, nan=0.5).clamp(0.0, 1.0)  # (B, T, 2)
    dx = centres.view(1, 1, 1, grid) - safe[..., 0, None, None]  # (B, T, 1, G)
    dy = centres.view(1, 1, grid, 1) - safe[..., 1, None, None]  # (B, T, G, 1)
    logits = -(dx * dx + dy * dy) / (2.0 * sigma_frac**2)  # (B, T, G, G)
    weights = torch.softmax(logits.flatten(2), dim=-1)  # (B, T, G * G)
    valid = (mask.bool() & torch.isfinite(gaze2d).all(-1)).unsqueeze(-1)  # (B, T, 1)
    return torch.where(valid, weights, torch.full_like(weights, 1.0 / (grid * grid)))


class GazePooledVideoClassifier(DeclaredInputsModule):
    """TimeSformer on the full ego frames, patch tokens pooled by the gaze (see the module docstring).

    Args:
        num_frames: frames per clip T.
        backbone_size: key of :data:`skillsight.models.layers.timesformer_utils.TIMESFORMER_SIZES`.
        backbone: overrides of its config fields.
        sigma_frac: sigma of the gaze attention as a fraction of the frame side.
        head_dropout: dropout before the classifier.
        num_classes: skill classes.
        pretrained_dir: optional LOCAL ``save_pretrained`` folder of TimeSformer weights.
    """

    input_names: tuple[str, ...] = ("video", "gaze2d", "gaze2d_mask")
    sensors: tuple[str, ...] = ("rgb", "eye_tracker")

    def __init__(
        self,
        *,
        num_frames: int = 16,
        backbone_size: str = "base",
        backbone: dict[str, Any] | None = None,
        sigma_frac: float = 0.125,
        head_dropout: float = 0.0,
        num_classes: int = len(PROFICIENCY_LABELS),
        pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        if not 0.0 < sigma_frac <= 1.0:
            raise ConfigError(f"sigma_frac must be in (0, 1], got {sigma_frac}")
        config = timesformer_config(backbone_size, int(num_frames), backbone)
        self.backbone = build_timesformer_backbone(config, pretrained_dir)
        self.num_frames, self.image_size = int(num_frames), config_side_px(config, "image_size")
        self.grid = self.image_size // config_side_px(config, "patch_size")
        self.feature_dim, self.sigma_frac = int(config.hidden_size), float(sigma_frac)
        self.norm = nn.LayerNorm(self.feature_dim)
        self.dropout = nn.Dropout(float(head_dropout))
        self.classifier = nn.Linear(self.feature_dim, int(num_classes))

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """video (B, T, 3, S, S) normalised; gaze2d (B, T, 2) in [0, 1]; gaze2d_mask (B, T) bool.

        Returns:
            "logits" (B, num_classes), "features" (B, D) and "attention" (B, T, P) (the pooling weights).
        """
        self.check_input_names(inputs)
        T, S = self.num_frames, self.image_size
        video = check_video(type(self).__name__, "video", inputs["video"], (-1, T, 3, S, S))
        B = video.shape[0]
        gaze2d = self.check_shape("gaze2d", inputs["gaze2d"], (B, T, 2))
        mask = self.check_shape("gaze2d_mask", inputs["gaze2d_mask"], (B, T))
        hidden = self.backbone(pixel_values=video, return_dict=True).last_hidden_state  # (B, 1 + P*T, D)
        D = hidden.shape[-1]
        patches = hidden[:, 1:].reshape(B, -1, T, D).transpose(1, 2)  # (B, T, P, D); HF order is patch-major
        weights = gaze_pooling_weights(gaze2d, mask, self.grid, self.sigma_frac)  # (B, T, P)
        pooled = (weights.unsqueeze(-1) * patches).sum(dim=2)  # (B, T, D)
        features = self.norm(pooled.mean(dim=1))  # (B, D)
        return {
            "logits": self.classifier(self.dropout(features)),
            "features": features,
            "attention": weights,
        }

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random frames and 2D gaze; the last frame's gaze is invalid."""
        B, T, S = batch_size, self.num_frames, self.image_size
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[:, -1] = False
        return {
            "video": torch.randn(B, T, 3, S, S, generator=gen),
            "gaze2d": torch.rand(B, T, 2, generator=gen),
            "gaze2d_mask": mask,
        }


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant (``backbone`` overrides merge key by key).
GAZE_POOLED_PRESETS: dict[str, dict[str, Any]] = {
    # Paper size: ViT-S/16 TimeSformer (the gaze-crop row's backbone) on the full 224 px frames, 16 frames.
    "beholder_gaze_pool": dict(num_frames=16, backbone_size="small", backbone={"image_size": 224}),
    # CPU demo: 64 px frames, 8 px patches (8 x 8 grid, so the gaze picks a region, not a quarter).
    "beholder_gaze_pool_tiny": dict(num_frames=16, backbone_size="tiny", backbone={"patch_size": 8}),
    "test_beholder_gaze_pool": dict(num_frames=4, backbone_size="test"),
}


def _gaze_pooled_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Gaze-pooled video: frames per clip, backbone input = the decoded frame size (it pools, no crop)."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), **backbone_args(cfg, key="backbone", image_px=cfg.data.frame_px)}


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> GazePooledVideoClassifier:
        preset = GAZE_POOLED_PRESETS[name]
        args = {**preset, **kwargs}
        args["backbone"] = {**preset.get("backbone", {}), **(kwargs.get("backbone") or {})}
        return GazePooledVideoClassifier(**args)

    factory.__name__ = name
    factory.__doc__ = f"GazePooledVideoClassifier preset {name!r}: {GAZE_POOLED_PRESETS[name]}"
    register_model(name, data_args=_gaze_pooled_data_args)(factory)


for _name in GAZE_POOLED_PRESETS:
    _register(_name)
