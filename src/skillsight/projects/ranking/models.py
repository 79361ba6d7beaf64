"""Spatial-attention RNN for manipulation skill ranking (Li, Huang, Cai, Sato; ICCV-W 2019).

Per time step t (one frame per segment, ``N`` segments):

* two streams: the RGB frame and ``flow_stack`` stacked optical-flow fields (2 channels each)
  through two Hugging Face ``ResNetModel`` backbones built from configs, fused by two convs
  (2x2, ``fusion_dims[0]``, ReLU; 1x1, ``fusion_dims[1]``) into ``X_t`` of shape (D, h, w);
* ``x_bar_t = AvgPool(X_t) + MaxPool(X_t)``; ``c_t = [x_bar_t ; h_task_{t-1}]``;
  ``h_att_t = GRU_att(c_t)``; ``a_{i,t} = w^T tanh(W_x x_{i,t} + W_h h_att_t + b)``;
  ``alpha_t = softmax_i(a_t)``; ``v_t = sum_i alpha_{i,t} x_{i,t}``; ``h_task_t = GRU_task(v_t)``;
* ``score = FC(h_task_N)``.

Ablations (constructor flags): ``attention="none"`` (plain average pooling, no RNN_att),
``attention_rnn="fc"`` (a fully connected layer instead of RNN_att), ``attention_input="xbar"`` or
``"htask"`` (only one of the two parts of ``c_t``). Baselines of Li et al.'s Table 1 replace the
attention step and nothing else: ``attention="attention_pool" | "cbam" | "visual_attention" |
"sca_cnn"`` (registered as ``attention_rnn_<name>[_tiny]`` in
:mod:`skillsight.projects.ranking.baseline_variants`). The 2x2 fusion conv uses stride 1 and no
padding, so a 14 x 14 conv5 map becomes 13 x 13 locations.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn
from transformers import ResNetConfig, ResNetModel

from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.pretrained import load_pretrained_backbone
from skillsight.models.layers.stem_adaptation import StemAdaptation
from skillsight.projects.ranking.attention_baselines import (
    AttentionPool,
    CBAMAttention,
    SCAAttention,
    VisualAttention,
)
from skillsight.projects.ranking.attention_modules import (
    AttentionInput,
    AttentionRNNKind,
    AttentionStep,
    AveragePooling,
    RecurrentSpatialAttention,
    SpatialAttentionStep,
)

__all__ = [
    "ATTENTION_MODES",
    "AttentionRNN",
    "SpatialAttentionStep",
    "TwoStreamFeatures",
    "attention_rnn",
    "attention_rnn_tiny",
    "feature_grid_hw",
    "resnet_backbone",
    "resnet_config",
    "test_attention_rnn",
]

# name -> (layer_type, embedding_size, hidden_sizes, depths)
_RESNET_PRESETS: dict[str, tuple[str, int, list[int], list[int]]] = {
    "resnet101": ("bottleneck", 64, [256, 512, 1024, 2048], [3, 4, 23, 3]),
    "resnet50": ("bottleneck", 64, [256, 512, 1024, 2048], [3, 4, 6, 3]),
    "resnet18": ("basic", 64, [64, 128, 256, 512], [2, 2, 2, 2]),
    "tiny": ("basic", 16, [16, 32], [1, 1]),
    "test": ("basic", 8, [8, 16], [1, 1]),
}


def resnet_config(name: str, num_channels: int) -> ResNetConfig:
    """A ``ResNetConfig`` for a preset (``resnet101``, ``resnet50``, ``resnet18``, ``tiny``, ``test``).

    Args:
        name: preset name.
        num_channels: input channels (3 for RGB, ``2 * flow_stack`` for stacked flow).
    """
    if name not in _RESNET_PRESETS:
        raise ConfigError(f"unknown backbone preset {name!r}; valid: {', '.join(sorted(_RESNET_PRESETS))}")
    layer_type, embedding, hidden, depths = _RESNET_PRESETS[name]
    return ResNetConfig(
        num_channels=num_channels,
        embedding_size=embedding,
        hidden_sizes=list(hidden),
        depths=list(depths),
        layer_type=layer_type,
    )


def resnet_backbone(
    name: str, num_channels: int, pretrained_dir: str | None, what: str = "pretrained_dir"
) -> ResNetModel:
    """Random-init ResNet from a preset, or EVERY tensor of a local folder's weights (never downloaded).

    A folder of RGB weights given to the flow stream has its stem adapted, not re-initialised: each of
    the ``num_channels`` flow channels gets the mean of the RGB filters (the cross-modality
    initialisation of two-stream networks; :mod:`skillsight.models.layers.stem_adaptation`).

    Args:
        name: preset (see :func:`resnet_config`).
        num_channels: input channels the stream needs.
        pretrained_dir: local ``from_pretrained`` folder or None.
        what: the option that named the folder (for error messages).
    """
    requested = resnet_config(name, num_channels)
    if pretrained_dir is None:
        return ResNetModel(requested)
    stem: StemAdaptation | None = "flow" if num_channels != 3 else None
    return load_pretrained_backbone(ResNetModel, pretrained_dir, requested, stem=stem, what=what)


class TwoStreamFeatures(nn.Module):
    """RGB + stacked-flow ResNets and the conv fusion giving ``X_t``.

    Args:
        backbone: preset name for both streams.
        flow_stack: number of flow fields stacked (input channels ``2 * flow_stack``).
        fusion_dims: output channels of the 2x2 conv (ReLU) and of the 1x1 conv.
        rgb_pretrained_dir / flow_pretrained_dir: optional local Hugging Face ResNet folders of the
            preset's layout; the flow stream takes RGB (ImageNet) weights with its stem adapted, or a
            folder already holding ``2 * flow_stack`` input channels.
    """

    def __init__(
        self,
        backbone: str,
        flow_stack: int,
        fusion_dims: tuple[int, int],
        rgb_pretrained_dir: str | None = None,
        flow_pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        self.rgb = resnet_backbone(backbone, 3, rgb_pretrained_dir, "rgb_pretrained_dir")
        self.flow = resnet_backbone(backbone, 2 * flow_stack, flow_pretrained_dir, "flow_pretrained_dir")
        # transformers types PretrainedConfig.hidden_sizes as optional; a ResNetConfig always sets it.
        channels = self.rgb.config.hidden_sizes[-1] + self.flow.config.hidden_sizes[-1]  # type: ignore[index]
        self.fuse = nn.Sequential(
            nn.Conv2d(channels, fusion_dims[0], kernel_size=2),
            nn.ReLU(inplace=True),
            nn.Conv2d(fusion_dims[0], fusion_dims[1], kernel_size=1),
        )

    def forward(self, frames: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """(M, 3, H, W) frames and (M, 2K, H, W) flow -> (M, D, h, w) fused maps."""
        rgb = self.rgb(pixel_values=frames).last_hidden_state  # (M, C_rgb, h+1, w+1)
        mot = self.flow(pixel_values=flow).last_hidden_state  # (M, C_flow, h+1, w+1)
        return self.fuse(torch.cat([rgb, mot], dim=1))  # (M, D, h, w)


AttentionMode = Literal["full", "none", "attention_pool", "cbam", "visual_attention", "sca_cnn"]
ATTENTION_MODES: tuple[str, ...] = ("full", "none", "attention_pool", "cbam", "visual_attention", "sca_cnn")


def feature_grid_hw(config: ResNetConfig, image_size: int) -> tuple[int, int]:
    """(h, w) of ``X_t`` for a square input: the stem halves twice, each later stage once (rounding up),
    then the 2x2 fusion conv removes one row and column."""
    side = int(image_size)
    for _ in range(2 + len(config.depths or ()) - 1):
        side = -(-side // 2)  # ceil(side / 2)
    if side < 2:
        raise ConfigError(
            f"image_size {image_size} gives a {side} x {side} conv map; the 2x2 fusion needs >= 2"
        )
    return side - 1, side - 1


def _legacy_keys(module: nn.Module, state_dict: dict, prefix: str, *args: Any) -> None:
    """Checkpoints written before the attention step became a module name its parameters
    ``rnn_att.*`` / ``attend.*``; map them to ``attention_module.*``."""
    for old in [k for k in state_dict if k.startswith((prefix + "rnn_att.", prefix + "attend."))]:
        state_dict[prefix + "attention_module." + old[len(prefix) :]] = state_dict.pop(old)


class AttentionRNN(DeclaredInputsModule):
    """Two-stream spatial-attention RNN scoring a video's skill (higher = more skilled).

    Inputs: ``frames`` (B, N, 3, H, W) normalised RGB; ``flow`` (B, N, 2K, H, W) scaled flow.
    Outputs: ``score`` (B,), ``logits`` (B, 1) (the same score, for generic tools) and
    ``attention`` (B, N, h, w), each map summing to 1 (uniform when ``attention="none"``).

    Args:
        backbone: ResNet preset of both streams ("resnet101" at paper size).
        num_segments: N, frames per video.
        flow_stack: K flow fields stacked per step.
        image_size: square input side in pixels (sets ``example_inputs`` and the feature grid).
        fusion_dims: channels of the 2x2 and 1x1 fusion convs (D = fusion_dims[1]).
        hidden_dim: GRU hidden size of RNN_att and RNN_task.
        attention_dim: size of the attention energy space.
        attention: the attention step: "full" (Li et al.), "none" (average pooling, the
            no-attention ablation), or a baseline of Li et al.'s Table 1 replacing it:
            "attention_pool", "cbam", "visual_attention", "sca_cnn"
            (:mod:`skillsight.projects.ranking.attention_baselines`).
        attention_rnn: "gru" (RNN_att) or "fc" (the no-RNN_att ablation); "full" only.
        attention_input: "both" (c_t = [x_bar; h_task]), "xbar" or "htask"; "full" only.
        cbam_reduction: CBAM's MLP reduction ratio r.
        rgb_pretrained_dir / flow_pretrained_dir: optional local Hugging Face weights.
    """

    input_names = ("frames", "flow")
    sensors = ("rgb",)

    def __init__(
        self,
        backbone: str = "resnet101",
        num_segments: int = 25,
        flow_stack: int = 5,
        image_size: int = 448,
        fusion_dims: tuple[int, int] | list[int] = (512, 256),
        hidden_dim: int = 128,
        attention_dim: int = 32,
        attention: AttentionMode = "full",
        attention_rnn: AttentionRNNKind = "gru",
        attention_input: AttentionInput = "both",
        cbam_reduction: int = 16,
        rgb_pretrained_dir: str | None = None,
        flow_pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        for name, value, valid in (
            ("attention", attention, ATTENTION_MODES),
            ("attention_rnn", attention_rnn, ("gru", "fc")),
            ("attention_input", attention_input, ("both", "xbar", "htask")),
        ):
            if value not in valid:
                raise ConfigError(f"AttentionRNN {name}={value!r}; valid: {', '.join(valid)}")
        if attention != "full" and (attention_rnn, attention_input) != ("gru", "both"):
            raise ConfigError(
                f"attention_rnn / attention_input change Li et al.'s attention step; attention={attention!r} "
                "replaces that step, so leave them at 'gru' / 'both'"
            )
        if len(fusion_dims) != 2:
            raise ConfigError(f"AttentionRNN fusion_dims needs two channel counts, got {fusion_dims!r}")
        self.num_segments, self.flow_stack, self.image_size = num_segments, flow_stack, image_size
        self.attention, self.attention_rnn, self.attention_input = attention, attention_rnn, attention_input
        self.hidden_dim = hidden_dim
        feature_dim = int(fusion_dims[1])
        self.features = TwoStreamFeatures(
            backbone, flow_stack, (int(fusion_dims[0]), feature_dim), rgb_pretrained_dir, flow_pretrained_dir
        )
        self.grid_hw = feature_grid_hw(self.features.rgb.config, image_size)
        self.attention_module = self._attention_step(
            attention, feature_dim, hidden_dim, attention_dim, attention_rnn, attention_input, cbam_reduction
        )
        self.rnn_task = nn.GRUCell(feature_dim, hidden_dim)
        self.head = nn.Linear(hidden_dim, 1)
        self.register_load_state_dict_pre_hook(_legacy_keys)

    def _attention_step(
        self,
        attention: str,
        feature_dim: int,
        hidden_dim: int,
        attention_dim: int,
        attention_rnn: AttentionRNNKind,
        attention_input: AttentionInput,
        cbam_reduction: int,
    ) -> AttentionStep:
        if attention == "full":
            return RecurrentSpatialAttention(
                feature_dim, hidden_dim, attention_dim, attention_rnn, attention_input
            )
        if attention == "attention_pool":
            return AttentionPool(feature_dim)
        if attention == "cbam":
            return CBAMAttention(feature_dim, reduction=cbam_reduction)
        if attention == "visual_attention":
            return VisualAttention(hidden_dim, self.grid_hw)
        if attention == "sca_cnn":
            return SCAAttention(feature_dim, hidden_dim, attention_dim)
        return AveragePooling()

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random ``frames`` (B, N, 3, S, S) and ``flow`` (B, N, 2K, S, S)."""
        n, s = self.num_segments, self.image_size
        return {
            "frames": torch.randn(batch_size, n, 3, s, s),
            "flow": torch.randn(batch_size, n, 2 * self.flow_stack, s, s),
        }

    def forward_features(self, frames: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
        """(B, N, 3, H, W), (B, N, 2K, H, W) -> fused maps X (B, N, D, h, w)."""
        B, N, _, H, W = frames.shape
        if flow.shape[:2] != (B, N) or flow.shape[-2:] != (H, W) or flow.shape[2] != 2 * self.flow_stack:
            raise ValueError(
                f"flow shape {tuple(flow.shape)} does not match frames {tuple(frames.shape)} "
                f"with {self.flow_stack} stacked fields"
            )
        x = self.features(frames.reshape(B * N, 3, H, W), flow.reshape(B * N, -1, H, W))  # (B*N, D, h, w)
        return x.reshape(B, N, *x.shape[1:])  # (B, N, D, h, w)

    def forward_head(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Attention step, RNN_task and the score from maps X (B, N, D, h, w)."""
        B, N = x.shape[:2]
        h_task = x.new_zeros(B, self.hidden_dim)
        state = self.attention_module.initial_state(B, x)
        alphas = []
        for t in range(N):
            v_t, alpha, state = self.attention_module(x[:, t], h_task, state)  # (B, D), (B, h, w)
            h_task = self.rnn_task(v_t, h_task)  # (B, H)
            alphas.append(alpha)
        score = self.head(h_task)  # (B, 1)
        return {"score": score.squeeze(-1), "logits": score, "attention": torch.stack(alphas, dim=1)}

    def forward(self, frames: torch.Tensor, flow: torch.Tensor) -> dict[str, torch.Tensor]:
        """Score videos: ``frames`` (B, N, 3, H, W), ``flow`` (B, N, 2K, H, W) -> dict of tensors."""
        return self.forward_head(self.forward_features(frames, flow))


def _build(defaults: dict[str, Any], overrides: dict[str, Any]) -> AttentionRNN:
    return AttentionRNN(**{**defaults, **overrides})


@register_model("attention_rnn")
def attention_rnn(**overrides: Any) -> AttentionRNN:
    """Paper size: two ResNet-101 streams at 448 px, fusion 512/256, GRU 128, attention 32, N = 25."""
    return _build(
        {
            "backbone": "resnet101",
            "num_segments": 25,
            "flow_stack": 5,
            "image_size": 448,
            "fusion_dims": (512, 256),
            "hidden_dim": 128,
            "attention_dim": 32,
        },
        overrides,
    )


@register_model("attention_rnn_tiny")
def attention_rnn_tiny(**overrides: Any) -> AttentionRNN:
    """CPU size: two-stage basic ResNets at 64 px (7 x 7 locations), fusion 64/32, GRU 64."""
    return _build(
        {
            "backbone": "tiny",
            "num_segments": 25,
            "flow_stack": 5,
            "image_size": 64,
            "fusion_dims": (64, 32),
            "hidden_dim": 64,
            "attention_dim": 16,
        },
        overrides,
    )


@register_model("test_attention_rnn")
def test_attention_rnn(**overrides: Any) -> AttentionRNN:
    """Unit-test size: two-stage ResNets at 32 px (3 x 3 locations), N = 3, two flow fields."""
    return _build(
        {
            "backbone": "test",
            "num_segments": 3,
            "flow_stack": 2,
            "image_size": 32,
            "fusion_dims": (16, 8),
            "hidden_dim": 8,
            "attention_dim": 4,
        },
        overrides,
    )
