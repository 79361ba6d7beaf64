"""PriviGaze: gaze (pitch, yaw) from a face image; a privileged teacher and an ~80K-parameter student.

Teacher (training only, as in the PriviGaze paper): the subject's left and right eye RGB crops go
through one ConvNeXtV2-Atto backbone (shared by both eyes: 3.4M parameters counted once, which is
how the paper's total of about 19M = 3.7M + 15.6M adds up), the blurred grayscale face through a
ConvNeXtV2-Nano backbone; each is projected to 256-d; the face token queries the eye tokens by
cross-attention; the fused 256-d feature feeds binned pitch and yaw heads.

Student (on device): grayscale face -> learned light correction (gamma + affine) -> stem
(32 ch, stride 4) -> 4 stages of an inception block (factorised depthwise 1x3 + 3x1 branches)
with depthwise-separable downsampling (64, 96, 128 ch) -> 160 ch -> global average pool ->
128-d projection -> binned pitch and yaw heads.

Both return ``{"pitch_logits", "yaw_logits", "logits" (B, 2, bins), "pitchyaw_deg" (B, 2),
"features" (B, D)}``; angles are ordered (pitch, yaw) and the expectation uses bin centres.
Images are float tensors in [0, 1]: ``face`` (B, 1, S, S) grayscale, eyes (B, 3, h, w) RGB.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torch import nn

from skillsight.models._factory import register_model
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.pretrained import load_pretrained_backbone
from skillsight.projects.gaze_estimation.angles import AngleBins

if TYPE_CHECKING:
    from transformers import ConvNextV2Model

__all__ = ["BinnedGazeHead", "PriviGazeStudent", "PriviGazeTeacher", "count_parameters"]


def count_parameters(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (shared tensors counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


class BinnedGazeHead(nn.Module):
    """Two linear heads (pitch, yaw) over angle bins and the softmax expectation in degrees."""

    centres_deg: torch.Tensor  # (num_bins,) buffer

    def __init__(self, dim: int, bins: AngleBins) -> None:
        super().__init__()
        self.pitch = nn.Linear(dim, bins.num_bins)
        self.yaw = nn.Linear(dim, bins.num_bins)
        self.register_buffer("centres_deg", bins.centres_deg_torch(), persistent=False)

    def forward(self, features: torch.Tensor) -> dict[str, torch.Tensor]:
        pitch_logits, yaw_logits = self.pitch(features), self.yaw(features)  # (B, bins) each
        logits = torch.stack([pitch_logits, yaw_logits], dim=1)  # (B, 2, bins)
        pitchyaw_deg = torch.softmax(logits, dim=-1) @ self.centres_deg  # (B, 2)
        return {
            "pitch_logits": pitch_logits,
            "yaw_logits": yaw_logits,
            "logits": logits,
            "pitchyaw_deg": pitchyaw_deg,
            "features": features,
        }


# ----------------------------------------------------------------------------------------- teacher
def _convnextv2(
    num_channels: int, hidden_sizes: Sequence[int], depths: Sequence[int], pretrained_path: str | None
) -> ConvNextV2Model:
    """A ConvNeXtV2 of the given layout: random init, or ALL weights of a local RGB folder.

    A 1-channel (grayscale face) backbone built from RGB weights gets the sum of the RGB stem filters
    (:func:`~skillsight.models.layers.stem_adaptation.adapt_stem_weight`, "grayscale"), so a gray face
    meets the stem as its three-equal-channel RGB copy would; a folder of another layout is refused.
    """
    from transformers import ConvNextV2Config, ConvNextV2Model

    cfg = ConvNextV2Config(num_channels=num_channels, hidden_sizes=list(hidden_sizes), depths=list(depths))
    if pretrained_path:
        what = "face_backbone_path" if num_channels == 1 else "eye_backbone_path"
        return load_pretrained_backbone(ConvNextV2Model, pretrained_path, cfg, stem="grayscale", what=what)
    return ConvNextV2Model(cfg)


def _gaussian_kernel(sigma_px: float) -> torch.Tensor:
    radius = max(1, math.ceil(3.0 * sigma_px))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32)
    g = torch.exp(-0.5 * (x / sigma_px) ** 2)
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]  # (1, 1, k, k)


class PriviGazeTeacher(DeclaredInputsModule):
    """Eyes (RGB, ConvNeXtV2-Atto) + blurred grayscale face (ConvNeXtV2-Nano), cross-attention fusion.

    Args:
        num_bins, bin_width_deg, bin_lo_deg: angle bins (defaults: MPIIFaceGaze, 28 x 3 deg from -42).
        face_size: face side in pixels (paper 224). eye_size: (h, w) of each eye crop.
        eye_hidden_sizes, eye_depths: eye backbone (ConvNeXtV2-Atto: 40..320, 2-2-6-2).
        face_hidden_sizes, face_depths: face backbone (ConvNeXtV2-Nano: 80..640, 2-2-8-2).
        dim: width of every branch feature and the fused feature (256).
        num_heads: cross-attention heads.
        face_blur_sigma_px: Gaussian blur applied to the face inside the model (privacy; 0 = none).
        share_eye_backbone: one backbone for both eyes (paper count) or one per eye.
        eye_backbone_path, face_backbone_path: optional local Hugging Face ConvNeXtV2 folders of these
            layouts (e.g. ImageNet ConvNeXtV2-Atto / -Nano); the face's RGB stem is adapted to grayscale.
    """

    input_names = ("face", "left_eye", "right_eye")
    sensors = ("rgb",)
    blur_kernel: torch.Tensor  # (1, 1, k, k) buffer

    def __init__(
        self,
        num_bins: int = 28,
        bin_width_deg: float = 3.0,
        bin_lo_deg: float = -42.0,
        face_size: int = 224,
        eye_size: Sequence[int] = (36, 60),
        eye_hidden_sizes: Sequence[int] = (40, 80, 160, 320),
        eye_depths: Sequence[int] = (2, 2, 6, 2),
        face_hidden_sizes: Sequence[int] = (80, 160, 320, 640),
        face_depths: Sequence[int] = (2, 2, 8, 2),
        dim: int = 256,
        num_heads: int = 4,
        face_blur_sigma_px: float = 4.0,
        share_eye_backbone: bool = True,
        eye_backbone_path: str | None = None,
        face_backbone_path: str | None = None,
    ) -> None:
        super().__init__()
        self.bins = AngleBins(num_bins, bin_width_deg, bin_lo_deg)
        self.face_size = int(face_size)
        self.eye_size = (int(eye_size[0]), int(eye_size[1]))
        self.face_backbone = _convnextv2(1, face_hidden_sizes, face_depths, face_backbone_path)
        self.left_eye_backbone = _convnextv2(3, eye_hidden_sizes, eye_depths, eye_backbone_path)
        self.right_eye_backbone = (
            self.left_eye_backbone
            if share_eye_backbone
            else _convnextv2(3, eye_hidden_sizes, eye_depths, eye_backbone_path)
        )
        self.face_proj = nn.Linear(face_hidden_sizes[-1], dim)
        self.eye_proj = nn.Linear(eye_hidden_sizes[-1], dim)
        self.eye_side = nn.Parameter(torch.zeros(2, dim))  # which eye a token came from
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.norm1 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim * 2, dim * 2), nn.GELU(), nn.Linear(dim * 2, dim))
        self.norm2 = nn.LayerNorm(dim)
        self.head = BinnedGazeHead(dim, self.bins)
        kernel = _gaussian_kernel(face_blur_sigma_px) if face_blur_sigma_px > 0 else torch.ones(1, 1, 1, 1)
        self.register_buffer("blur_kernel", kernel, persistent=False)

    def blur_face(self, face: torch.Tensor) -> torch.Tensor:
        """Gaussian-blur the grayscale face (B, 1, S, S) with reflect padding."""
        pad = self.blur_kernel.shape[-1] // 2
        if pad == 0:
            return face
        return F.conv2d(F.pad(face, (pad, pad, pad, pad), mode="reflect"), self.blur_kernel)

    def _eye_tokens(self, backbone: ConvNextV2Model, eye: torch.Tensor, side: int) -> torch.Tensor:
        fmap = backbone(pixel_values=eye - 0.5).last_hidden_state  # (B, C, h, w)
        tokens = backbone.layernorm(fmap.flatten(2).transpose(1, 2))  # (B, h*w, C), the backbone's final norm
        return self.eye_proj(tokens) + self.eye_side[side]  # (B, h*w, dim)

    def forward_features(
        self, face: torch.Tensor, left_eye: torch.Tensor, right_eye: torch.Tensor
    ) -> torch.Tensor:
        """Fused (B, dim) feature."""
        face_out = self.face_backbone(pixel_values=self.blur_face(face) - 0.5)
        face_token = self.face_proj(face_out.pooler_output)[:, None]  # (B, 1, dim)
        eyes = torch.cat(
            [
                self._eye_tokens(self.left_eye_backbone, left_eye, 0),
                self._eye_tokens(self.right_eye_backbone, right_eye, 1),
            ],
            dim=1,
        )  # (B, Ne, dim)
        attended, _ = self.attn(face_token, eyes, eyes, need_weights=False)  # (B, 1, dim)
        x = self.norm1(face_token + attended)[:, 0]  # (B, dim)
        eye_mean = eyes.mean(dim=1)  # (B, dim)
        return self.norm2(x + self.mlp(torch.cat([x, eye_mean], dim=-1)))

    def forward(
        self, face: torch.Tensor, left_eye: torch.Tensor, right_eye: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        return self.head(self.forward_features(face, left_eye, right_eye))

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        h, w = self.eye_size
        return {
            "face": torch.rand(batch_size, 1, self.face_size, self.face_size),
            "left_eye": torch.rand(batch_size, 3, h, w),
            "right_eye": torch.rand(batch_size, 3, h, w),
        }


# ----------------------------------------------------------------------------------------- student
class LightCorrection(nn.Module):
    """Learned global light correction: ``a * clamp(x, eps)^gamma + b`` (gamma = exp(log_gamma))."""

    def __init__(self) -> None:
        super().__init__()
        self.log_gamma = nn.Parameter(torch.zeros(()))
        self.scale = nn.Parameter(torch.ones(()))
        self.shift = nn.Parameter(torch.zeros(()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * x.clamp_min(1e-4).pow(torch.exp(self.log_gamma)) + self.shift - 0.5


def _conv_bn(
    cin: int, cout: int, kernel: tuple[int, int], stride: int = 1, groups: int = 1, act: bool = True
) -> nn.Sequential:
    pad = (kernel[0] // 2, kernel[1] // 2)
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, kernel, stride, pad, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class FactorisedInception(nn.Module):
    """Inception block: [1x3+3x1] (3x3 field), two stacked [1x3+3x1] (5x5 field) and 3x3 avg-pool
    branches, all depthwise, concatenated and merged by a grouped 1x1 conv, with a residual."""

    def __init__(self, channels: int, merge_groups: int = 8) -> None:
        super().__init__()
        c = channels
        self.b3 = nn.Sequential(_conv_bn(c, c, (1, 3), groups=c, act=False), _conv_bn(c, c, (3, 1), groups=c))
        self.b5 = nn.Sequential(_conv_bn(c, c, (1, 3), groups=c, act=False), _conv_bn(c, c, (3, 1), groups=c))
        self.pool = nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
        self.merge = _conv_bn(3 * c, c, (1, 1), groups=merge_groups, act=False)
        self.shuffle_groups = merge_groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b3 = self.b3(x)
        b5 = self.b5(b3)
        y = torch.stack(
            [b3, b5, self.pool(x)], dim=2
        )  # (B, C, 3, H, W): interleave so each group sees all branches
        B, C, K, H, W = y.shape
        y = y.reshape(B, C * K, H, W)  # (B, 3C, H, W)
        return F.relu(x + self.merge(y))


def _depthwise_separable(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(_conv_bn(cin, cin, (3, 3), stride=stride, groups=cin), _conv_bn(cin, cout, (1, 1)))


class PriviGazeStudent(DeclaredInputsModule):
    """The on-device student: grayscale face only, about 80K parameters at the default sizes.

    Args:
        num_bins, bin_width_deg, bin_lo_deg: angle bins (defaults: MPIIFaceGaze, 28 x 3 deg from -42).
        face_size: face side in pixels (paper 224; any size >= 32 works, the network is fully convolutional).
        stem_channels: stem width (32). stage_channels: widths after each downsampling (64, 96, 128).
        out_channels: width before pooling (160). proj_dim: feature width (128).
        merge_groups: groups of each inception block's 1x1 merge.
    """

    input_names = ("face",)
    sensors = ("rgb",)

    def __init__(
        self,
        num_bins: int = 28,
        bin_width_deg: float = 3.0,
        bin_lo_deg: float = -42.0,
        face_size: int = 224,
        stem_channels: int = 32,
        stage_channels: Sequence[int] = (64, 96, 128),
        out_channels: int = 160,
        proj_dim: int = 128,
        merge_groups: int = 16,
    ) -> None:
        super().__init__()
        self.bins = AngleBins(num_bins, bin_width_deg, bin_lo_deg)
        self.face_size = int(face_size)
        half = max(8, stem_channels // 2)
        self.light = LightCorrection()
        self.stem = nn.Sequential(
            _conv_bn(1, half, (5, 5), stride=2), _depthwise_separable(half, stem_channels, 2)
        )
        widths = [stem_channels, *stage_channels]
        stages: list[nn.Module] = []
        for cin, cout in pairwise(widths):
            stages.append(
                nn.Sequential(FactorisedInception(cin, merge_groups), _depthwise_separable(cin, cout, 2))
            )
        stages.append(
            nn.Sequential(
                FactorisedInception(widths[-1], merge_groups), _conv_bn(widths[-1], out_channels, (1, 1))
            )
        )
        self.stages = nn.Sequential(*stages)
        self.proj = nn.Sequential(nn.Linear(out_channels, proj_dim), nn.ReLU(inplace=True))
        self.head = BinnedGazeHead(proj_dim, self.bins)

    def forward_features(self, face: torch.Tensor) -> torch.Tensor:
        """(B, 1, S, S) in [0, 1] -> (B, proj_dim)."""
        x = self.stages(self.stem(self.light(face)))  # (B, out_channels, S/32, S/32)
        return self.proj(x.mean(dim=(2, 3)))

    def forward(self, face: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.head(self.forward_features(face))

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        return {"face": torch.rand(batch_size, 1, self.face_size, self.face_size)}


# -------------------------------------------------------------------------------------- registered
_DEMO_TEACHER = dict(
    eye_hidden_sizes=(24, 48, 96, 160),
    eye_depths=(1, 1, 2, 1),
    face_hidden_sizes=(24, 48, 96, 160),
    face_depths=(1, 1, 2, 1),
    dim=128,
    num_heads=4,
)


@register_model("privigaze_teacher")
def privigaze_teacher(**kwargs: Any) -> PriviGazeTeacher:
    """Paper size: ConvNeXtV2-Atto eyes (shared) + ConvNeXtV2-Nano face, 256-d; about 19M parameters."""
    return PriviGazeTeacher(**kwargs)


@register_model("privigaze_teacher_small")
def privigaze_teacher_small(**kwargs: Any) -> PriviGazeTeacher:
    """A ~1M-parameter teacher (same architecture, narrow/shallow ConvNeXtV2s) for the CPU demo."""
    args = {**_DEMO_TEACHER, "face_size": 64, "eye_size": (32, 48), "face_blur_sigma_px": 1.0, **kwargs}
    return PriviGazeTeacher(**args)


@register_model("privigaze_student")
def privigaze_student(**kwargs: Any) -> PriviGazeStudent:
    """Paper size: ~80K parameters (28 bins); 224x224 grayscale face."""
    return PriviGazeStudent(**kwargs)


@register_model("test_privigaze_teacher")
def test_privigaze_teacher(**kwargs: Any) -> PriviGazeTeacher:
    """Tiny teacher for tests (32 px faces, 32x32 eyes)."""
    args = dict(
        eye_hidden_sizes=(8, 8, 16, 16),
        eye_depths=(1, 1, 1, 1),
        face_hidden_sizes=(8, 8, 16, 16),
        face_depths=(1, 1, 1, 1),
        dim=16,
        num_heads=2,
        face_size=32,
        eye_size=(32, 32),
        face_blur_sigma_px=1.0,
        num_bins=8,
        bin_width_deg=10.0,
        bin_lo_deg=-40.0,
    )
    return PriviGazeTeacher(**{**args, **kwargs})


@register_model("test_privigaze_student")
def test_privigaze_student(**kwargs: Any) -> PriviGazeStudent:
    """Tiny student for tests (32 px faces)."""
    args = dict(
        stem_channels=8,
        stage_channels=(8, 16, 16),
        out_channels=16,
        proj_dim=16,
        merge_groups=4,
        face_size=32,
        num_bins=8,
        bin_width_deg=10.0,
        bin_lo_deg=-40.0,
    )
    return PriviGazeStudent(**{**args, **kwargs})
