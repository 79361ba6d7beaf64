"""Gaze-biased TimeSformer: the Hugging Face model with a gaze prior on layer 0's spatial attention.

SkillSight (Wu et al., CVPR 2026; teacher branch 1) adds, before the softmax of the FIRST layer's SPATIAL
attention, a bias on the attention logits: a Gaussian over the patch grid centred on the patch the
wearer looks at in that frame (squared distance, sigma = 9 patches on a 28 x 28 grid, scaled with
the grid), zero for the CLS key, the same for every query and head, times a learnable weight per
scenario.

We do not fork the Hugging Face file: :class:`GazeBiasedTimesformer` builds a stock
``transformers.TimesformerModel`` and swaps ONE submodule, ``encoder.layer[0].attention.attention``
(in divided space-time attention that module is the spatial one; the temporal one is
``temporal_attention``), for :class:`GazeBiasedSelfAttention`, which reuses the same ``qkv``
``Linear`` (so pretrained weights and state-dict keys are unchanged) and adds the bias.

Two defects of the official code are fixed, on purpose:

* The official weight is ``relu(param)`` initialised at 0: relu has zero gradient there, so the
  weight never trains. Ours is a plain parameter initialised at ``bias_init`` (1.0 by default);
  it receives gradients from the first step, may become negative (gaze repels attention) and can
  be set to exactly 0, which makes the model equal to the stock TimeSformer bit for bit.
* The official Gaussian is normalised to SUM 1, so its peak is ~0.0025 on a 28 x 28 grid and even an
  active weight barely moves attention. Ours is normalised to PEAK 1 (1 on the gazed patch, about
  0.61 one sigma away), so a weight of w adds up to w to the logits: attention on the gazed patch
  grows by up to exp(w), which is visible in ``output_attentions``.

The HF layer calls its attention as ``attention(hidden_states, output_attentions)`` with no room for
extra inputs, so the per-row bias is handed to the swapped module for the duration of one forward
(set, then cleared in ``finally``). Gradient checkpointing (which re-runs layers during backward,
after the bias is cleared) is therefore refused.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import TimesformerConfig, TimesformerModel
from transformers.modeling_outputs import BaseModelOutput
from transformers.models.timesformer.modeling_timesformer import (
    TimeSformerAttention,
    TimesformerLayer,
    TimesformerSelfAttention,
)

from skillsight.exceptions import ConfigError
from skillsight.models.layers.timesformer_utils import build_timesformer_backbone, config_side_px

__all__ = [
    "PAPER_GRID",
    "PAPER_SIGMA_PATCHES",
    "GazeBiasedSelfAttention",
    "GazeBiasedTimesformer",
    "build_timesformer",
    "gaze_gaussian_bias",
]

#: sigma of the gaze Gaussian in patches at the paper's 28 x 28 grid (448 px frames, 16 px patches).
PAPER_SIGMA_PATCHES = 9.0
PAPER_GRID = 28


def gaze_gaussian_bias(
    gaze2d: torch.Tensor, grid_h: int, grid_w: int, sigma_patches: float, valid: torch.Tensor | None = None
) -> torch.Tensor:
    """Peak-normalised Gaussian key bias over a patch grid, one row per gaze point.

    Args:
        gaze2d: (..., 2) gaze on the frame, normalised to [0, 1] (x right, y down). Points outside
            [0, 1] use the nearest border patch.
        grid_h: patch rows.
        grid_w: patch columns.
        sigma_patches: Gaussian sigma in patches.
        valid: optional (...) bool; rows where it is False (or the gaze is not finite) get an all-zero
            bias, i.e. no gaze prior for that frame.

    Returns:
        (..., 1 + grid_h * grid_w) float: 0 for the CLS key (index 0), then
        exp(-d^2 / (2 sigma^2)) over patches in row-major order, where d is the distance in patches
        between a patch and the gazed patch (the one containing the gaze point); the peak is 1.
    """
    if gaze2d.shape[-1] != 2:
        raise ValueError(f"gaze2d must end in 2 coordinates (x, y), got shape {tuple(gaze2d.shape)}")
    finite = torch.isfinite(gaze2d).all(dim=-1)  # (...)
    keep = finite if valid is None else finite & valid.bool()
    safe = torch.where(keep.unsqueeze(-1), gaze2d, torch.full_like(gaze2d, 0.5))  # (..., 2)
    col = torch.clamp(torch.floor(safe[..., 0] * grid_w), 0, grid_w - 1)  # (...)
    row = torch.clamp(torch.floor(safe[..., 1] * grid_h), 0, grid_h - 1)  # (...)
    rows = torch.arange(grid_h, dtype=gaze2d.dtype, device=gaze2d.device)
    cols = torch.arange(grid_w, dtype=gaze2d.dtype, device=gaze2d.device)
    d2_row = (rows - row.unsqueeze(-1)) ** 2  # (..., grid_h)
    d2_col = (cols - col.unsqueeze(-1)) ** 2  # (..., grid_w)
    d2 = d2_row.unsqueeze(-1) + d2_col.unsqueeze(-2)  # (..., grid_h, grid_w)
    gauss = torch.exp(-d2 / (2.0 * sigma_patches**2)).flatten(-2)  # (..., grid_h * grid_w)
    gauss = gauss * keep.unsqueeze(-1).to(gauss.dtype)
    cls = torch.zeros_like(gauss[..., :1])  # (..., 1)
    return torch.cat([cls, gauss], dim=-1)  # (..., 1 + P)


def build_timesformer(
    config: TimesformerConfig | dict[str, Any], pretrained_dir: str | Path | None = None
) -> TimesformerModel:
    """A stock ``TimesformerModel``: random init from ``config``, or ALL weights of a LOCAL folder.

    ``config`` (a ``TimesformerConfig`` or its keyword arguments) describes the backbone; with
    ``pretrained_dir`` the folder must hold that architecture and is adapted to ``config``'s frames and
    frame size (:func:`~skillsight.models.layers.timesformer_utils.build_timesformer_backbone`).
    """
    cfg = config if isinstance(config, TimesformerConfig) else TimesformerConfig(**config)
    return build_timesformer_backbone(cfg, pretrained_dir)


class GazeBiasedSelfAttention(nn.Module):
    """Drop-in replacement of ``TimesformerSelfAttention`` adding a per-row key bias to the logits.

    It takes over the ``qkv`` projection and attention dropout of ``source`` (same objects, same
    state-dict names). With ``key_bias`` unset it computes exactly what the stock module computes.

    Attributes:
        key_bias: None, or (N, 1 + P) bias added to the logits of row n for every query and head,
            where N = batch * frames (the rows of spatial attention) and P = patches per frame.
    """

    def __init__(self, source: TimesformerSelfAttention) -> None:
        super().__init__()
        for name in ("num_heads", "scale", "qkv", "attn_drop"):
            if not hasattr(source, name):
                raise ConfigError(
                    f"cannot wrap {type(source).__name__}: it has no attribute {name!r} "
                    "(the installed transformers TimeSformer changed; update GazeBiasedSelfAttention)"
                )
        self.num_heads = source.num_heads
        self.scale = source.scale
        self.qkv = source.qkv
        self.attn_drop = source.attn_drop
        self.key_bias: torch.Tensor | None = None

    def forward(
        self, hidden_states: torch.Tensor, output_attentions: bool = False
    ) -> tuple[torch.Tensor, ...]:
        """Same contract as the stock module: (N, L, D) -> (context (N, L, D)[, probs (N, H, L, L)])."""
        N, L, D = hidden_states.shape
        qkv = self.qkv(hidden_states).reshape(N, L, 3, self.num_heads, D // self.num_heads)  # (N, L, 3, H, d)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (3, N, H, L, Dh)
        query, key, value = qkv[0], qkv[1], qkv[2]
        logits = (query @ key.transpose(-2, -1)) * self.scale  # (N, H, L, L)
        if self.key_bias is not None:
            if tuple(self.key_bias.shape) != (N, L):
                raise ValueError(f"key_bias has shape {tuple(self.key_bias.shape)}, expected {(N, L)}")
            logits = logits + self.key_bias[:, None, None, :].to(logits.dtype)  # same for queries and heads
        probs = self.attn_drop(logits.softmax(dim=-1))
        context = (probs @ value).transpose(1, 2).reshape(N, L, D)  # (N, L, D)
        return (context, probs) if output_attentions else (context,)


class GazeBiasedTimesformer(nn.Module):
    """TimeSformer (divided space-time) with the SkillSight gaze prior on layer 0's spatial attention.

    Args:
        config: a ``TimesformerConfig`` or a dict of its keyword arguments. Must use
            ``attention_type="divided_space_time"``. With ``pretrained_dir`` the folder must hold this
            architecture (see :func:`build_timesformer`).
        num_scenarios: number of per-scenario bias weights (scenario ids index them).
        bias_init: initial value of every weight (nonzero so the prior acts and trains from step 0).
        sigma_patches: Gaussian sigma in patches; default 9 * grid / 28 (the paper's 9 at 28 x 28).
        pretrained_dir: optional LOCAL folder with Hugging Face TimeSformer weights (never downloads).
    """

    def __init__(
        self,
        config: TimesformerConfig | dict[str, Any],
        num_scenarios: int,
        bias_init: float = 1.0,
        sigma_patches: float | None = None,
        pretrained_dir: str | Path | None = None,
    ) -> None:
        super().__init__()
        self.timesformer = build_timesformer(config, pretrained_dir)
        cfg = self.timesformer.config
        if cfg.attention_type != "divided_space_time":
            raise ConfigError(f"attention_type must be 'divided_space_time', got {cfg.attention_type!r}")
        if num_scenarios < 1:
            raise ConfigError(f"num_scenarios must be >= 1, got {num_scenarios}")
        self.grid = config_side_px(cfg, "image_size") // config_side_px(cfg, "patch_size")
        self.num_frames = cfg.num_frames
        self.hidden_size = cfg.hidden_size
        default_sigma = PAPER_SIGMA_PATCHES * self.grid / PAPER_GRID
        self.sigma_patches = float(sigma_patches) if sigma_patches is not None else default_sigma
        layer0 = self._layer0_attention()
        # add_module replaces the registered child, exactly as attribute assignment would.
        layer0.add_module("attention", GazeBiasedSelfAttention(layer0.attention))
        self.gaze_bias_weight = nn.Parameter(torch.full((num_scenarios,), float(bias_init)))

    @property
    def biased_attention(self) -> GazeBiasedSelfAttention:
        """The swapped spatial self-attention of layer 0."""
        module = self._layer0_attention().attention
        if not isinstance(module, GazeBiasedSelfAttention):
            raise ConfigError("layer 0 of this TimeSformer no longer holds the gaze-biased attention")
        return module

    def _layer0_attention(self) -> TimeSformerAttention:
        layer = self.timesformer.encoder.layer[0]
        if not isinstance(layer, TimesformerLayer):
            raise ConfigError(f"TimeSformer layer 0 is a {type(layer).__name__}, not a TimesformerLayer")
        return layer.attention

    def enable_gradient_checkpointing(self) -> None:
        """Recompute layers 1.. in the backward pass (Hugging Face gradient checkpointing); layer 0 keeps
        its activations, since its gaze bias exists only during the forward call."""
        kwargs = {"use_reentrant": False}
        if hasattr(self.timesformer, "activation_checkpointing_enable"):  # transformers >= 5
            self.timesformer.activation_checkpointing_enable(activation_checkpointing_kwargs=kwargs)
        else:
            self.timesformer.gradient_checkpointing_enable(gradient_checkpointing_kwargs=kwargs)
        setattr(self.timesformer.encoder.layer[0], "gradient_checkpointing", False)  # noqa: B010  (a plain attribute of the HF layer)

    def key_bias(
        self, gaze2d: torch.Tensor, scenario: torch.Tensor, gaze_valid: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Weighted bias per spatial-attention row.

        Args:
            gaze2d: (B, T, 2) normalised gaze per frame.
            scenario: (B,) int64 scenario ids.
            gaze_valid: optional (B, T) bool.

        Returns:
            (B * T, 1 + P) bias; row b * T + t belongs to frame t of clip b (the order in which HF
            TimeSformer stacks frames for spatial attention).
        """
        B, T, _ = gaze2d.shape
        gauss = gaze_gaussian_bias(gaze2d, self.grid, self.grid, self.sigma_patches, gaze_valid)
        # gauss: (B, T, 1 + P)
        weight = self.gaze_bias_weight[scenario].to(gauss.dtype)  # (B,)
        return (weight[:, None, None] * gauss).reshape(B * T, -1)  # (B*T, 1+P)

    def forward(
        self,
        pixel_values: torch.Tensor,
        gaze2d: torch.Tensor,
        scenario: torch.Tensor,
        gaze_valid: torch.Tensor | None = None,
        output_attentions: bool = False,
    ) -> BaseModelOutput:
        """Run the biased TimeSformer.

        Args:
            pixel_values: (B, T, 3, H, W) normalised frames, T = ``config.num_frames``, H = W = image_size.
            gaze2d: (B, T, 2) gaze in [0, 1] (x right, y down), one point per frame.
            scenario: (B,) int64 scenario ids selecting the bias weight.
            gaze_valid: optional (B, T) bool; frames with False (or non-finite gaze) get no bias.
            output_attentions: return attention maps; ``attentions[0]`` is layer 0's biased spatial
                attention, (B * T, heads, 1 + P, 1 + P).

        Returns:
            The Hugging Face ``BaseModelOutput`` (``last_hidden_state[:, 0]`` is the CLS token).
        """
        B, T = pixel_values.shape[:2]
        if self.num_frames != T:
            raise ValueError(
                f"video has {T} frames, the TimeSformer config expects num_frames={self.num_frames}"
            )
        if tuple(gaze2d.shape) != (B, T, 2):
            raise ValueError(f"gaze2d has shape {tuple(gaze2d.shape)}, expected {(B, T, 2)}")
        if tuple(scenario.shape) != (B,):
            raise ValueError(f"scenario has shape {tuple(scenario.shape)}, expected {(B,)}")
        if bool(getattr(self.timesformer.encoder.layer[0], "gradient_checkpointing", False)):
            raise ConfigError(
                "gradient checkpointing cannot re-run layer 0 (its gaze bias exists only during the "
                "forward call): use enable_gradient_checkpointing(), which keeps layer 0 out"
            )
        attention = self.biased_attention
        attention.key_bias = self.key_bias(gaze2d, scenario, gaze_valid)
        try:
            return self.timesformer(
                pixel_values=pixel_values, output_attentions=output_attentions, return_dict=True
            )
        finally:
            attention.key_bias = None
