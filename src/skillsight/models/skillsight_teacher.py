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
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.gaze_attention import GazeBiasedTimesformer, build_timesformer
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.crop_features import CROP_EXTRACTOR_PRESETS, CropFeatureExtractor
from skillsight.models.layers.heads import MLP
from skillsight.models.layers.positional import LearnedPositions
from skillsight.models.layers.sequence_encoder import SequenceEncoder
from skillsight.models.layers.standardize import ChannelStandardizer
from skillsight.models.layers.timesformer_utils import config_side_px

__all__ = [
    "TEACHER_PRESETS",
    "CropSequenceBranch",
    "GazeDynamicsBranch",
    "SkillSightTeacher",
    "skillsight_teacher",
    "skillsight_teacher_tiny",
    "test_skillsight_teacher",
]

#: canonical order of every input the teacher may take.
_ALL_INPUTS = (
    "video",
    "gaze2d",
    "gaze2d_mask",
    "crops",
    "crop_features",
    "gaze",
    "gaze_mask",
    "gaze_channel_mask",
    "scenario",
)


class CropSequenceBranch(nn.Module):
    """Fixated-object branch: per-frame crop features -> temporal transformer -> mean over time.

    A frame whose 2D gaze is unknown has no fixated object: its crop (cut at the image centre only to
    keep the box defined) is masked as a key and left out of the mean. A clip without any known 2D
    gaze gives a zero embedding: the branch says nothing rather than describe the image centre.

    Args:
        feature_dim: Dc of the crop features.
        dim: embedding width (768 in the paper).
        max_frames: T_max for the learned positions.
        num_layers, num_heads, ffn_dim, dropout: temporal transformer (paper: 2 layers, 8 heads).
    """

    def __init__(
        self,
        feature_dim: int,
        dim: int,
        max_frames: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.proj = nn.Linear(feature_dim, dim)
        self.positions = LearnedPositions(dim, max_frames)
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)

    def forward(self, crop_features: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """crop_features: (B, T, Dc), valid: (B, T) bool (True = 2D gaze known) -> e_c (B, dim)."""
        x = self.positions(self.proj(crop_features))  # (B, T, dim)
        if valid is None:
            return self.encoder(x).mean(dim=1)  # (B, dim)
        any_valid = valid.any(dim=1)  # (B,)
        # a clip without any valid frame attends to all (no NaN) and is zeroed below
        ignore = ~valid & any_valid[:, None]  # (B, T)
        weights = valid.to(x.dtype)  # (B, T)
        pooled = (self.encoder(x, ignore) * weights[..., None]).sum(1) / weights.sum(
            1, keepdim=True
        ).clamp_min(1.0)
        return pooled * any_valid[:, None].to(x.dtype)  # (B, dim)


class GazeDynamicsBranch(nn.Module):
    """Gaze-dynamics branch: per-scenario class token + gaze steps -> transformer -> class token.

    Args:
        gaze_channels: channels per gaze step (14 for Ego-Exo4D).
        dim: embedding width.
        max_steps: T_max for the learned positions.
        num_scenarios: number of class tokens.
        num_layers, num_heads, ffn_dim, dropout: transformer encoder (paper: 4 layers).
        use_channel_mask: add the learned embedding of unobserved channels (``gaze_channel_mask``).
    """

    def __init__(
        self,
        gaze_channels: int,
        dim: int,
        max_steps: int,
        num_scenarios: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float,
        use_channel_mask: bool = True,
    ) -> None:
        super().__init__()
        self.standardizer = ChannelStandardizer(gaze_channels, "gaze")  # identity until fitted
        self.proj = nn.Linear(gaze_channels, dim)
        self.missing_proj = nn.Linear(gaze_channels, dim, bias=False) if use_channel_mask else None
        self.positions = LearnedPositions(dim, max_steps)
        self.class_tokens = nn.Parameter(torch.randn(num_scenarios, dim) * 0.02)
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)

    def forward(
        self,
        gaze: torch.Tensor,
        gaze_mask: torch.Tensor,
        scenario: torch.Tensor,
        gaze_channel_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """gaze: (B, T, C), gaze_mask: (B, T) bool (True = valid), scenario: (B,), gaze_channel_mask:
        (B, T, C) bool (True = observed; required with ``use_channel_mask``) -> e_g (B, dim)."""
        observed = gaze_mask.bool().unsqueeze(-1)  # (B, T, 1)
        if gaze_channel_mask is not None:
            observed = observed & gaze_channel_mask.bool()  # (B, T, C)
        x = self.proj(self.standardizer(gaze, observed))  # (B, T, dim); unobserved values stay 0
        if self.missing_proj is not None:
            if gaze_channel_mask is None:
                raise ConfigError(
                    "GazeDynamicsBranch was built with use_channel_mask: pass gaze_channel_mask"
                )
            x = x + self.missing_proj((~gaze_channel_mask.bool()).to(x.dtype))
        x = self.positions(x)  # (B, T, dim)
        cls = self.class_tokens[scenario].unsqueeze(1)  # (B, 1, dim)
        x = torch.cat([cls, x], dim=1)  # (B, 1 + T, dim)
        always = torch.zeros_like(gaze_mask[:, :1], dtype=torch.bool)  # (B, 1): class token never padded
        padding = torch.cat([always, ~gaze_mask.bool()], dim=1)  # (B, 1 + T), True = ignore
        return self.encoder(x, padding)[:, 0]  # (B, dim)


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
        if not (use_video or use_crops or use_gaze):
            raise ConfigError("SkillSightTeacher needs at least one of use_video, use_crops, use_gaze")
        if crop_input not in ("crops", "crop_features"):
            raise ConfigError(f"crop_input must be 'crops' or 'crop_features', got {crop_input!r}")
        if crop_extractor not in CROP_EXTRACTOR_PRESETS:
            valid = sorted(CROP_EXTRACTOR_PRESETS)
            raise ConfigError(f"unknown crop_extractor {crop_extractor!r}; valid: {valid}")
        if int(fusion_layers) < 2:
            raise ConfigError(f"fusion_layers must be >= 2 (input -> hidden -> classes), got {fusion_layers}")
        self.num_classes, self.num_scenarios, self.num_frames = num_classes, num_scenarios, num_frames
        self.use_video, self.use_crops, self.use_gaze = use_video, use_crops, use_gaze
        self.use_gaze_bias = use_video and use_gaze_bias
        self.crop_input, self.crop_extractor_name = crop_input, crop_extractor
        self.crop_weights_dir = crop_weights_dir
        self._extractor_cache: list[CropFeatureExtractor] = []  # a list: not a registered submodule
        self.gaze_channels = gaze_channels
        self.use_channel_mask = bool(use_gaze and use_channel_mask)
        dims: list[int] = []

        if use_video:
            video_cfg = {**(video or {}), "num_frames": num_frames}
            if self.use_gaze_bias:
                self.video_encoder: nn.Module = GazeBiasedTimesformer(
                    video_cfg, num_scenarios, bias_init, sigma_patches, video_pretrained_dir
                )
                tf_config = self.video_encoder.timesformer.config
            else:
                self.video_encoder = build_timesformer(video_cfg, video_pretrained_dir)
                tf_config = self.video_encoder.config
            self.image_size = config_side_px(tf_config, "image_size")
            dims.append(int(tf_config.hidden_size))
        if use_crops:
            if crop_input == "crops":
                self.crop_encoder = CropFeatureExtractor(crop_extractor, crop_weights_dir)
                self.crop_feature_dim = self.crop_encoder.feature_dim
                self.crop_size = self.crop_encoder.crop_size
            else:
                self.crop_feature_dim = int(CROP_EXTRACTOR_PRESETS[crop_extractor]["hidden_size"])
                self.crop_size = int(CROP_EXTRACTOR_PRESETS[crop_extractor]["image_size"])
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

        wanted = set()
        if use_video:
            wanted |= {"video"} | ({"gaze2d", "gaze2d_mask", "scenario"} if self.use_gaze_bias else set())
        if use_crops:
            wanted |= {crop_input, "gaze2d_mask"}  # the crops follow the 2D gaze: its validity masks them
        if use_gaze:
            wanted |= {"gaze", "gaze_mask", "scenario"} | (
                {"gaze_channel_mask"} if self.use_channel_mask else set()
            )
        self.input_names = tuple(name for name in _ALL_INPUTS if name in wanted)
        # Crops are centred on the gaze point, so they need the eye tracker as well as the camera.
        needs_rgb = use_video or use_crops
        needs_eyes = use_gaze or use_crops or self.use_gaze_bias
        self.sensors = ("rgb",) * needs_rgb + ("eye_tracker",) * needs_eyes

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
#: constructor arguments of each registered variant (``video`` is merged key by key with overrides).
TEACHER_PRESETS: dict[str, dict[str, Any]] = {
    # Paper size: ViT-B/16 TimeSformer on 448 px frames (28 x 28 patches), 16 frames; DINOv2 ViT-B/14.
    "skillsight_teacher": dict(
        num_frames=16,
        video=dict(
            image_size=448,
            patch_size=16,
            hidden_size=768,
            num_hidden_layers=12,
            num_attention_heads=12,
            intermediate_size=3072,
        ),
        crop_extractor="dinov2_vitb14",
        embed_dim=768,
        crop_layers=2,
        crop_heads=8,
        gaze_layers=4,
        gaze_heads=8,
        ffn_dim=2048,
        fusion_hidden=768,
    ),
    # CPU demo size: 64 px frames, 16 frames, 32 px crops through a tiny DINOv2. 16 px patches give a
    # 4 x 4 grid (sigma 1.3 patches); video={"patch_size": 8} gives 8 x 8 at about 3x the cost per step.
    "skillsight_teacher_tiny": dict(
        num_frames=16,
        video=dict(
            image_size=64,
            patch_size=16,
            hidden_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=128,
        ),
        crop_extractor="dinov2_tiny",
        embed_dim=64,
        crop_layers=2,
        crop_heads=4,
        gaze_layers=2,
        gaze_heads=4,
        ffn_dim=128,
        fusion_hidden=64,
    ),
    # Unit tests: raw crops so the frozen DINOv2 path is exercised too.
    "test_skillsight_teacher": dict(
        num_frames=4,
        video=dict(
            image_size=32,
            patch_size=8,
            hidden_size=32,
            num_hidden_layers=2,
            num_attention_heads=4,
            intermediate_size=64,
        ),
        crop_input="crops",
        crop_extractor="dinov2_test",
        embed_dim=32,
        crop_layers=1,
        crop_heads=4,
        gaze_layers=1,
        gaze_heads=4,
        ffn_dim=64,
        fusion_hidden=32,
        dropout=0.0,
    ),
}


def _build(preset: str, kwargs: dict[str, Any]) -> SkillSightTeacher:
    args = {**TEACHER_PRESETS[preset], **kwargs}
    args["video"] = {**TEACHER_PRESETS[preset]["video"], **(kwargs.get("video") or {})}
    return SkillSightTeacher(**args)


@register_model("skillsight_teacher")
def skillsight_teacher(**kwargs: Any) -> SkillSightTeacher:
    """Paper-size teacher (random init; pass ``video_pretrained_dir``/``crop_weights_dir`` for weights)."""
    return _build("skillsight_teacher", kwargs)


@register_model("skillsight_teacher_tiny")
def skillsight_teacher_tiny(**kwargs: Any) -> SkillSightTeacher:
    """CPU demo teacher (trains in minutes on 2 cores)."""
    return _build("skillsight_teacher_tiny", kwargs)


@register_model("test_skillsight_teacher")
def test_skillsight_teacher(**kwargs: Any) -> SkillSightTeacher:
    """Tiny teacher for unit tests."""
    return _build("test_skillsight_teacher", kwargs)


test_skillsight_teacher.__dict__["__test__"] = False  # a model factory, not a pytest test
