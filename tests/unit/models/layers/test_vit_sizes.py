"""ViT sizes: the released layouts, and the TimeSformer and DINOv2 tables written from them."""

from __future__ import annotations

from skillsight.models.layers.crop_features import CROP_EXTRACTOR_PRESETS
from skillsight.models.layers.timesformer_utils import TIMESFORMER_SIZES
from skillsight.models.layers.vit_sizes import VIT_SIZES, ViTSize


def test_released_layouts() -> None:
    """ViT-S/B/L (Dosovitskiy et al. 2021; the DINOv2 backbones): width, depth, heads, MLP ratio 4."""
    layouts = {
        name: (s.hidden_size, s.num_hidden_layers, s.num_attention_heads, s.mlp_ratio)
        for name, s in VIT_SIZES.items()
    }
    assert layouts["small"] == (384, 12, 6, 4)
    assert layouts["base"] == (768, 12, 12, 4)
    assert layouts["large"] == (1024, 24, 16, 4)


def test_each_library_gets_its_own_vocabulary() -> None:
    size = ViTSize(hidden_size=48, num_hidden_layers=3, num_attention_heads=6, mlp_ratio=3)
    assert size.timesformer_config(96, 16) == {
        "image_size": 96,
        "patch_size": 16,
        "hidden_size": 48,
        "num_hidden_layers": 3,
        "num_attention_heads": 6,
        "intermediate_size": 144,
    }
    assert size.dinov2_config(56, 14) == {
        "image_size": 56,
        "patch_size": 14,
        "hidden_size": 48,
        "num_hidden_layers": 3,
        "num_attention_heads": 6,
        "mlp_ratio": 3,
    }


def test_the_backbone_tables_hold_the_released_configs() -> None:
    # DINOv2 ViT-B/14 (the paper's crop encoder), ViT-S/14 and ViT-L/14 at 224 px crops
    assert CROP_EXTRACTOR_PRESETS["dinov2_vitb14"] == {
        "image_size": 224,
        "patch_size": 14,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "mlp_ratio": 4,
    }
    assert CROP_EXTRACTOR_PRESETS["dinov2_vits14"]["hidden_size"] == 384
    assert CROP_EXTRACTOR_PRESETS["dinov2_vitl14"]["hidden_size"] == 1024
    assert CROP_EXTRACTOR_PRESETS["dinov2_vitl14"]["num_hidden_layers"] == 24
    # the Kinetics-600 timesformer-base layout: ViT-B/16, MLP 3072
    assert TIMESFORMER_SIZES["base"] == {
        "image_size": 224,
        "patch_size": 16,
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
    }
    assert TIMESFORMER_SIZES["small"]["intermediate_size"] == 1536
