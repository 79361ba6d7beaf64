"""SkillSight teacher F(V, G) -> skill (Wu, Ashutosh & Grauman, CVPR 2026): three branches and a fusion MLP.

Branches (each can be switched off for ablations; ``input_names`` follows):

(a) action-gaze interaction: gaze-biased TimeSformer (:mod:`skillsight.models.gaze_attention`),
    final CLS -> e_v;
(b) fixated-object sequence: frozen DINOv2 CLS of 224 px gaze-centred crops per frame (computed here
    from ``crops``, or given as precomputed ``crop_features``) -> linear -> learned positions ->
    2-layer, 8-head transformer -> mean over time -> e_c. Crops are a sequence of semantics, not a
    video (they are not spatially aligned), hence a sequence encoder and no 3D backbone;
(c) gaze dynamics: per-channel standardisation (fixed training statistics, identity until a run fits
    them) -> linear(14 -> 768) -> learned positions, a learned per-scenario class token in
    front -> transformer encoder (paper 4 layers) -> class token -> e_g. Invalid gaze steps
    (``gaze_mask`` False) are masked as keys; unobserved channels of a valid step
    (``gaze_channel_mask`` False: no head pose, no depth) add a learned "missing" embedding, as in
    the student.

The gaze prior of (a) follows the 2D gaze's own validity (``gaze2d_mask``): a frame whose 2D gaze
is unknown gets no prior (its ``gaze2d`` is the image centre only to keep the crop box defined).

Fusion: concat(e_v, e_c, e_g) (2304 at paper size) -> 768 -> ReLU -> classes (``fusion_layers=2``, the
released code), or -> 768 -> ReLU -> 768 -> ReLU -> classes (``fusion_layers=3``, the paper's "3-layer
MLP"). One teacher serves all scenarios; the scenario id selects the gaze-bias weight and the class token.

Pretrained weights: ``video_pretrained_dir`` (a TimeSformer folder, e.g. EgoVLPv2's video encoder
converted by ``skillsight weights convert``) and ``crop_weights_dir`` (DINOv2). With the default
``crop_input="crop_features"`` the DINOv2 does not live in this module: the data pipeline computes and
caches its features, and :meth:`SkillSightTeacher.crop_feature_extractor` says how to build it (same
preset, same weights), so the cached features are those of the given weights.

Where the pieces live: the crop and gaze branch modules in :mod:`skillsight.models.skillsight_branches`,
the builders of the video branch and crop input (and the input/sensor rules) in
:mod:`skillsight.models.skillsight_teacher_parts`, the registered presets' sizes in
:mod:`skillsight.models.skillsight_teacher_presets`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, backbone_args, clip_frames_args
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.crop_features import CropFeatureExtractor
from skillsight.models.layers.heads import MLP
from skillsight.models.skillsight_branches import CropSequenceBranch, GazeDynamicsBranch
from skillsight.models.skillsight_teacher_parts import (
    build_crop_input,
    build_video_branch,
    check_teacher_switches,
    teacher_input_names,
    teacher_sensors,
)
from skillsight.models.skillsight_teacher_presets import teacher_arguments

__all__ = [
    "SkillSightTeacher",
    "skillsight_teacher",
    "skillsight_teacher_tiny",
    "test_skillsight_teacher",
]


class SkillSightTeacher(DeclaredInputsModule):
    """Video + gaze SkillSight teacher.

    Args:
        num_classes: skill classes (4 proficiency levels).
        num_scenarios: scenarios (bias weights and gaze class tokens).
        num_frames: frames / gaze steps per clip T.
        use_video, use_crops, use_gaze: switch branches on or off (at least one on).
        use_gaze_bias: gaze prior in the TimeSformer (off = plain TimeSformer, no ``gaze2d`` input).
        video: ``TimesformerConfig`` keyword arguments (``num_frames`` is set from ``num_frames``).
        video_pretrained_dir: optional local folder of TimeSformer weights.
        bias_init, sigma_patches: gaze prior settings (see :class:`GazeBiasedTimesformer`).
        crop_input: "crops" (raw crops; the frozen DINOv2 runs inside) or "crop_features"
            (precomputed features, e.g. from the feature cache; no DINOv2 inside the model).
        crop_extractor: preset of :class:`CropFeatureExtractor` (decides the crop size and Dc).
        crop_weights_dir: optional local DINOv2 weights, used inside (``crop_input="crops"``) or by the
            feature cache (``crop_input="crop_features"``, see :meth:`crop_feature_extractor`).
        embed_dim: width of e_c and e_g.
        crop_layers, crop_heads: temporal crop transformer.
        gaze_channels, gaze_layers, gaze_heads: gaze-dynamics encoder.
        ffn_dim, dropout: feed-forward width and dropout of both sequence encoders.
        fusion_hidden: hidden width of the fusion MLP.
        fusion_layers: Linear layers of the fusion MLP (2: the released code; 3: the paper).
        use_channel_mask: the gaze branch takes ``gaze_channel_mask`` (per-channel validity).
    """

    # Class-level values describe the default configuration; each instance sets its own from its flags.
    input_names: tuple[str, ...] = (
        "video",
        "gaze2d",
        "gaze2d_mask",
        "crop_features",
        "gaze",
        "gaze_mask",
        "gaze_channel_mask",
        "scenario",
    )
    sensors: tuple[str, ...] = ("rgb", "eye_tracker")

    def __init__(
        self,
        *,
        num_classes: int = len(PROFICIENCY_LABELS),
        num_scenarios: int = len(SCENARIOS),
        num_frames: int = 16,
        use_video: bool = True,
        use_crops: bool = True,
        use_gaze: bool = True,
        use_gaze_bias: bool = True,
        video: dict[str, Any] | None = None,
        video_pretrained_dir: str | None = None,
        bias_init: float = 1.0,
        sigma_patches: float | None = None,
        crop_input: str = "crop_features",
        crop_extractor: str = "dinov2_vitb14",
        crop_weights_dir: str | None = None,
        embed_dim: int = 768,
        crop_layers: int = 2,
        crop_heads: int = 8,
        gaze_channels: int = 14,
        gaze_layers: int = 4,
        gaze_heads: int = 8,
        ffn_dim: int = 2048,
        dropout: float = 0.1,
        fusion_hidden: int = 768,
        fusion_layers: int = 2,
        use_channel_mask: bool = True,
    ) -> None:
        super().__init__()
        check_teacher_switches(
            use_video=use_video,
            use_crops=use_crops,
            use_gaze=use_gaze,
            crop_input=crop_input,
            crop_extractor=crop_extractor,
            fusion_layers=fusion_layers,
        )
        self.num_classes, self.num_scenarios, self.num_frames = num_classes, num_scenarios, num_frames
        self.use_video, self.use_crops, self.use_gaze = use_video, use_crops, use_gaze
        self.use_gaze_bias = use_video and use_gaze_bias
        self.crop_input, self.crop_extractor_name = crop_input, crop_extractor
        self.crop_weights_dir = crop_weights_dir
        self._extractor_cache: list[CropFeatureExtractor] = []  # a list: not a registered submodule
        self.gaze_channels = gaze_channels
        self.use_channel_mask = bool(use_gaze and use_channel_mask)
        dims: list[int] = []  # widths of the enabled branch embeddings, in concatenation order

        # Submodules are created (and so draw their random init) in this order: video, crops, gaze, fusion.
        if use_video:
            branch = build_video_branch(
                video,
                num_frames,
                num_scenarios,
                use_gaze_bias=self.use_gaze_bias,
                bias_init=bias_init,
                sigma_patches=sigma_patches,
                pretrained_dir=video_pretrained_dir,
            )
            self.video_encoder: nn.Module = branch.encoder
            self.image_size = branch.image_size
            dims.append(branch.dim)
        if use_crops:
            source = build_crop_input(crop_input, crop_extractor, crop_weights_dir)
            if source.extractor is not None:
                self.crop_encoder = source.extractor
            self.crop_feature_dim, self.crop_size = source.feature_dim, source.crop_size
            self.crop_branch = CropSequenceBranch(
                self.crop_feature_dim, embed_dim, num_frames, crop_layers, crop_heads, ffn_dim, dropout
            )
            dims.append(embed_dim)
        if use_gaze:
            self.gaze_branch = GazeDynamicsBranch(
                gaze_channels,
                embed_dim,
                num_frames,
                num_scenarios,
                gaze_layers,
                gaze_heads,
                ffn_dim,
                dropout,
                use_channel_mask,
            )
            dims.append(embed_dim)
        self.feature_dim = sum(dims)
        hidden = [int(fusion_hidden)] * (int(fusion_layers) - 1)
        self.fusion = MLP((self.feature_dim, *hidden, num_classes))

        self.input_names = teacher_input_names(
            use_video=use_video,
            use_gaze_bias=self.use_gaze_bias,
            use_crops=use_crops,
            crop_input=crop_input,
            use_gaze=use_gaze,
            use_channel_mask=self.use_channel_mask,
        )
        self.sensors = teacher_sensors(
            use_video=use_video, use_crops=use_crops, use_gaze=use_gaze, use_gaze_bias=self.use_gaze_bias
        )

    # ------------------------------------------------------------------------- crop extractor
    def crop_feature_extractor(self) -> CropFeatureExtractor:
        """The frozen DINOv2 whose features this teacher reads: the one inside (``crop_input="crops"``), or,
        for ``crop_features``, the extractor the data pipeline must run and cache: this teacher's preset and
        ``crop_weights_dir`` (built once per teacher; its :meth:`~CropFeatureExtractor.identity` holds a
        fingerprint of its weights, so cached features of other weights are never served).

        Raises:
            ConfigError: the teacher has no crop branch.
        """
        if not self.use_crops:
            raise ConfigError("this SkillSightTeacher has no crop branch (use_crops=False)")
        if self.crop_input == "crops":
            return self.crop_encoder
        if not self._extractor_cache:
            self._extractor_cache.append(
                CropFeatureExtractor(self.crop_extractor_name, self.crop_weights_dir)
            )
        return self._extractor_cache[0]

    # ---------------------------------------------------------------------------------- forward
    def forward_features(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Branch embeddings and their concatenation ``features`` (B, feature_dim)."""
        self.check_input_names(inputs)
        T = self.num_frames
        B = inputs[self.input_names[0]].shape[0]
        out: dict[str, torch.Tensor] = {}
        scenario = gaze_mask = None
        if "scenario" in self.input_names:
            scenario = self.check_shape("scenario", inputs["scenario"], (B,)).long()
        if "gaze_mask" in self.input_names:
            gaze_mask = self.check_shape("gaze_mask", inputs["gaze_mask"], (B, T)).bool()
        if self.use_video:
            video = self.check_shape("video", inputs["video"], (B, T, 3, self.image_size, self.image_size))
            if self.use_gaze_bias:
                gaze2d = self.check_shape("gaze2d", inputs["gaze2d"], (B, T, 2))
                gaze2d_mask = self.check_shape("gaze2d_mask", inputs["gaze2d_mask"], (B, T)).bool()
                hidden = self.video_encoder(video, gaze2d, scenario, gaze2d_mask).last_hidden_state
            else:
                hidden = self.video_encoder(pixel_values=video, return_dict=True).last_hidden_state
            out["video_embedding"] = hidden[:, 0]  # (B, Dv) final CLS
        if self.use_crops:
            if self.crop_input == "crops":
                crops = self.check_shape("crops", inputs["crops"], (B, T, 3, self.crop_size, self.crop_size))
                crop_features = self.crop_encoder(crops)  # (B, T, Dc), no grad
            else:
                shape = (B, T, self.crop_feature_dim)
                crop_features = self.check_shape("crop_features", inputs["crop_features"], shape)
            crop_valid = self.check_shape("gaze2d_mask", inputs["gaze2d_mask"], (B, T)).bool()
            out["crop_embedding"] = self.crop_branch(crop_features.float(), crop_valid)
        if self.use_gaze:
            gaze = self.check_shape("gaze", inputs["gaze"], (B, T, self.gaze_channels))
            channel_mask = None
            if self.use_channel_mask:
                shape = (B, T, self.gaze_channels)
                channel_mask = self.check_shape("gaze_channel_mask", inputs["gaze_channel_mask"], shape)
            out["gaze_embedding"] = self.gaze_branch(gaze, gaze_mask, scenario, channel_mask)
        parts = [out[k] for k in ("video_embedding", "crop_embedding", "gaze_embedding") if k in out]
        out["features"] = torch.cat(parts, dim=-1)  # (B, feature_dim)
        return out

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, feature_dim) -> logits (B, num_classes)."""
        return self.fusion(features)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Keyword inputs named by ``input_names``.

        Shapes: video (B, T, 3, H, W) normalised frames; gaze2d (B, T, 2) in [0, 1]; gaze2d_mask (B, T)
        bool, True where the 2D gaze is known (False: no gaze prior on that frame); crops (B, T, 3, S, S)
        or crop_features (B, T, Dc); gaze (B, T, C); gaze_mask (B, T) bool, True = valid step;
        gaze_channel_mask (B, T, C) bool, True = observed channel; scenario (B,) int64.

        Returns:
            "logits" (B, num_classes), "features" (B, feature_dim) and the enabled branch embeddings
            "video_embedding", "crop_embedding", "gaze_embedding".
        """
        out = self.forward_features(**inputs)
        out["logits"] = self.forward_head(out["features"])
        return out

    def deployed(self) -> tuple[DeclaredInputsModule, str | None]:
        """With ``crop_features`` (cached frozen-DINOv2 outputs) the device would run DINOv2 on every crop:
        the same registered model with ``crop_input="crops"`` (needs ``create_model``'s name/args)."""
        if self.crop_input != "crop_features" or not self.use_crops or not hasattr(self, "model_name"):
            return self, None
        from skillsight.models._factory import create_model

        # a loaded run's weights folders as found now (load_model), not the run-relative names it stores
        stored = getattr(self, "resolved_model_args", None) or self.model_args
        args = {**stored, "crop_input": "crops"}
        variant = create_model(self.model_name, **args).eval()
        if not isinstance(variant, SkillSightTeacher):
            raise ConfigError(f"{self.model_name} did not build a SkillSightTeacher")
        # The variant holds this teacher's weights, plus the frozen extractor of its crop_weights_dir.
        variant.crop_encoder.load_state_dict(self.crop_feature_extractor().state_dict())
        missing, unexpected = variant.load_state_dict(self.state_dict(), strict=False)
        extra = [k for k in missing if not k.startswith("crop_encoder.")]
        if extra or unexpected:
            raise ConfigError(f"deployed teacher does not take this teacher's weights: {extra + unexpected}")
        return variant, (
            "the frozen crop extractor is counted (the run was trained on its cached features, "
            "the device would run it on every crop)"
        )

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random inputs for every declared name (a few gaze steps marked invalid)."""
        B, T = batch_size, self.num_frames
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[:, -1] = False
        channels = torch.ones(B, T, self.gaze_channels, dtype=torch.bool)
        channels[:, : T // 2, 6:13] = False  # no head pose in the first half
        channels[:, -1] = False
        mask2d = torch.ones(B, T, dtype=torch.bool)
        mask2d[:, 0] = False  # one frame without 2D gaze: no prior there
        candidates = {
            "video": lambda: torch.randn(B, T, 3, self.image_size, self.image_size, generator=gen),
            "gaze2d": lambda: torch.rand(B, T, 2, generator=gen),
            "crops": lambda: torch.randn(B, T, 3, self.crop_size, self.crop_size, generator=gen),
            "crop_features": lambda: torch.randn(B, T, self.crop_feature_dim, generator=gen),
            "gaze": lambda: torch.randn(B, T, self.gaze_channels, generator=gen),
            "gaze_mask": lambda: mask,
            "gaze_channel_mask": lambda: channels,
            "gaze2d_mask": lambda: mask2d,
            "scenario": lambda: torch.arange(B) % self.num_scenarios,
        }
        return {name: candidates[name]() for name in self.input_names}


# ------------------------------------------------------------------------------ registered variants
# Their sizes are the table of skillsight.models.skillsight_teacher_presets; keyword arguments override them.


def _teacher_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Teacher: per-scenario bias weights and class tokens, frames per clip, the video frame size."""
    del facts  # its sizes follow from the config alone
    return {
        "num_scenarios": len(SCENARIOS),
        **clip_frames_args(cfg),
        **backbone_args(cfg, key="video", image_px=cfg.data.frame_px),
    }


@register_model("skillsight_teacher", data_args=_teacher_data_args)
def skillsight_teacher(**kwargs: Any) -> SkillSightTeacher:
    """Paper-size teacher (random init; pass ``video_pretrained_dir``/``crop_weights_dir`` for weights)."""
    return SkillSightTeacher(**teacher_arguments("skillsight_teacher", kwargs))


@register_model("skillsight_teacher_tiny", data_args=_teacher_data_args)
def skillsight_teacher_tiny(**kwargs: Any) -> SkillSightTeacher:
    """CPU demo teacher (trains in minutes on 2 cores)."""
    return SkillSightTeacher(**teacher_arguments("skillsight_teacher_tiny", kwargs))


@register_model("test_skillsight_teacher", data_args=_teacher_data_args)
def test_skillsight_teacher(**kwargs: Any) -> SkillSightTeacher:
    """Tiny teacher for unit tests."""
    return SkillSightTeacher(**teacher_arguments("test_skillsight_teacher", kwargs))


test_skillsight_teacher.__dict__["__test__"] = False  # a model factory, not a pytest test
