"""Gaze-biased TimeSformer: exact stock equivalence at weight 0, visible and trainable gaze prior."""

from __future__ import annotations

import math

import pytest
import torch
from transformers import TimesformerConfig, TimesformerModel

from skillsight.exceptions import ConfigError
from skillsight.models.gaze_attention import GazeBiasedTimesformer, gaze_gaussian_bias

CFG = dict(
    image_size=32,
    patch_size=8,
    num_hidden_layers=2,
    hidden_size=32,
    num_attention_heads=4,
    intermediate_size=64,
    num_frames=4,
)
GRID = 4  # 32 px / 8 px patches


def _pair(num_scenarios: int = 3) -> tuple[GazeBiasedTimesformer, TimesformerModel]:
    """The biased model and a stock TimesformerModel holding the very same weights."""
    model = GazeBiasedTimesformer(CFG, num_scenarios=num_scenarios).eval()
    stock = TimesformerModel(TimesformerConfig(**CFG)).eval()
    state = {
        k.removeprefix("timesformer."): v
        for k, v in model.state_dict().items()
        if k.startswith("timesformer.")
    }
    stock.load_state_dict(state, strict=True)
    return model, stock


def _inputs(batch: int = 2) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    video = torch.randn(batch, 4, 3, 32, 32)
    # A different gaze point in every frame, so a wrong frame -> row mapping is caught.
    gaze2d = torch.tensor([[0.1, 0.1], [0.9, 0.2], [0.4, 0.6], [0.7, 0.95]]).repeat(batch, 1, 1)
    gaze2d[1:] = gaze2d[1:].flip(1)
    scenario = torch.arange(batch) % 3
    return video, gaze2d, scenario


def _gazed_key(gaze2d: torch.Tensor) -> torch.Tensor:
    """(B, T, 2) -> (B*T,) key index (1 + row * GRID + col) of the gazed patch."""
    col = (gaze2d[..., 0] * GRID).floor().clamp(0, GRID - 1)
    row = (gaze2d[..., 1] * GRID).floor().clamp(0, GRID - 1)
    return (1 + row * GRID + col).long().reshape(-1)


def test_weight_zero_equals_stock_timesformer_exactly() -> None:
    model, stock = _pair()
    video, gaze2d, scenario = _inputs()
    with torch.no_grad():
        model.gaze_bias_weight.zero_()
        ours = model(video, gaze2d, scenario, output_attentions=True)
        ref = stock(pixel_values=video, output_attentions=True)
    assert torch.equal(ours.last_hidden_state, ref.last_hidden_state)
    for a, b in zip(ours.attentions, ref.attentions, strict=True):
        assert torch.equal(a, b)


def test_only_layer0_spatial_attention_is_swapped() -> None:
    model, _ = _pair()
    layers = model.timesformer.encoder.layer
    assert type(layers[0].attention.attention).__name__ == "GazeBiasedSelfAttention"
    assert type(layers[0].temporal_attention.attention).__name__ == "TimesformerSelfAttention"
    assert type(layers[1].attention.attention).__name__ == "TimesformerSelfAttention"


def test_large_weight_concentrates_layer0_attention_on_gazed_patch() -> None:
    model, stock = _pair()
    video, gaze2d, scenario = _inputs()
    rows = torch.arange(2 * 4)
    keys = _gazed_key(gaze2d)
    with torch.no_grad():
        model.gaze_bias_weight.fill_(50.0)
        biased = model(video, gaze2d, scenario, output_attentions=True).attentions[0]  # (B*T, H, 1+P, 1+P)
        plain = stock(pixel_values=video, output_attentions=True).attentions[0]
    assert biased.shape == (8, 4, 1 + GRID * GRID, 1 + GRID * GRID)
    mass = biased[rows, :, :, keys]  # (B*T, H, 1+P): every query's mass on its frame's gazed patch
    assert mass.min() > 0.9
    assert plain[rows, :, :, keys].mean() < 0.2  # random init spreads attention (~1/17 each)


def test_default_init_moves_attention_and_weight_gets_gradients() -> None:
    model, stock = _pair(num_scenarios=3)
    video, gaze2d, _ = _inputs()
    scenario = torch.tensor([0, 2])
    out = model(video, gaze2d, scenario, output_attentions=True)
    with torch.no_grad():
        plain = stock(pixel_values=video, output_attentions=True).attentions[0]
    keys = _gazed_key(gaze2d)
    rows = torch.arange(8)
    # A weight of 1 on a peak-1 Gaussian visibly raises attention on the gazed patch (official: ~0.0025 peak).
    assert (out.attentions[0][rows, :, :, keys] > plain[rows, :, :, keys] * 1.5).all()
    out.last_hidden_state[:, 0].pow(2).sum().backward()
    grad = model.gaze_bias_weight.grad
    assert grad is not None and grad[0] != 0 and grad[2] != 0
    assert grad[1] == 0  # scenario 1 is not in the batch


def test_gaussian_bias_is_peak_normalised_with_zero_cls_and_masking() -> None:
    gaze = torch.tensor([[[0.5, 0.5], [0.0, 0.0], [2.0, -1.0], [float("nan"), 0.5]]])  # (1, 4, 2)
    valid = torch.tensor([[True, True, True, True]])
    sigma = 1.5
    bias = gaze_gaussian_bias(gaze, 4, 4, sigma, valid)  # (1, 4, 17)
    assert bias.shape == (1, 4, 17)
    assert torch.all(bias[..., 0] == 0)
    assert bias[0, 0].max() == 1.0 and bias[0, 0, 1 + 2 * 4 + 2] == 1.0  # (0.5, 0.5) -> patch row 2, col 2
    assert bias[0, 0, 1 + 2 * 4 + 3].item() == pytest.approx(math.exp(-1 / (2 * sigma**2)))
    assert bias[0, 1, 1] == 1.0  # top-left
    assert bias[0, 2, 1 + 0 * 4 + 3] == 1.0  # outside the frame -> nearest border patch (row 0, col 3)
    assert torch.all(bias[0, 3] == 0)  # non-finite gaze -> no prior
    masked = gaze_gaussian_bias(gaze[:, :1], 4, 4, sigma, torch.tensor([[False]]))
    assert torch.all(masked == 0)


def test_sigma_scales_with_grid_and_invalid_frames_get_no_bias() -> None:
    model, _ = _pair()
    assert model.sigma_patches == pytest.approx(9.0 * GRID / 28)
    _video, gaze2d, scenario = _inputs()
    valid = torch.ones(2, 4, dtype=torch.bool)
    valid[0, 1] = False
    bias = model.key_bias(gaze2d, scenario, valid)  # (B*T, 1+P)
    assert bias.shape == (8, 17)
    assert torch.all(bias[1] == 0) and bias[0].max() > 0


def test_wrong_frame_count_and_gradient_checkpointing_are_refused() -> None:
    model, _ = _pair()
    video, gaze2d, scenario = _inputs()
    with pytest.raises(ValueError, match="num_frames=4"):
        model(video[:, :3], gaze2d[:, :3], scenario)
    enable = getattr(model.timesformer, "activation_checkpointing_enable", None)  # transformers >= 5.x name
    (enable or model.timesformer.gradient_checkpointing_enable)()
    with pytest.raises(ConfigError, match="gradient checkpointing"):
        model(video, gaze2d, scenario)


def test_space_only_attention_is_rejected() -> None:
    with pytest.raises(ConfigError, match="divided_space_time"):
        GazeBiasedTimesformer({**CFG, "attention_type": "space_only"}, num_scenarios=1)


def test_local_pretrained_weights_load_with_another_frame_count(tmp_path) -> None:
    source = TimesformerModel(TimesformerConfig(**{**CFG, "num_frames": 2}))
    source.save_pretrained(tmp_path / "tsf")
    model = GazeBiasedTimesformer(
        {**CFG, "num_frames": 4}, num_scenarios=2, pretrained_dir=tmp_path / "tsf"
    ).eval()
    qkv = model.timesformer.encoder.layer[0].attention.attention.qkv.weight
    assert torch.equal(qkv, source.encoder.layer[0].attention.attention.qkv.weight)
    assert model.num_frames == 4  # the 2 stored time embeddings are resized to 4 when loading
    assert model.timesformer.embeddings.time_embeddings.shape == (1, 4, 32)
    video, gaze2d, scenario = _inputs()
    with torch.no_grad():
        assert model(video, gaze2d, scenario % 2).last_hidden_state.shape == (2, 1 + 4 * GRID * GRID, 32)
    with pytest.raises(ConfigError, match="not a local folder"):
        GazeBiasedTimesformer(CFG, num_scenarios=1, pretrained_dir=tmp_path / "missing")
