"""SkillSight teacher presets: the paper's sizes, override merging, and the table deciding what is built."""

from __future__ import annotations

import pytest

from skillsight.models import create_model
from skillsight.models.layers.crop_features import CROP_EXTRACTOR_PRESETS
from skillsight.models.skillsight_teacher_presets import TEACHER_PRESETS, teacher_arguments


def test_paper_preset_has_the_papers_sizes() -> None:
    """Wu et al. 2026: ViT-B/16 TimeSformer (768-d, 12 layers) at 448 px = 28 x 28 patches, 16 frames;
    frozen DINOv2 ViT-B/14 CLS (768-d, 224 px crops); a 2-layer 8-head crop transformer; a 4-layer gaze
    encoder; concat 2304 -> 768 -> classes."""
    paper = TEACHER_PRESETS["skillsight_teacher"]
    video = paper.video
    assert paper.num_frames == 16
    assert (video.image_size, video.patch_size, video.grid) == (448, 16, 28)
    assert (video.hidden_size, video.num_hidden_layers, video.num_attention_heads) == (768, 12, 12)
    assert video.intermediate_size == 4 * video.hidden_size  # ViT-B's MLP ratio 4
    dino = CROP_EXTRACTOR_PRESETS[paper.crop_extractor]
    assert paper.crop_extractor == "dinov2_vitb14"
    assert (dino["image_size"], dino["patch_size"], dino["hidden_size"], dino["num_hidden_layers"]) == (
        224,
        14,
        768,
        12,
    )
    assert (paper.embed_dim, paper.crop_layers, paper.crop_heads, paper.gaze_layers) == (768, 2, 8, 4)
    assert paper.feature_dim == 2304 and paper.fusion_hidden == 768
    assert paper.crop_input == "crop_features"  # the DINOv2 features come from the cache by default


def test_every_registered_teacher_has_a_preset() -> None:
    from skillsight.models._factory import BUILTIN_MODEL_INDEX

    assert set(BUILTIN_MODEL_INDEX["skillsight.models.skillsight_teacher"]) == set(TEACHER_PRESETS)


@pytest.mark.parametrize("name", ["skillsight_teacher_tiny", "test_skillsight_teacher"])
def test_built_teacher_has_the_tables_sizes(name: str) -> None:
    preset = TEACHER_PRESETS[name]
    model = create_model(name)
    config = model.video_encoder.timesformer.config
    assert (config.image_size, config.patch_size, config.hidden_size) == (
        preset.video.image_size,
        preset.video.patch_size,
        preset.video.hidden_size,
    )
    assert (config.num_hidden_layers, config.num_frames) == (
        preset.video.num_hidden_layers,
        preset.num_frames,
    )
    assert model.feature_dim == preset.feature_dim
    assert model.crop_input == preset.crop_input and model.crop_extractor_name == preset.crop_extractor
    assert model.crop_branch.proj.out_features == preset.embed_dim
    assert len(model.crop_branch.encoder.layers) == preset.crop_layers
    assert len(model.gaze_branch.encoder.layers) == preset.gaze_layers
    assert model.fusion.net[0].out_features == preset.fusion_hidden


def test_overrides_win_and_video_is_merged_key_by_key() -> None:
    args = teacher_arguments("skillsight_teacher_tiny", {"video": {"image_size": 32}, "embed_dim": 16})
    assert (
        args["embed_dim"] == 16
        and args["crop_layers"] == TEACHER_PRESETS["skillsight_teacher_tiny"].crop_layers
    )
    assert args["video"] == {**TEACHER_PRESETS["skillsight_teacher_tiny"].video.config(), "image_size": 32}
    assert teacher_arguments("skillsight_teacher_tiny", {"video": None})["video"]["image_size"] == 64
    assert TEACHER_PRESETS["skillsight_teacher_tiny"].video.image_size == 64  # the table is untouched
    model = create_model("skillsight_teacher_tiny", video={"patch_size": 8}, num_frames=8)
    config = model.video_encoder.timesformer.config
    assert (config.image_size, config.patch_size, config.num_frames) == (64, 8, 8)
    assert model.model_args == {"video": {"patch_size": 8}, "num_frames": 8}  # what the run stores
