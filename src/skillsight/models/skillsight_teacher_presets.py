"""Sizes of the registered SkillSight teachers: one frozen spec per preset, one table ``name -> spec``.

``skillsight_teacher`` is the paper's size (Wu, Ashutosh & Grauman, CVPR 2026): a ViT-B/16 TimeSformer
(768-d, 12 layers, 12 heads) on 448 px frames, i.e. a 28 x 28 patch grid, over 16 frames; DINOv2 ViT-B/14
crop features (768-d at 224 px) through a 2-layer, 8-head temporal transformer; a 4-layer gaze-dynamics
encoder; e_v, e_c and e_g of 768 each, concatenated to 2304 before the fusion MLP (hidden 768).
``skillsight_teacher_tiny`` is the CPU demo's size and ``test_skillsight_teacher`` the unit tests'.

:func:`teacher_arguments` turns a preset and a run's overrides into the constructor's keyword arguments:
an override replaces the preset's value, except ``video`` (``TimesformerConfig`` keyword arguments),
which is merged key by key, so ``video={"image_size": 64}`` keeps the preset's patch size and widths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from skillsight.models.layers.vit_sizes import VIT_SIZES, ViTSize

__all__ = ["TEACHER_PRESETS", "TeacherPreset", "TeacherVideoSize", "teacher_arguments"]


@dataclass(frozen=True)
class TeacherVideoSize:
    """The video branch's TimeSformer (``TimesformerConfig`` keyword arguments; frames come separately).

    Attributes:
        image_size: frame side in pixels.
        patch_size: patch side in pixels (the gaze prior's grid is ``image_size // patch_size``).
        hidden_size: token width, Dv (the width of e_v).
        num_hidden_layers, num_attention_heads, intermediate_size: transformer layers, heads, MLP width.
    """

    image_size: int
    patch_size: int
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int

    @property
    def grid(self) -> int:
        """Patches per side of a frame."""
        return self.image_size // self.patch_size

    def config(self) -> dict[str, int]:
        """``TimesformerConfig`` keyword arguments (a new dict each call)."""
        return asdict(self)


@dataclass(frozen=True)
class TeacherPreset:
    """Branch sizes of one registered teacher (the constructor arguments of ``SkillSightTeacher``).

    Attributes:
        num_frames: frames / gaze steps per clip T.
        video: the video branch's TimeSformer.
        crop_extractor: DINOv2 preset of the crop features (sets Dc and the crop size).
        embed_dim: width of e_c and e_g.
        crop_layers, crop_heads: temporal crop transformer.
        gaze_layers, gaze_heads: gaze-dynamics encoder.
        ffn_dim: feed-forward width of both sequence encoders.
        fusion_hidden: hidden width of the fusion MLP.
        crop_input: "crop_features" (cached DINOv2 features) or "crops" (the DINOv2 runs inside).
        dropout: dropout of both sequence encoders.
    """

    num_frames: int
    video: TeacherVideoSize
    crop_extractor: str
    embed_dim: int
    crop_layers: int
    crop_heads: int
    gaze_layers: int
    gaze_heads: int
    ffn_dim: int
    fusion_hidden: int
    crop_input: str = "crop_features"
    dropout: float = 0.1

    @property
    def feature_dim(self) -> int:
        """Width of the concatenated branch embeddings (e_v, e_c, e_g) that the fusion MLP takes."""
        return self.video.hidden_size + 2 * self.embed_dim

    def arguments(self) -> dict[str, Any]:
        """The teacher's constructor keyword arguments of this preset (``video`` as a plain dict)."""
        args = {name: getattr(self, name) for name in self.__dataclass_fields__}
        args["video"] = self.video.config()
        return args


#: The unit-test TimeSformer: 32-d, 2 layers, 4 heads, MLP 64.
_TEST_VIT = ViTSize(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2)

#: The registered teachers' sizes, by registered name.
TEACHER_PRESETS: dict[str, TeacherPreset] = {
    # Paper size: ViT-B/16 TimeSformer on 448 px frames (28 x 28 patches), 16 frames; DINOv2 ViT-B/14.
    "skillsight_teacher": TeacherPreset(
        num_frames=16,
        video=TeacherVideoSize(**VIT_SIZES["base"].timesformer_config(image_size=448, patch_size=16)),
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
    "skillsight_teacher_tiny": TeacherPreset(
        num_frames=16,
        video=TeacherVideoSize(**VIT_SIZES["tiny"].timesformer_config(image_size=64, patch_size=16)),
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
    "test_skillsight_teacher": TeacherPreset(
        num_frames=4,
        video=TeacherVideoSize(**_TEST_VIT.timesformer_config(image_size=32, patch_size=8)),
        crop_extractor="dinov2_test",
        embed_dim=32,
        crop_layers=1,
        crop_heads=4,
        gaze_layers=1,
        gaze_heads=4,
        ffn_dim=64,
        fusion_hidden=32,
        crop_input="crops",
        dropout=0.0,
    ),
}


def teacher_arguments(preset: str, overrides: dict[str, Any]) -> dict[str, Any]:
    """Constructor keyword arguments of ``preset`` with ``overrides`` applied (``video`` merged by key).

    Args:
        preset: a key of :data:`TEACHER_PRESETS`.
        overrides: keyword arguments given to the registered factory (they win over the preset's).

    Returns:
        A new dict; neither the table nor ``overrides`` is changed.
    """
    spec = TEACHER_PRESETS[preset].arguments()
    return {**spec, **overrides, "video": {**spec["video"], **(overrides.get("video") or {})}}
