"""Video baselines: a TimeSformer on the ego video, and a TimeSformer on gaze-centred crops.

* :class:`TimesformerVideoClassifier` (input ``video``): the video-only baseline of SkillSight's table.
  Full fine-tuning, or a linear probe (``linear_probe=True`` freezes the backbone so only the classifier
  trains); CLS or mean-of-all-tokens pooling.
* :class:`GazeCropVideoClassifier` (input ``crops``): the video restricted to the region around the gaze,
  in the spirit of EgoExoLearn / Beholder: the dataset cuts a gaze-centred square out of every ego frame
  (:func:`skillsight.gaze.crops.gaze_crop_boxes`, shifted to stay inside the frame) and a small
  TimeSformer classifies the crop sequence. The camera AND the eye tracker must be on.

Both build a stock Hugging Face ``TimesformerModel`` from a named size (random init; local weights only
through ``pretrained_dir``).
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
    POOLINGS,
    build_timesformer_backbone,
    check_video,
    config_side_px,
    pool_tokens,
    timesformer_config,
)

__all__ = ["VIDEO_BASELINE_PRESETS", "GazeCropVideoClassifier", "TimesformerVideoClassifier"]


class TimesformerVideoClassifier(DeclaredInputsModule):
    """TimeSformer -> pooled token -> dropout -> Linear.

    Args:
        num_frames: frames per clip T.
        backbone_size: key of :data:`skillsight.models.layers.timesformer_utils.TIMESFORMER_SIZES`.
        backbone: overrides of its config fields (e.g. ``{"image_size": 448}``).
        pooling: "cls" (final CLS token) or "mean" (mean of all tokens).
        linear_probe: freeze the backbone (only the classifier trains).
        head_dropout: dropout before the classifier.
        num_classes: proficiency classes.
        pretrained_dir: optional LOCAL ``save_pretrained`` folder of TimeSformer weights.
    """

    input_names: tuple[str, ...] = ("video",)
    sensors: tuple[str, ...] = ("rgb",)

    def __init__(
        self,
        *,
        num_frames: int = 16,
        backbone_size: str = "base",
        backbone: dict[str, Any] | None = None,
        pooling: str = "cls",
        linear_probe: bool = False,
        head_dropout: float = 0.0,
        num_classes: int = len(PROFICIENCY_LABELS),
        pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        if pooling not in POOLINGS:
            raise ConfigError(f"unknown pooling {pooling!r}; valid: {list(POOLINGS)}")
        self.num_frames, self.pooling, self.linear_probe = int(num_frames), pooling, bool(linear_probe)
        config = timesformer_config(backbone_size, self.num_frames, backbone)
        self.backbone = build_timesformer_backbone(config, pretrained_dir)
        self.image_size = config_side_px(config, "image_size")
        self.feature_dim = int(config.hidden_size)
        if self.linear_probe:
            self.backbone.requires_grad_(False)
        self.dropout = nn.Dropout(float(head_dropout))
        self.classifier = nn.Linear(self.feature_dim, int(num_classes))

    @property
    def _input(self) -> str:
        return self.input_names[0]

    def forward_features(self, **inputs: torch.Tensor) -> torch.Tensor:
        """Pooled backbone feature (B, D) of the declared clip input (B, T, 3, S, S)."""
        self.check_input_names(inputs)
        T, S = self.num_frames, self.image_size
        clip = check_video(type(self).__name__, self._input, inputs[self._input], (-1, T, 3, S, S))
        tokens = self.backbone(pixel_values=clip, return_dict=True).last_hidden_state  # (B, 1 + T*P, D)
        return pool_tokens(tokens, self.pooling)

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, D) -> logits (B, num_classes)."""
        return self.classifier(self.dropout(features))

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Normalised clip (B, T, 3, S, S) under the declared input name.

        Returns:
            "logits" (B, num_classes) and "features" (B, D) (the pooled token).
        """
        features = self.forward_features(**inputs)
        return {"logits": self.forward_head(features), "features": features}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random normalised frames of the declared shape."""
        gen = torch.Generator().manual_seed(0)
        S = self.image_size
        return {self._input: torch.randn(batch_size, self.num_frames, 3, S, S, generator=gen)}


class GazeCropVideoClassifier(TimesformerVideoClassifier):
    """The same classifier on the gaze-centred crops (B, T, 3, c, c) of the ego frames (``c`` = image_size).

    Build the dataset with ``crop_px`` (or ``crop_out_px``) equal to the backbone's ``image_size``.
    """

    input_names: tuple[str, ...] = ("crops",)
    sensors: tuple[str, ...] = ("rgb", "eye_tracker")


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant (``backbone`` overrides merge key by key).
VIDEO_BASELINE_PRESETS: dict[str, dict[str, Any]] = {
    # SkillSight's TimeSformer row: ViT-B/16 on the clip protocol (16 frames, 448 px), CLS, full fine-tune.
    "timesformer_video": dict(
        num_frames=16, backbone_size="base", backbone={"image_size": 448}, pooling="cls"
    ),
    "timesformer_video_tiny": dict(num_frames=16, backbone_size="tiny", pooling="cls"),
    "test_timesformer_video": dict(num_frames=4, backbone_size="test", pooling="mean"),
    # Gaze crops: ViT-S/16 TimeSformer on 16 crops of 224 px (the SkillSight crop size).
    "gaze_crop_video": dict(
        num_frames=16, backbone_size="small", backbone={"image_size": 224}, pooling="cls"
    ),
    # CPU demo: 32 px crops (the demo's crop_px), 8 px patches (4 x 4 grid).
    "gaze_crop_video_tiny": dict(
        num_frames=16, backbone_size="tiny", backbone={"image_size": 32, "patch_size": 8}, pooling="cls"
    ),
    "test_gaze_crop_video": dict(
        num_frames=4, backbone_size="test", backbone={"image_size": 16}, pooling="cls"
    ),
}


#: preset -> class: crop presets read gaze-centred crops, the others the whole video.
_CLASSES: dict[str, type[TimesformerVideoClassifier]] = {
    name: GazeCropVideoClassifier if "gaze_crop" in name else TimesformerVideoClassifier
    for name in VIDEO_BASELINE_PRESETS
}


def _video_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Whole-video TimeSformer: frames per clip, backbone input = the decoded frame size."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), **backbone_args(cfg, key="backbone", image_px=cfg.data.frame_px)}


def _crop_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Gaze-crop TimeSformer: frames per clip, backbone input = the gaze crop size."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), **backbone_args(cfg, key="backbone", image_px=cfg.data.crop_px)}


def _register(preset: str) -> None:
    """Register ``preset``: its arguments, overridden key by key (``backbone`` merged one level down)."""

    def factory(**kwargs: Any) -> TimesformerVideoClassifier:
        preset_args = VIDEO_BASELINE_PRESETS[preset]
        args = {**preset_args, **kwargs}
        args["backbone"] = {**preset_args.get("backbone", {}), **(kwargs.get("backbone") or {})}
        return _CLASSES[preset](**args)

    factory.__name__ = preset
    factory.__doc__ = f"{_CLASSES[preset].__name__} preset {preset!r}: {VIDEO_BASELINE_PRESETS[preset]}"
    hook = _crop_data_args if _CLASSES[preset] is GazeCropVideoClassifier else _video_data_args
    register_model(preset, data_args=hook)(factory)


for _preset in VIDEO_BASELINE_PRESETS:
    _register(_preset)
