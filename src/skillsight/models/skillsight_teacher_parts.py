"""What a :class:`~skillsight.models.skillsight_teacher.SkillSightTeacher` is built of, one question each.

- :func:`check_teacher_switches`: are the branch switches and choices valid (ConfigError otherwise)?
- :func:`build_video_branch`: the gaze-biased (or plain) TimeSformer of branch (a), its frame size and width.
- :func:`build_crop_input`: where branch (b)'s crop features come from (a frozen DINOv2 inside, or the
  cache) and their width and crop size.
- :func:`teacher_input_names` and :func:`teacher_sensors`: which inputs and sensors the enabled branches need.

Branch (c) and branch (b)'s temporal encoder are the modules of :mod:`skillsight.models.skillsight_branches`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from torch import nn
from transformers import PretrainedConfig

from skillsight.exceptions import ConfigError
from skillsight.models.gaze_attention import GazeBiasedTimesformer, build_timesformer
from skillsight.models.layers.crop_features import CROP_EXTRACTOR_PRESETS, CropFeatureExtractor
from skillsight.models.layers.timesformer_utils import config_side_px

__all__ = [
    "CROP_INPUTS",
    "TEACHER_INPUTS",
    "CropInput",
    "VideoBranch",
    "build_crop_input",
    "build_video_branch",
    "check_teacher_switches",
    "teacher_input_names",
    "teacher_sensors",
]

#: canonical order of every input the teacher may take.
TEACHER_INPUTS: tuple[str, ...] = (
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
#: what the crop branch may read: raw crops (DINOv2 inside) or precomputed DINOv2 features.
CROP_INPUTS: tuple[str, ...] = ("crops", "crop_features")


def check_teacher_switches(
    *,
    use_video: bool,
    use_crops: bool,
    use_gaze: bool,
    crop_input: str,
    crop_extractor: str,
    fusion_layers: int,
) -> None:
    """Raise ConfigError naming the first invalid choice: no branch on, an unknown crop input or extractor,
    a fusion MLP of fewer than 2 Linear layers."""
    if not (use_video or use_crops or use_gaze):
        raise ConfigError("SkillSightTeacher needs at least one of use_video, use_crops, use_gaze")
    if crop_input not in CROP_INPUTS:
        raise ConfigError(f"crop_input must be 'crops' or 'crop_features', got {crop_input!r}")
    if crop_extractor not in CROP_EXTRACTOR_PRESETS:
        valid = sorted(CROP_EXTRACTOR_PRESETS)
        raise ConfigError(f"unknown crop_extractor {crop_extractor!r}; valid: {valid}")
    if int(fusion_layers) < 2:
        raise ConfigError(f"fusion_layers must be >= 2 (input -> hidden -> classes), got {fusion_layers}")


@dataclass(frozen=True)
class VideoBranch:
    """Branch (a) as built: its encoder, the frame side it takes and its width.

    Attributes:
        encoder: :class:`GazeBiasedTimesformer` (gaze prior on) or a plain Hugging Face TimeSformer.
        image_size: frame side in pixels (from the built config, so a loaded folder's is honoured).
        dim: Dv, the width of e_v (the final CLS token).
    """

    encoder: nn.Module
    image_size: int
    dim: int


def build_video_branch(
    video: dict[str, Any] | None,
    num_frames: int,
    num_scenarios: int,
    *,
    use_gaze_bias: bool,
    bias_init: float,
    sigma_patches: float | None,
    pretrained_dir: str | None,
) -> VideoBranch:
    """The TimeSformer of ``video`` (``TimesformerConfig`` keyword arguments) over ``num_frames`` frames,
    with the per-scenario gaze prior when ``use_gaze_bias``, loaded from ``pretrained_dir`` if given."""
    video_cfg = {**(video or {}), "num_frames": num_frames}
    if use_gaze_bias:
        biased = GazeBiasedTimesformer(video_cfg, num_scenarios, bias_init, sigma_patches, pretrained_dir)
        return VideoBranch(biased, *_side_and_width(biased.timesformer.config))
    plain = build_timesformer(video_cfg, pretrained_dir)
    return VideoBranch(plain, *_side_and_width(plain.config))


def _side_and_width(config: PretrainedConfig) -> tuple[int, int]:
    """(frame side in pixels, token width) of a built TimeSformer's config."""
    return config_side_px(config, "image_size"), int(config.hidden_size)


@dataclass(frozen=True)
class CropInput:
    """Where branch (b)'s per-frame crop features come from.

    Attributes:
        extractor: the frozen DINOv2 inside the teacher (``crop_input="crops"``), else None (the data
            pipeline computes and caches the features of the same preset and weights).
        feature_dim: Dc of the crop features.
        crop_size: crop side in pixels the extractor takes.
    """

    extractor: CropFeatureExtractor | None
    feature_dim: int
    crop_size: int


def build_crop_input(crop_input: str, crop_extractor: str, crop_weights_dir: str | None) -> CropInput:
    """The frozen extractor (for raw ``crops``) or just its sizes (for cached ``crop_features``)."""
    if crop_input == "crops":
        extractor = CropFeatureExtractor(crop_extractor, crop_weights_dir)
        return CropInput(extractor, extractor.feature_dim, extractor.crop_size)
    sizes = CROP_EXTRACTOR_PRESETS[crop_extractor]
    return CropInput(None, int(sizes["hidden_size"]), int(sizes["image_size"]))


def teacher_input_names(
    *,
    use_video: bool,
    use_gaze_bias: bool,
    use_crops: bool,
    crop_input: str,
    use_gaze: bool,
    use_channel_mask: bool,
) -> tuple[str, ...]:
    """The inputs the enabled branches read, in :data:`TEACHER_INPUTS` order.

    The gaze prior reads the 2D gaze, its own mask and the scenario; the crops follow the 2D gaze, so its
    validity masks them; the gaze branch reads the gaze, its step mask, the scenario and, with
    ``use_channel_mask``, the per-channel mask."""
    wanted: set[str] = set()
    if use_video:
        wanted |= {"video"} | ({"gaze2d", "gaze2d_mask", "scenario"} if use_gaze_bias else set())
    if use_crops:
        wanted |= {crop_input, "gaze2d_mask"}
    if use_gaze:
        wanted |= {"gaze", "gaze_mask", "scenario"} | ({"gaze_channel_mask"} if use_channel_mask else set())
    return tuple(name for name in TEACHER_INPUTS if name in wanted)


def teacher_sensors(
    *, use_video: bool, use_crops: bool, use_gaze: bool, use_gaze_bias: bool
) -> tuple[str, ...]:
    """The sensors the enabled branches need. Crops are centred on the gaze point, so they need the eye
    tracker as well as the camera."""
    needs_rgb = use_video or use_crops
    needs_eyes = use_gaze or use_crops or use_gaze_bias
    return ("rgb",) * needs_rgb + ("eye_tracker",) * needs_eyes
