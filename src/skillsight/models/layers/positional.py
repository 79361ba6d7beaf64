"""Positional encodings for token sequences: fixed sinusoidal and learned."""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = ["LearnedPositions", "SinusoidalPositions", "sinusoidal_positions"]


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """The fixed sine/cosine table of "Attention is all you need".

    Args:
        length: number of positions L.
        dim: embedding size D (even or odd; an odd last channel gets a sine).

    Returns:
        (L, D) float32 table: channel 2i = sin(p / 10000^(2i/D)), channel 2i+1 = cos(same).
    """
    if length < 1 or dim < 1:
        raise ValueError(f"sinusoidal_positions needs length >= 1 and dim >= 1, got {length}, {dim}")
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)  # (L, 1)
    div = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * (-math.log(10000.0) / dim))  # (ceil(D/2),)
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(position * div)
    table[:, 1::2] = torch.cos(position * div[: dim // 2])
    return table


class SinusoidalPositions(nn.Module):
    """Adds fixed sinusoidal positions to a (B, T, D) sequence (T <= ``max_length``).

    The table is a non-persistent buffer: it is rebuilt from the constructor arguments, so it does
    not take space in checkpoints.
    """

    table: torch.Tensor  # (max_length, D) buffer

    def __init__(self, dim: int, max_length: int) -> None:
        super().__init__()
        self.register_buffer("table", sinusoidal_positions(max_length, dim), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        T = x.shape[1]
        if self.table.shape[0] < T:
            raise ValueError(f"sequence length {T} exceeds the positional table ({self.table.shape[0]})")
        return x + self.table[:T].to(x.dtype)


class LearnedPositions(nn.Module):
    """Adds a learned (T_max, D) position table to a (B, T, D) sequence (T <= ``max_length``)."""

    def __init__(self, dim: int, max_length: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.randn(max_length, dim) * init_std)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, D) -> (B, T, D)."""
        T = x.shape[1]
        if self.table.shape[0] < T:
            raise ValueError(f"sequence length {T} exceeds the learned positions ({self.table.shape[0]})")
        return x + self.table[:T]
