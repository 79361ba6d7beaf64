"""SkillSight teacher: branch outputs, ablation switches, crop inputs, masking and the paper config."""

from __future__ import annotations

import pytest
import torch

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models import create_model
from skillsight.models.layers.crop_features import CropFeatureExtractor


def test_forward_returns_logits_features_and_branch_embeddings() -> None:
    model = create_model("test_skillsight_teacher").eval()
    assert model.input_names == (
        "video",
        "gaze2d",
        "gaze2d_mask",
        "crops",
        "gaze",
        "gaze_mask",
        "gaze_channel_mask",
        "scenario",
    )
    assert model.sensors == ("rgb", "eye_tracker")
    out = model(**model.example_inputs(3))
    assert out["logits"].shape == (3, 4)
    assert out["features"].shape == (3, 96)
    for key in ("video_embedding", "crop_embedding", "gaze_embedding"):
        assert out[key].shape == (3, 32)
    assert torch.equal(
        out["features"],
        torch.cat([out["video_embedding"], out["crop_embedding"], out["gaze_embedding"]], dim=-1),
    )


@pytest.mark.parametrize(
    ("flags", "names", "sensors", "dim"),
    [
        (
            dict(use_video=False),
            (
                "gaze2d_mask",
                "crops",
                "gaze",
                "gaze_mask",
                "gaze_channel_mask",
                "scenario",
            ),  # crops: 2D gaze's mask
            ("rgb", "eye_tracker"),
            64,
        ),
        (
            dict(use_crops=False, use_gaze=False),
            ("video", "gaze2d", "gaze2d_mask", "scenario"),  # the prior reads the 2D gaze's own mask
            ("rgb", "eye_tracker"),
            32,
        ),
        (dict(use_crops=False, use_gaze=False, use_gaze_bias=False), ("video",), ("rgb",), 32),
        (
            dict(use_video=False, use_crops=False),
            ("gaze", "gaze_mask", "gaze_channel_mask", "scenario"),
            ("eye_tracker",),
            32,
        ),
        (
            dict(use_video=False, use_gaze=False, crop_input="crop_features"),
            ("gaze2d_mask", "crop_features"),
            ("rgb", "eye_tracker"),
            32,
        ),
    ],
)
def test_branch_switches_change_inputs_sensors_and_features(flags, names, sensors, dim) -> None:
    model = create_model("test_skillsight_teacher", **flags).eval()
    assert model.input_names == names
    assert model.sensors == sensors
    assert model.feature_dim == dim
    out = model(**model.example_inputs(2))
    assert out["features"].shape == (2, dim) and out["logits"].shape == (2, 4)


def test_no_branch_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="at least one"):
        create_model("test_skillsight_teacher", use_video=False, use_crops=False, use_gaze=False)
    with pytest.raises(ConfigError, match="crop_input"):
        create_model("test_skillsight_teacher", crop_input="pixels")


def test_missing_extra_and_misshaped_inputs_are_named() -> None:
    model = create_model("test_skillsight_teacher", use_video=False, use_crops=False)
    inputs = model.example_inputs(2)
    with pytest.raises(DataFormatError, match="gaze_mask"):
        model(gaze=inputs["gaze"], scenario=inputs["scenario"])
    with pytest.raises(DataFormatError, match="video"):
        model(**inputs, video=torch.zeros(2, 4, 3, 32, 32))
    with pytest.raises(DataFormatError, match="'gaze'"):
        model(**{**inputs, "gaze": inputs["gaze"][..., :13]})


def test_precomputed_crop_features_equal_running_the_frozen_extractor() -> None:
    with_crops = create_model("test_skillsight_teacher").eval()
    with_features = create_model("test_skillsight_teacher", crop_input="crop_features").eval()
    state = {k: v for k, v in with_crops.state_dict().items() if not k.startswith("crop_encoder.")}
    with_features.load_state_dict(state, strict=True)
    inputs = with_crops.example_inputs(2)
    crops = inputs.pop("crops")
    features = CropFeatureExtractor("dinov2_test")(
        crops
    )  # a separately built extractor: seeded, same weights
    assert features.shape == (2, 4, 32)
    a = with_crops(**inputs, crops=crops)["logits"]
    b = with_features(**inputs, crop_features=features)["logits"]
    torch.testing.assert_close(a, b, rtol=0, atol=1e-6)


def test_dino_stays_frozen_and_in_eval_mode() -> None:
    model = create_model("test_skillsight_teacher").train()
    assert not model.crop_encoder.training and not model.crop_encoder.backbone.training
    assert not any(p.requires_grad for p in model.crop_encoder.parameters())
    out = model(**model.example_inputs(2))
    out["logits"].sum().backward()
    assert all(p.grad is None for p in model.crop_encoder.parameters())
    assert model.video_encoder.gaze_bias_weight.grad is not None


def test_invalid_gaze_steps_do_not_affect_the_gaze_branch_and_scenario_selects_class_token() -> None:
    model = create_model("test_skillsight_teacher", use_video=False, use_crops=False).eval()
    inputs = model.example_inputs(2)  # last step of each sample is marked invalid
    base = model(**inputs)["gaze_embedding"]
    changed = inputs["gaze"].clone()
    changed[:, -1] = 1e3
    torch.testing.assert_close(model(**{**inputs, "gaze": changed})["gaze_embedding"], base, rtol=0, atol=0)
    other = model(**{**inputs, "scenario": (inputs["scenario"] + 1) % 6})["gaze_embedding"]
    assert not torch.allclose(other, base)


def test_extractor_is_deterministic_and_identity_names_weights() -> None:
    a, b = CropFeatureExtractor("dinov2_test"), CropFeatureExtractor("dinov2_test")
    c = CropFeatureExtractor("dinov2_test", seed=1)
    assert a.identity() == b.identity()
    assert a.identity()["weights"] != c.identity()["weights"]
    assert a.crop_size == 16 and a.feature_dim == 32
    with pytest.raises(ValueError, match="16"):
        a(torch.zeros(1, 3, 3, 24, 24))


def test_tiny_preset_uses_cached_features_and_runs() -> None:
    model = create_model("skillsight_teacher_tiny").eval()
    assert "crop_features" in model.input_names and "crops" not in model.input_names
    assert model.crop_extractor_name == "dinov2_tiny" and model.num_frames == 16
    with torch.no_grad():
        assert model(**model.example_inputs(1))["logits"].shape == (1, 4)


@pytest.mark.slow
def test_paper_teacher_builds() -> None:
    model = create_model("skillsight_teacher", crop_input="crops")
    assert model.feature_dim == 2304
    assert model.video_encoder.grid == 28 and model.video_encoder.sigma_patches == pytest.approx(9.0)
    assert model.crop_encoder.crop_size == 224 and model.crop_encoder.feature_dim == 768
    assert model.input_names == (
        "video",
        "gaze2d",
        "gaze2d_mask",
        "crops",
        "gaze",
        "gaze_mask",
        "gaze_channel_mask",
        "scenario",
    )


def test_extractor_loads_local_weights_and_keeps_the_preset_crop_size(tmp_path) -> None:
    from transformers import Dinov2Config, Dinov2Model

    # Released DINOv2 configs say image_size=518; SkillSight still feeds crops of the preset's size.
    stored = Dinov2Model(
        Dinov2Config(
            image_size=40,
            patch_size=8,
            hidden_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            mlp_ratio=2,
        )
    )
    stored.save_pretrained(tmp_path / "dino")
    extractor = CropFeatureExtractor("dinov2_test", weights_dir=tmp_path / "dino")
    assert extractor.crop_size == 16 and extractor.feature_dim == 32
    crops = torch.randn(1, 2, 3, 16, 16)
    with torch.no_grad():
        expected = stored.eval()(pixel_values=crops.reshape(2, 3, 16, 16)).pooler_output
    torch.testing.assert_close(extractor(crops)[0], expected)
    with pytest.raises(ConfigError, match="not a local folder"):
        CropFeatureExtractor("dinov2_test", weights_dir=tmp_path / "missing")


def test_gaze_prior_follows_the_2d_gaze_mask_not_the_gaze_mask() -> None:
    """Unknown 2D gaze (image centre, gaze2d_mask False) gets no prior, whatever gaze_mask says."""
    model = create_model("test_skillsight_teacher", use_crops=False, use_gaze=False, bias_init=5.0).eval()
    inputs = model.example_inputs(2)
    known = {**inputs, "gaze2d_mask": torch.ones_like(inputs["gaze2d_mask"])}
    centre = {**known, "gaze2d": torch.full_like(inputs["gaze2d"], 0.5)}
    unknown = {**centre, "gaze2d_mask": torch.zeros_like(inputs["gaze2d_mask"])}
    bias = model.video_encoder.key_bias
    assert bias(centre["gaze2d"], inputs["scenario"], centre["gaze2d_mask"]).abs().sum() > 0
    assert bias(unknown["gaze2d"], inputs["scenario"], unknown["gaze2d_mask"]).abs().sum() == 0
    with torch.no_grad():
        a, b = model(**centre)["logits"], model(**unknown)["logits"]
    assert not torch.allclose(a, b)  # a centre prior is not the same as no prior


def test_fusion_layers_3_is_the_papers_three_layer_mlp() -> None:
    released = create_model("test_skillsight_teacher")
    paper = create_model("test_skillsight_teacher", fusion_layers=3)

    def widths(model) -> list[tuple[int, int]]:
        return [
            (m.in_features, m.out_features) for m in model.fusion.modules() if isinstance(m, torch.nn.Linear)
        ]

    hidden = widths(released)[0][1]
    assert widths(released) == [(96, hidden), (hidden, 4)]
    assert widths(paper) == [(96, hidden), (hidden, hidden), (hidden, 4)]
    assert paper(**paper.example_inputs(2))["logits"].shape == (2, 4)
    with pytest.raises(ConfigError, match="fusion_layers must be >= 2"):
        create_model("test_skillsight_teacher", fusion_layers=1)


def test_crops_of_frames_without_2d_gaze_do_not_count() -> None:
    """A crop cut where the 2D gaze is unknown (the image centre) is no fixated object: changing it
    changes nothing, and a clip with no known 2D gaze gives the crop branch a zero embedding."""
    from skillsight.models import create_model

    teacher = create_model("test_skillsight_teacher").eval()
    inputs = teacher.example_inputs(2)
    mask = torch.ones_like(inputs["gaze2d_mask"], dtype=torch.bool)
    mask[0, 1:] = False  # sample 0: only frame 0 has 2D gaze
    mask[1, :] = False  # sample 1: none
    inputs["gaze2d_mask"] = mask
    with torch.no_grad():
        before = teacher.forward_features(**inputs)["crop_embedding"]
        key = "crop_features" if "crop_features" in inputs else "crops"
        inputs[key] = inputs[key].clone()
        inputs[key][0, 1:] += 5.0
        inputs[key][1] += 5.0
        after = teacher.forward_features(**inputs)["crop_embedding"]
    assert torch.allclose(before, after, atol=1e-6)
    assert torch.count_nonzero(after[1]) == 0 and torch.count_nonzero(after[0]) > 0
