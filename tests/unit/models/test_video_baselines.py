"""Video-only TimeSformer and gaze-crop video baselines: contract details, linear probe, pooling, power."""

from __future__ import annotations

import pytest
import torch

from skillsight.deploy.power import estimate_power
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models import create_model
from skillsight.models.layers.timesformer_utils import (
    interpolate_time_embeddings,
    pool_tokens,
    timesformer_config,
)
from skillsight.models.video_baselines import GazeCropVideoClassifier, TimesformerVideoClassifier


def test_declared_inputs_and_sensors() -> None:
    video = create_model("test_timesformer_video")
    crops = create_model("test_gaze_crop_video")
    assert isinstance(video, TimesformerVideoClassifier) and not isinstance(video, GazeCropVideoClassifier)
    assert video.input_names == ("video",) and video.sensors == ("rgb",)
    assert isinstance(crops, GazeCropVideoClassifier)
    assert crops.input_names == ("crops",) and crops.sensors == ("rgb", "eye_tracker")
    assert crops.example_inputs(3)["crops"].shape == (3, 4, 3, 16, 16)
    out = crops(**crops.example_inputs(3))
    assert out["logits"].shape == (3, 4) and out["features"].shape == (3, 32)
    with pytest.raises(DataFormatError, match="inputs must be exactly"):
        crops(video=torch.zeros(1, 4, 3, 16, 16))
    with pytest.raises(DataFormatError, match="expected shape"):
        video(video=torch.zeros(1, 3, 3, 32, 32))  # 3 frames, model built for 4


def test_linear_probe_trains_only_the_classifier() -> None:
    model = create_model("test_timesformer_video", linear_probe=True).train()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"classifier.weight", "classifier.bias"}
    model(**model.example_inputs(2))["logits"].sum().backward()
    assert model.classifier.weight.grad is not None
    assert all(p.grad is None for p in model.backbone.parameters())
    full = create_model("test_timesformer_video")
    assert all(p.requires_grad for p in full.parameters())


def test_pooling_cls_vs_mean() -> None:
    torch.manual_seed(0)
    cls = create_model("test_timesformer_video", pooling="cls").eval()
    mean = create_model("test_timesformer_video", pooling="mean").eval()
    mean.load_state_dict(cls.state_dict())
    inputs = cls.example_inputs(2)
    with torch.no_grad():
        tokens = cls.backbone(pixel_values=inputs["video"]).last_hidden_state
        assert torch.equal(cls(**inputs)["features"], tokens[:, 0])
        assert torch.allclose(mean(**inputs)["features"], tokens.mean(1))
    with pytest.raises(ConfigError, match="pooling"):
        create_model("test_timesformer_video", pooling="max")
    with pytest.raises(ConfigError, match="pooling"):
        pool_tokens(tokens, "first")


def test_timesformer_config_checks_and_time_interpolation() -> None:
    with pytest.raises(ConfigError, match="unknown TimeSformer size"):
        timesformer_config("huge", 8)
    with pytest.raises(ConfigError, match="num_frames"):
        timesformer_config("test", 8, {"num_frames": 4})
    with pytest.raises(ConfigError, match="multiple of patch_size"):
        timesformer_config("test", 8, {"image_size": 30})
    model = create_model("test_timesformer_video").backbone  # 4 frames
    with torch.no_grad():
        model.embeddings.time_embeddings.copy_(torch.arange(4.0).reshape(1, 4, 1).expand(1, 4, 32))
    interpolate_time_embeddings(model, 7)
    assert model.config.num_frames == 7
    assert torch.allclose(model.embeddings.time_embeddings[0, :, 0], torch.arange(7.0) * 0.5)
    out = model(pixel_values=torch.randn(1, 7, 3, 32, 32)).last_hidden_state
    assert out.shape == (1, 1 + 7 * 16, 32)


def test_paper_sizes() -> None:
    with torch.device("meta"):
        video = create_model("timesformer_video")
        crops = create_model("gaze_crop_video")
    assert (video.image_size, video.num_frames, video.feature_dim) == (448, 16, 768)
    assert video.backbone.config.num_hidden_layers == 12 and video.pooling == "cls"
    assert (crops.image_size, crops.num_frames, crops.feature_dim) == (224, 16, 384)
    n_video = sum(p.numel() for p in video.parameters())
    # ViT-B/16 TimeSformer, plus 588 more position embeddings at 448 px (28 x 28 instead of 14 x 14 patches).
    assert 121e6 < n_video < 122e6


@pytest.mark.parametrize("name", ["timesformer_video_tiny", "gaze_crop_video_tiny", "skillformer_ego_tiny"])
def test_power_of_tiny_models(name: str) -> None:
    model = create_model(name)
    report = estimate_power(model, window_s=8.0)
    assert report.macs > 0 and report.compute_mw > 0 and report.total_mw > 0
    assert set(report.sensor_mw) == set(model.sensors)


def test_power_of_a_meta_device_model_equals_the_real_one() -> None:
    """MACs (and weight/input bytes) can be counted on the meta device, allocating nothing.

    Activation bytes cannot: meta tensors have no storage, so the power model sees none (0 bytes).
    """
    real = create_model("test_skillformer")
    with torch.device("meta"):
        meta = create_model("test_skillformer")
    inputs = real.example_inputs(1)
    meta_inputs = {k: torch.empty(v.shape, device="meta") for k, v in inputs.items()}
    a, b = estimate_power(real, inputs, window_s=8.0), estimate_power(meta, meta_inputs, window_s=8.0)
    assert a.macs == b.macs > 0
    assert (a.bytes.weight_bytes, a.bytes.input_bytes) == (b.bytes.weight_bytes, b.bytes.input_bytes)
    assert a.bytes.activation_bytes > 0 and b.bytes.activation_bytes == 0
