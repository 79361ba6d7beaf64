"""Power model: MACs, bytes and mW against hand-computed values; the transformer fast-path pitfall."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from skillsight.deploy.power import PowerModel, bytes_moved, count_macs, counting_mode, estimate_power
from skillsight.exceptions import ConfigError
from skillsight.models.layers.base import DeclaredInputsModule


class TinyLinear(DeclaredInputsModule):
    """16 gaze steps x 14 channels -> Linear(14, 8)."""

    input_names = ("gaze",)
    sensors = ("eye_tracker",)

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(14, 8)
        self.drop = nn.Dropout(0.5)  # identity in eval: moves no bytes

    def forward(self, gaze: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.drop(self.fc(gaze))}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        return {"gaze": torch.randn(batch_size, 16, 14)}


def test_tiny_linear_matches_hand_computed_values() -> None:
    model = TinyLinear()
    inputs = model.example_inputs(1)
    assert count_macs(model, inputs) == 16 * 14 * 8  # 1792
    b = bytes_moved(model, inputs)
    assert b.weight_bytes == (14 * 8 + 8) * 4  # 480
    assert b.input_bytes == 16 * 14 * 4  # 896
    assert b.activation_bytes == 2 * 16 * 8 * 4  # fc output written + read: 1024; dropout aliases it
    assert b.total == 2400

    report = estimate_power(model, window_s=8.0)
    assert report.macs == 1792 and report.bytes.total == 2400
    assert report.compute_mw == pytest.approx(4.6e-12 * 1792 / 8.0 * 1e3)
    assert report.memory_mw == pytest.approx(80e-12 * 2400 / 8.0 * 1e3)
    assert report.sensor_mw == {"eye_tracker": 7.8}
    assert report.total_mw == pytest.approx(7.8 + 4.6e-9 * 1792 / 8.0 + 80e-9 * 2400 / 8.0)
    text = report.format()
    assert "assumptions:" in text and "T = 8 s" in text and "eye_tracker" in text
    assert len(report.assumptions) >= 4 and report.to_dict()["macs"] == 1792


def test_sensors_override_duty_cycles_and_custom_constants() -> None:
    model = TinyLinear()
    pm = PowerModel(pj_per_mac=1.0, pj_per_byte=0.0)
    report = estimate_power(model, window_s=2.0, sensors={"rgb": 0.5, "eye_tracker": 1.0}, power_model=pm)
    assert report.sensor_mw == {"rgb": 17.5, "eye_tracker": 7.8}
    assert report.memory_mw == 0.0
    assert report.total_mw == pytest.approx(17.5 + 7.8 + 1792 / 2.0 * 1e-9)
    both = estimate_power(model, window_s=2.0, sensors=["rgb", "imu", "microphone"])
    assert both.sensor_mw == {"rgb": 35.0, "imu": 1.2, "microphone": 0.3}


def test_bad_arguments_raise_config_error() -> None:
    model = TinyLinear()
    with pytest.raises(ConfigError, match="unknown sensor 'lidar'"):
        estimate_power(model, window_s=1.0, sensors=["lidar"])
    with pytest.raises(ConfigError, match="window_s"):
        estimate_power(model, window_s=0.0)
    with pytest.raises(ConfigError, match="batch size 1"):
        estimate_power(model, model.example_inputs(2), window_s=1.0)
    with pytest.raises(ConfigError, match="declares inputs"):
        count_macs(model, {"video": torch.zeros(1, 3)})
    with pytest.raises(ConfigError, match="declares no `sensors`"):
        estimate_power(nn.Linear(3, 2), {"input": torch.zeros(1, 3)}, window_s=1.0)


def _paper_size_encoder() -> nn.TransformerEncoder:
    layer = nn.TransformerEncoderLayer(d_model=768, nhead=12, dim_feedforward=2048, batch_first=True)
    return nn.TransformerEncoder(layer, num_layers=4).eval()


class _Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = _paper_size_encoder()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.encoder(tokens)


def test_eval_transformer_is_not_counted_as_zero_and_reproduces_418_mmac() -> None:
    model = _Encoder().eval()
    tokens = torch.randn(1, 19, 768)  # 16 gaze steps + [cls, act, dis]
    # The pitfall: with the fast path on, the flop counter sees nothing.
    assert torch.backends.mha.get_fastpath_enabled()
    with torch.no_grad(), FlopCounterMode(display=False) as naive:
        model(tokens)
    assert naive.get_total_flops() == 0

    with counting_mode(model), FlopCounterMode(display=False) as counter:
        model(tokens)
    by_op = {str(k): v // 2 for k, v in counter.get_flop_counts()["Global"].items()}
    D, F, T, L = 768, 2048, 19, 4
    linear_macs = L * T * (4 * D * D + 2 * D * F)
    attention_macs = L * 2 * T * T * D
    assert by_op["aten.addmm"] == linear_macs == 418_381_824  # DESIGN.md's 418 MMAC per window
    assert by_op["aten.bmm"] == attention_macs == 2_217_984
    assert count_macs(model, {"tokens": tokens}) == 420_599_808
    # state restored: fast path back on, module still in eval, training flags untouched
    assert torch.backends.mha.get_fastpath_enabled()
    model.train()
    count_macs(model, {"tokens": tokens})
    assert all(m.training for m in model.modules())


def test_transformer_bytes_follow_the_stated_assumption() -> None:
    model = _Encoder()
    tokens = torch.randn(1, 19, 768)
    b = bytes_moved(model, {"tokens": tokens})
    D, F, T, L = 768, 2048, 19, 4
    params = L * (4 * D * D + 4 * D + D * F + F + F * D + D + 4 * D)  # attn, ffn, two LayerNorms
    assert b.weight_bytes == params * 4
    assert b.input_bytes == T * D * 4
    # leaf calls per layer: self_attn (T x D), linear1 (T x F), linear2 (T x D), norm1, norm2 (T x D);
    # dropouts alias their input and the relu is functional.
    assert b.activation_bytes == L * 2 * 4 * (4 * T * D + T * F)


def test_deployed_power_counts_the_frozen_crop_extractor_of_a_feature_fed_teacher() -> None:
    from skillsight.deploy.power import estimate_deployed_power
    from skillsight.models import create_model

    fed = create_model("test_skillsight_teacher", crop_input="crop_features").eval()
    on_features = estimate_power(fed, fed.example_inputs(1), window_s=8.0)
    deployed = estimate_deployed_power(fed, window_s=8.0)
    with_extractor = create_model("test_skillsight_teacher", crop_input="crops").eval()
    assert (
        deployed.macs == estimate_power(with_extractor, with_extractor.example_inputs(1), window_s=8.0).macs
    )
    assert deployed.macs > on_features.macs
    assert any("crop extractor" in line for line in deployed.assumptions)
