"""X3D (Feichtenhofer, CVPR 2020): the light video CNN of SkillSight's table (X3D-XS, 88 mW in the paper).

Built here from the paper's XS specification (pytorchvideo 0.1.5, the reference implementation, was last
released in 2022 and needs torchvision and fvcore; see docs/baselines.md). Layout, for input
(B, 3, T, S, S):

* stem: a 1x3x3 convolution (stride 1x2x2) to ``base_width`` channels, then a depthwise 5x1x1 temporal
  convolution, BatchNorm, ReLU;
* four stages of residual bottleneck blocks (depths ``depths``; XS: 3, 5, 11, 7 = the base [1, 2, 5, 3]
  expanded by the depth factor 2.2 and rounded up), output widths ``base_width`` x 1, 2, 4, 8
  (XS: 24, 48, 96, 192); each block is 1x1x1 conv -> BN -> ReLU -> depthwise 3x3x3 conv (spatial stride 2
  in the first block of a stage) -> BN -> squeeze-excitation (every other block, from the first) ->
  swish -> 1x1x1 conv -> BN, plus the shortcut (a strided 1x1x1 conv where the shape changes, + BN
  where the width does), then ReLU. The inner width is ``int(2.25 * width)`` (XS: 54, 108, 216, 432);
* head: 1x1x1 conv to the last inner width (432) -> BN -> ReLU -> global average pool -> 1x1x1 conv
  (a fully connected layer) to ``head_dim`` (2048, no BN) -> ReLU -> dropout -> Linear to the classes.

Squeeze-excitation width: ``se_ratio`` (1/16) x the inner width, rounded to a multiple of 8 (at least 8),
as the reference code rounds channel counts. The parameter and MAC counts against the paper's 3.8 M and
0.6 GFLOPs are tested in ``tests/unit/models/test_x3d.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, clip_frames_args
from skillsight.models.layers.base import DeclaredInputsModule

__all__ = ["X3D_PRESETS", "X3DBackbone", "X3DClassifier", "round_channels"]


def round_channels(width: float, divisor: int = 8, min_width: int = 8) -> int:
    """``width`` rounded to the nearest multiple of ``divisor`` (>= ``min_width``), never below 90 % of it."""
    out = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if out < 0.9 * width:
        out += divisor
    return int(out)


class SqueezeExcitation3d(nn.Module):
    """Channel gating: global average -> 1x1x1 conv -> ReLU -> 1x1x1 conv -> sigmoid -> scale."""

    def __init__(self, channels: int, reduced: int) -> None:
        super().__init__()
        self.reduce = nn.Conv3d(channels, reduced, kernel_size=1, bias=True)
        self.expand = nn.Conv3d(reduced, channels, kernel_size=1, bias=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, T, H, W) -> same shape."""
        s = x.mean(dim=(2, 3, 4), keepdim=True)  # (B, C, 1, 1, 1)
        return x * torch.sigmoid(self.expand(torch.relu(self.reduce(s))))


class X3DBlock(nn.Module):
    """Residual bottleneck block (see the module docstring)."""

    def __init__(self, dim_in: int, dim_inner: int, dim_out: int, stride: int, se_ratio: float) -> None:
        super().__init__()
        self.conv_a = nn.Conv3d(dim_in, dim_inner, kernel_size=1, bias=False)
        self.bn_a = nn.BatchNorm3d(dim_inner)
        self.conv_b = nn.Conv3d(
            dim_inner,
            dim_inner,
            kernel_size=3,
            stride=(1, stride, stride),
            padding=1,
            groups=dim_inner,
            bias=False,
        )
        self.bn_b = nn.BatchNorm3d(dim_inner)
        self.se = (
            SqueezeExcitation3d(dim_inner, round_channels(dim_inner * se_ratio)) if se_ratio > 0 else None
        )
        self.conv_c = nn.Conv3d(dim_inner, dim_out, kernel_size=1, bias=False)
        self.bn_c = nn.BatchNorm3d(dim_out)
        self.shortcut: nn.Module | None = None
        if dim_in != dim_out or stride > 1:
            # as the reference code: the projection gets a BatchNorm only when the width changes
            conv = nn.Conv3d(dim_in, dim_out, kernel_size=1, stride=(1, stride, stride), bias=False)
            self.shortcut = nn.Sequential(conv, nn.BatchNorm3d(dim_out)) if dim_in != dim_out else conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, dim_in, T, H, W) -> (B, dim_out, T, H / stride, W / stride)."""
        y = torch.relu(self.bn_a(self.conv_a(x)))
        y = self.bn_b(self.conv_b(y))
        if self.se is not None:
            y = self.se(y)
        y = self.bn_c(self.conv_c(nn.functional.silu(y)))  # swish = x * sigmoid(x)
        identity = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(identity + y)


class X3DBackbone(nn.Module):
    """Stem + four stages + the head's projection and pooling: (B, 3, T, S, S) -> (B, head_dim).

    Args:
        base_width: stem / first-stage width (XS: 24).
        depths: blocks per stage (XS: 3, 5, 11, 7).
        bottleneck_factor: inner width / output width (2.25).
        se_ratio: squeeze-excitation width ratio (1/16; 0 disables it).
        head_dim: width of the fully connected layer before the classifier (2048).
    """

    def __init__(
        self,
        base_width: int = 24,
        depths: Sequence[int] = (3, 5, 11, 7),
        bottleneck_factor: float = 2.25,
        se_ratio: float = 0.0625,
        head_dim: int = 2048,
    ) -> None:
        super().__init__()
        if len(depths) != 4 or min(depths) < 1 or base_width < 1 or head_dim < 1:
            raise ConfigError(
                f"X3D needs 4 stage depths >= 1, base_width >= 1 and head_dim >= 1; "
                f"got depths={list(depths)}, base_width={base_width}, head_dim={head_dim}"
            )
        self.stem = nn.Sequential(
            nn.Conv3d(3, base_width, kernel_size=(1, 3, 3), stride=(1, 2, 2), padding=(0, 1, 1), bias=False),
            nn.Conv3d(
                base_width,
                base_width,
                kernel_size=(5, 1, 1),
                padding=(2, 0, 0),
                groups=base_width,
                bias=False,
            ),
            nn.BatchNorm3d(base_width),
            nn.ReLU(),
        )
        stages: list[nn.Module] = []
        dim_in = base_width
        for k, depth in enumerate(depths):
            dim_out = base_width * 2**k
            dim_inner = int(bottleneck_factor * dim_out)
            blocks = [
                X3DBlock(
                    dim_in if i == 0 else dim_out,
                    dim_inner,
                    dim_out,
                    stride=2 if i == 0 else 1,
                    se_ratio=se_ratio if i % 2 == 0 else 0.0,
                )
                for i in range(int(depth))
            ]
            stages.append(nn.Sequential(*blocks))
            dim_in = dim_out
        self.stages = nn.Sequential(*stages)
        self.head_conv = nn.Conv3d(dim_in, dim_inner, kernel_size=1, bias=False)
        self.head_bn = nn.BatchNorm3d(dim_inner)
        self.head_fc = nn.Conv3d(dim_inner, head_dim, kernel_size=1, bias=False)
        self.feature_dim = int(head_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, 3, T, S, S) normalised frames -> (B, head_dim) pooled clip feature."""
        y = self.stages(self.stem(x))  # (B, 8 * base_width, T, S / 32, S / 32)
        y = torch.relu(self.head_bn(self.head_conv(y)))
        y = y.mean(dim=(2, 3, 4), keepdim=True)  # (B, inner, 1, 1, 1)
        return torch.relu(self.head_fc(y)).flatten(1)  # (B, head_dim)


class X3DClassifier(DeclaredInputsModule):
    """X3D on the ego video: ``video`` (B, T, 3, S, S) -> logits.

    Args:
        num_frames: frames per clip T (XS: 4).
        image_size: frame side S (XS: 160).
        base_width, depths, bottleneck_factor, se_ratio, head_dim: see :class:`X3DBackbone`.
        dropout: before the classifier (0.5 in the paper).
        num_classes: skill classes.
    """

    input_names: tuple[str, ...] = ("video",)
    sensors: tuple[str, ...] = ("rgb",)

    def __init__(
        self,
        *,
        num_frames: int = 4,
        image_size: int = 160,
        base_width: int = 24,
        depths: Sequence[int] = (3, 5, 11, 7),
        bottleneck_factor: float = 2.25,
        se_ratio: float = 0.0625,
        head_dim: int = 2048,
        dropout: float = 0.5,
        num_classes: int = len(PROFICIENCY_LABELS),
    ) -> None:
        super().__init__()
        if num_frames < 1 or image_size < 32:
            raise ConfigError(
                f"X3D needs num_frames >= 1 and image_size >= 32, got {num_frames}, {image_size}"
            )
        self.num_frames, self.image_size = int(num_frames), int(image_size)
        self.backbone = X3DBackbone(base_width, tuple(depths), bottleneck_factor, se_ratio, head_dim)
        self.feature_dim = self.backbone.feature_dim
        self.dropout = nn.Dropout(float(dropout))
        self.classifier = nn.Linear(self.feature_dim, int(num_classes))

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """``video`` (B, T, 3, S, S) normalised -> "logits" (B, classes), "features" (B, head_dim)."""
        self.check_input_names(inputs)
        T, S = self.num_frames, self.image_size
        video = inputs["video"]
        self.check_shape(
            "video", video, (video.shape[0], T, 3, S, S) if video.dim() == 5 else (-1, T, 3, S, S)
        )
        if not video.is_floating_point():
            raise DataFormatError(
                type(self).__name__, "video", str(video.dtype), "expected normalised float frames"
            )
        features = self.backbone(video.transpose(1, 2))  # (B, 3, T, S, S) channels first
        return {"logits": self.classifier(self.dropout(features)), "features": features}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random normalised frames of the declared shape."""
        gen = torch.Generator().manual_seed(0)
        S = self.image_size
        return {"video": torch.randn(batch_size, self.num_frames, 3, S, S, generator=gen)}


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant.
X3D_PRESETS: dict[str, dict[str, Any]] = {
    # The paper's X3D-XS: 4 frames of 160 px, widths 24..192, depths 3/5/11/7, 2048-d head.
    "x3d_xs": dict(num_frames=4, image_size=160),
    # CPU demo: the same depth pattern cut down (widths 8..64, depths 1/2/3/2, 256-d head) on 64 px frames.
    "x3d_xs_tiny": dict(
        num_frames=4, image_size=64, base_width=8, depths=(1, 2, 3, 2), head_dim=256, dropout=0.2
    ),
    "test_x3d": dict(
        num_frames=4, image_size=32, base_width=8, depths=(1, 1, 2, 1), head_dim=32, dropout=0.0
    ),
}


def _x3d_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """X3D: frames per clip and the decoded frame size."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), "image_size": cfg.data.frame_px}


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> X3DClassifier:
        return X3DClassifier(**{**X3D_PRESETS[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"X3DClassifier preset {name!r}: {X3D_PRESETS[name]}"
    register_model(name, data_args=_x3d_data_args)(factory)


for _name in X3D_PRESETS:
    _register(_name)
