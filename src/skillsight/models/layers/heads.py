"""Small MLP heads (fusion classifiers, distillation projections)."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import torch
from torch import nn

__all__ = ["MLP"]


class MLP(nn.Module):
    """Linear layers with ReLU between them (none after the last).

    Args:
        dims: layer widths including input and output, e.g. (2304, 768, 4) is
            Linear(2304, 768) -> ReLU -> Linear(768, 4). At least two entries.
        dropout: dropout after each hidden ReLU.
    """

    def __init__(self, dims: Sequence[int], dropout: float = 0.0) -> None:
        super().__init__()
        dims = [int(d) for d in dims]
        if len(dims) < 2 or min(dims) < 1:
            raise ValueError(f"MLP needs at least two positive widths, got {dims}")
        layers: list[nn.Module] = []
        for i, (d_in, d_out) in enumerate(pairwise(dims)):
            layers.append(nn.Linear(d_in, d_out))
            if i < len(dims) - 2:
                layers.append(nn.ReLU())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)
        self.in_dim = dims[0]
        self.out_dim = dims[-1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., dims[0]) -> (..., dims[-1])."""
        return self.net(x)
