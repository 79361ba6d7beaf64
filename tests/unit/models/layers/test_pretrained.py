"""Loading local Hugging Face folders: all tensors or an error; the architecture named; stems adapted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from transformers import Dinov2Config, TimesformerConfig, TimesformerModel

from skillsight.exceptions import ConfigError
from skillsight.models.layers.crop_features import CropFeatureExtractor
from skillsight.models.layers.pretrained import load_pretrained_backbone, resolve_weights_dir
from skillsight.models.layers.stem_adaptation import adapt_stem_weight
from skillsight.models.layers.timesformer_utils import (
    build_timesformer_backbone,
    resize_timesformer_tables,
    timesformer_config,
)
from tests._hf_folders import dinov2_folder, same_tensors, timesformer_folder

TABLES = ("embeddings.time_embeddings", "embeddings.position_embeddings")


def test_every_tensor_of_the_folder_is_loaded(tmp_path: Path) -> None:
    written = timesformer_folder(tmp_path / "tsf", num_frames=4)
    model = build_timesformer_backbone(
        timesformer_config("test", 4, {"num_hidden_layers": 2}), tmp_path / "tsf"
    )
    assert same_tensors(model.state_dict(), written) == []


def test_tables_are_resized_to_the_run_and_nothing_else_changes(tmp_path: Path) -> None:
    written = timesformer_folder(tmp_path / "tsf", num_frames=2)  # 32 px: 4 x 4 patches
    config = timesformer_config("test", 5, {"num_hidden_layers": 2, "image_size": 64})  # 8 x 8 patches
    model = build_timesformer_backbone(config, tmp_path / "tsf")
    state = model.state_dict()
    assert same_tensors(state, written, skip=TABLES) == []
    time = state["embeddings.time_embeddings"]
    assert time.shape == (1, 5, 32)
    torch.testing.assert_close(time[0, 0], written["embeddings.time_embeddings"][0, 0])  # end points kept
    torch.testing.assert_close(time[0, -1], written["embeddings.time_embeddings"][0, -1])
    mid = 0.5 * (written["embeddings.time_embeddings"][0, 0] + written["embeddings.time_embeddings"][0, 1])
    torch.testing.assert_close(time[0, 2], mid)  # linear in between
    pos = state["embeddings.position_embeddings"]
    assert pos.shape == (1, 1 + 64, 32)
    torch.testing.assert_close(pos[0, 0], written["embeddings.position_embeddings"][0, 0])  # CLS kept
    expected = resize_timesformer_tables(written, TimesformerConfig(), config)[
        "embeddings.position_embeddings"
    ]
    torch.testing.assert_close(pos, expected)
    assert model.config.num_frames == 5 and model.config.image_size == 64
    video = torch.randn(1, 5, 3, 64, 64)
    assert model(pixel_values=video).last_hidden_state.shape == (1, 1 + 5 * 64, 32)


def test_a_folder_of_another_width_is_refused_naming_both_values(tmp_path: Path) -> None:
    timesformer_folder(tmp_path / "tsf", hidden_size=48, num_attention_heads=4)
    with pytest.raises(ConfigError, match=r"hidden_size 48 in the folder, 32 requested"):
        build_timesformer_backbone(timesformer_config("test", 2, {"num_hidden_layers": 2}), tmp_path / "tsf")
    with pytest.raises(ConfigError, match=r"num_hidden_layers 2 in the folder, 1 requested"):
        build_timesformer_backbone(timesformer_config("test", 2, {"hidden_size": 48}), tmp_path / "tsf")


def test_a_weights_file_missing_tensors_is_refused_naming_them(tmp_path: Path) -> None:
    timesformer_folder(tmp_path / "tsf")
    weights = tmp_path / "tsf" / "model.safetensors"
    state = load_file(str(weights))
    del state["encoder.layer.1.temporal_dense.weight"]
    save_file(state, str(weights), metadata={"format": "pt"})
    with pytest.raises(ConfigError, match=r"lacks 1 tensors .*encoder\.layer\.1\.temporal_dense\.weight"):
        build_timesformer_backbone(timesformer_config("test", 2, {"num_hidden_layers": 2}), tmp_path / "tsf")


def test_folders_that_are_not_weights_are_refused(tmp_path: Path) -> None:
    config = timesformer_config("test", 2)
    with pytest.raises(ConfigError, match=r"is not a local folder .*never downloaded"):
        build_timesformer_backbone(config, tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConfigError, match=r"has no config\.json.*skillsight weights convert"):
        build_timesformer_backbone(config, tmp_path / "empty")
    dinov2_folder(tmp_path / "dino")
    with pytest.raises(ConfigError, match="holds a 'dinov2' model, this backbone is a 'timesformer'"):
        build_timesformer_backbone(config, tmp_path / "dino")
    assert resolve_weights_dir(tmp_path / "dino") == tmp_path / "dino"


def test_a_channel_difference_needs_a_stem_adaptation(tmp_path: Path) -> None:
    written = timesformer_folder(tmp_path / "tsf")
    config = timesformer_config("test", 2, {"num_hidden_layers": 2, "num_channels": 4})
    with pytest.raises(ConfigError, match="3-channel input stem, this backbone reads 4 channels"):
        build_timesformer_backbone(config, tmp_path / "tsf")
    model = build_timesformer_backbone(config, tmp_path / "tsf", stem="rgb_extra")
    stem = "embeddings.patch_embeddings.projection.weight"
    assert same_tensors(model.state_dict(), written, skip=(stem,)) == []
    torch.testing.assert_close(model.state_dict()[stem], adapt_stem_weight(written[stem], 4, "rgb_extra"))


def test_run_dropout_is_kept_and_the_folder_decides_the_rest(tmp_path: Path) -> None:
    timesformer_folder(tmp_path / "tsf", hidden_act="gelu", layer_norm_eps=1e-5)
    config = timesformer_config("test", 2, {"num_hidden_layers": 2, "hidden_dropout_prob": 0.2})
    model = load_pretrained_backbone(TimesformerModel, tmp_path / "tsf", config)
    assert model.config.hidden_dropout_prob == 0.2
    assert model.config.hidden_act == "gelu" and model.config.layer_norm_eps == 1e-5
    stored = json.loads((tmp_path / "tsf" / "config.json").read_text())
    assert stored["hidden_dropout_prob"] == 0.0  # the folder is never rewritten


def test_crop_extractor_holds_the_folder_weights_and_fingerprints_them(tmp_path: Path) -> None:
    written = dinov2_folder(tmp_path / "dino")
    extractor = CropFeatureExtractor("dinov2_test", weights_dir=tmp_path / "dino")
    assert same_tensors(extractor.backbone.state_dict(), written) == []
    assert extractor.identity()["weights"] != CropFeatureExtractor("dinov2_test").identity()["weights"]
    dinov2_folder(tmp_path / "wide", hidden_size=48, num_attention_heads=2)
    with pytest.raises(ConfigError, match=r"crop_weights_dir .*hidden_size 48 in the folder, 32 requested"):
        CropFeatureExtractor("dinov2_test", weights_dir=tmp_path / "wide")


def test_dinov2_keeps_the_folder_image_size_and_interpolates_at_run_time(tmp_path: Path) -> None:
    """Released DINOv2 configs say 518 px; the preset's 224 px crops must not resize the stored table."""
    written = dinov2_folder(tmp_path / "dino")  # stored at 40 px (5 x 5 patches)
    model = load_pretrained_backbone(
        __import__("transformers").Dinov2Model,
        tmp_path / "dino",
        Dinov2Config(
            image_size=16,
            patch_size=8,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            mlp_ratio=2,
        ),
    )
    assert model.embeddings.position_embeddings.shape == written["embeddings.position_embeddings"].shape
    assert model(pixel_values=torch.randn(1, 3, 16, 16)).pooler_output.shape == (1, 32)
