"""The SkillSight teacher's two sequence branches over per-frame inputs (Wu, Ashutosh & Grauman, CVPR 2026).

:class:`CropSequenceBranch` is branch (b): DINOv2 features of the gaze-centred crops -> linear -> learned
positions -> transformer -> mean over the frames with known 2D gaze -> e_c. :class:`GazeDynamicsBranch` is
branch (c): standardised gaze steps -> linear -> learned positions behind a per-scenario class token ->
transformer -> class token -> e_g. The teacher builds both at its preset's sizes
(:mod:`skillsight.models.skillsight_teacher_presets`).
"""

from __future__ import annotations

import torch
from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.models.layers.positional import LearnedPositions
from skillsight.models.layers.sequence_encoder import SequenceEncoder
from skillsight.models.layers.standardize import ChannelStandardizer

__all__ = ["CropSequenceBranch", "GazeDynamicsBranch"]


class CropSequenceBranch(nn.Module):
    """Fixated-object branch: per-frame crop features -> temporal transformer -> mean over time.

    A frame whose 2D gaze is unknown has no fixated object: its crop (cut at the image centre only to
    keep the box defined) is masked as a key and left out of the mean. A clip without any known 2D
    gaze gives a zero embedding: the branch says nothing rather than describe the image centre.

    Args:
        feature_dim: Dc of the crop features.
        dim: embedding width (768 in the paper).
        max_frames: T_max for the learned positions.
        num_layers, num_heads, ffn_dim, dropout: temporal transformer (paper: 2 layers, 8 heads).
    """

    def __init__(
        self,
        feature_dim: int,
        dim: int,
        max_frames: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float,
    ) -> None:
        super().__init__()
        self.proj = nn.Linear(feature_dim, dim)
        self.positions = LearnedPositions(dim, max_frames)
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)

    def forward(self, crop_features: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
        """crop_features: (B, T, Dc), valid: (B, T) bool (True = 2D gaze known) -> e_c (B, dim)."""
        x = self.positions(self.proj(crop_features))  # (B, T, dim)
        if valid is None:
            return self.encoder(x).mean(dim=1)  # (B, dim)
        any_valid = valid.any(dim=1)  # (B,)
        # a clip without any valid frame attends to all (no NaN) and is zeroed below
        ignore = ~valid & any_valid[:, None]  # (B, T)
        weights = valid.to(x.dtype)  # (B, T)
        pooled = (self.encoder(x, ignore) * weights[..., None]).sum(1) / weights.sum(
            1, keepdim=True
        ).clamp_min(1.0)
        return pooled * any_valid[:, None].to(x.dtype)  # (B, dim)


class GazeDynamicsBranch(nn.Module):
    """Gaze-dynamics branch: per-scenario class token + gaze steps -> transformer -> class token.

    Args:
        gaze_channels: channels per gaze step (14 for Ego-Exo4D).
        dim: embedding width.
        max_steps: T_max for the learned positions.
        num_scenarios: number of class tokens.
        num_layers, num_heads, ffn_dim, dropout: transformer encoder (paper: 4 layers).
        use_channel_mask: add the learned embedding of unobserved channels (``gaze_channel_mask``).
    """

    def __init__(
        self,
        gaze_channels: int,
        dim: int,
        max_steps: int,
        num_scenarios: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float,
        use_channel_mask: bool = True,
    ) -> None:
        super().__init__()
        self.standardizer = ChannelStandardizer(gaze_channels, "gaze")  # identity until fitted
        self.proj = nn.Linear(gaze_channels, dim)
        self.missing_proj = nn.Linear(gaze_channels, dim, bias=False) if use_channel_mask else None
        self.positions = LearnedPositions(dim, max_steps)
        self.class_tokens = nn.Parameter(torch.randn(num_scenarios, dim) * 0.02)
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)

    def forward(
        self,
        gaze: torch.Tensor,
        gaze_mask: torch.Tensor,
        scenario: torch.Tensor,
        gaze_channel_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """gaze: (B, T, C), gaze_mask: (B, T) bool (True = valid), scenario: (B,), gaze_channel_mask:
        (B, T, C) bool (True = observed; required with ``use_channel_mask``) -> e_g (B, dim)."""
        observed = gaze_mask.bool().unsqueeze(-1)  # (B, T, 1)
        if gaze_channel_mask is not None:
            observed = observed & gaze_channel_mask.bool()  # (B, T, C)
        x = self.proj(self.standardizer(gaze, observed))  # (B, T, dim); unobserved values stay 0
        if self.missing_proj is not None:
            if gaze_channel_mask is None:
                raise ConfigError(
                    "GazeDynamicsBranch was built with use_channel_mask: pass gaze_channel_mask"
                )
            x = x + self.missing_proj((~gaze_channel_mask.bool()).to(x.dtype))
        x = self.positions(x)  # (B, T, dim)
        cls = self.class_tokens[scenario].unsqueeze(1)  # (B, 1, dim)
        x = torch.cat([cls, x], dim=1)  # (B, 1 + T, dim)
        always = torch.zeros_like(gaze_mask[:, :1], dtype=torch.bool)  # (B, 1): class token never padded
        padding = torch.cat([always, ~gaze_mask.bool()], dim=1)  # (B, 1 + T), True = ignore
        return self.encoder(x, padding)[:, 0]  # (B, dim)
