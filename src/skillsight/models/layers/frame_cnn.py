"""A per-frame 2D CNN in the ResNet layout (He et al. 2016), for models that see single frames.

``FrameCNN(widths=(64, 128, 256, 512), blocks=(2, 2, 2, 2))`` is ResNet-18's layout: a 7x7 stride-2 stem
conv + BN + ReLU + 3x3 stride-2 max pool, four stages of basic blocks (two 3x3 convs with BN, identity
or strided 1x1 projection shortcut), global average pool -> (N, widths[-1]). Smaller widths/blocks give
the CPU variants. Random init (no downloads); frames are folded into the batch by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from skillsight.exceptions import ConfigError

__all__ = ["RESNET18_LAYOUT", "FrameCNN"]

#: (widths, blocks) of ResNet-18.
RESNET18_LAYOUT: tuple[tuple[int, ...], tuple[int, ...]] = ((64, 128, 256, 512), (2, 2, 2, 2))


class _BasicBlock(nn.Module):
    def __init__(self, dim_in: int, dim_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(dim_in, dim_out, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(dim_out)
        self.conv2 = nn.Conv2d(dim_out, dim_out, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(dim_out)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or dim_in != dim_out:
            self.shortcut = nn.Sequential(
                nn.Conv2d(dim_in, dim_out, 1, stride=stride, bias=False), nn.BatchNorm2d(dim_out)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.shortcut(x) + self.bn2(self.conv2(y)))


class FrameCNN(nn.Module):
    """Frames (N, 3, S, S) -> features (N, widths[-1]).

    Args:
        widths: output width of each stage (the stem has widths[0]).
        blocks: basic blocks per stage (stages after the first start with stride 2).
    """

    def __init__(
        self, widths: Sequence[int] = RESNET18_LAYOUT[0], blocks: Sequence[int] = RESNET18_LAYOUT[1]
    ) -> None:
        super().__init__()
        if len(widths) != len(blocks) or not widths or min(widths) < 1 or min(blocks) < 1:
            raise ConfigError(
                f"FrameCNN needs equally many widths and block counts >= 1, got {widths}, {blocks}"
            )
        self.stem = nn.Sequential(
            nn.Conv2d(3, widths[0], 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.ReLU(),
            nn.MaxPool2d(3, stride=2, padding=1),
        )
        stages, dim_in = [], widths[0]
        for k, (width, n) in enumerate(zip(widths, blocks)):
            stage = [
                _BasicBlock(dim_in if i == 0 else width, width, 2 if (i == 0 and k > 0) else 1)
                for i in range(n)
            ]
            stages.append(nn.Sequential(*stage))
            dim_in = width
        self.stages = nn.Sequential(*stages)
        self.feature_dim = int(widths[-1])

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames (N, 3, S, S) normalised -> (N, feature_dim)."""
        return self.stages(self.stem(frames)).mean(dim=(2, 3))
