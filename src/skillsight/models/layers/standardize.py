"""Fixed per-channel standardisation of a model input, fitted on training data and saved with the weights.

The 14 SkillSight gaze channels have very different scales (on the demo data: world point ~1.3 m,
direction change ~0.3, head translation ~0.04 m, head ``qw`` 0.03 around 0.98, depth ~1.2 m), so
without rescaling the small channels -- where head stability lives -- reach the encoder at a few
percent of the positional encoding's amplitude, and the tiny models learn slowly (docs/learning.md).

:class:`ChannelStandardizer` is part of the model (two buffers), not of the data pipeline, so that
training, evaluation, streaming inference and the ONNX export apply exactly the same transform. It is
the identity until :meth:`ChannelStandardizer.fit` sets the statistics (the run does it from the
training takes before the first step; see :mod:`skillsight.training.input_stats`), so a model built
without statistics behaves as before.
"""

from __future__ import annotations

import torch
from torch import nn

from skillsight.exceptions import DataFormatError

__all__ = ["ChannelStandardizer", "standardizers"]

#: smallest std used: a constant channel is only centred (its scale is not blown up).
MIN_STD = 1e-6


class ChannelStandardizer(nn.Module):
    """``(x - mean) / std`` over the last axis, with buffers that are fitted, never trained.

    Args:
        channels: C, the size of the last axis.
        input_name: the model input it standardises (e.g. ``"gaze"``); fitting looks the statistics up
            under this name.
    """

    mean: torch.Tensor  # (C,) buffer
    std: torch.Tensor  # (C,) buffer

    def __init__(self, channels: int, input_name: str = "gaze") -> None:
        super().__init__()
        self.channels = int(channels)
        self.input_name = input_name
        self.register_buffer("mean", torch.zeros(self.channels))
        self.register_buffer("std", torch.ones(self.channels))

    @property
    def is_identity(self) -> bool:
        """True while the statistics are the defaults (mean 0, std 1)."""
        return bool((self.mean == 0).all()) and bool((self.std == 1).all())

    @torch.no_grad()
    def fit(self, mean: torch.Tensor, std: torch.Tensor) -> None:
        """Set the statistics: ``mean`` and ``std`` of shape (C,); std is clamped to >= 1e-6."""
        mean = torch.as_tensor(mean, dtype=torch.float32).reshape(-1)
        std = torch.as_tensor(std, dtype=torch.float32).reshape(-1)
        if mean.numel() != self.channels or std.numel() != self.channels:
            raise DataFormatError(
                "ChannelStandardizer",
                self.input_name,
                (mean.numel(), std.numel()),
                f"statistics must have {self.channels} channels",
            )
        if not (torch.isfinite(mean).all() and torch.isfinite(std).all()):
            raise DataFormatError("ChannelStandardizer", self.input_name, "non-finite", "statistics")
        self.mean.copy_(mean)
        self.std.copy_(std.clamp_min(MIN_STD))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (..., C) -> (..., C) standardised; where ``mask`` is False the output is 0 ("no value").

        ``mask`` is per step (...,) or per value (..., C) / (..., 1), True = observed.
        """
        z = (x - self.mean.to(x.dtype)) / self.std.to(x.dtype)
        if mask is not None:
            observed = mask if mask.dim() == z.dim() else mask.unsqueeze(-1)
            z = z * observed.to(z.dtype)
        return z


def standardizers(model: nn.Module) -> list[ChannelStandardizer]:
    """Every :class:`ChannelStandardizer` inside ``model`` (in module order)."""
    return [m for m in model.modules() if isinstance(m, ChannelStandardizer)]
