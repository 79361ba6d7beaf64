"""EgoDistill (Tan, Nagarajan & Grauman, NeurIPS 2023): video features rebuilt from sparse frames + IMU.

A frozen video model's clip feature ``z`` is the target; a light model sees only K sparse frames of the
clip (the camera is on for K frames instead of streaming) and the head motion between them, and is
trained to reconstruct ``z``; the task head classifies the reconstruction. As the paper's architecture:

* image encoder: a per-frame CNN (ResNet-18 layout at paper size), its K frame features aggregated in
  time by a GRU (final hidden state);
* head-motion encoder: a small 1D CNN over the IMU-like motion (angular and linear velocity, see
  :mod:`skillsight.data.extra_inputs.head_motion`), mean over time;
* fusion: concat -> MLP -> ``z_hat`` (the teacher's feature width) -> Linear -> skill logits.

Training, as the paper, in two stages: the head-motion encoder is first pretrained self-supervised to
anticipate the visual change between the clip's first and last sparse frame
(``task.motion_pretrain_epochs``, :mod:`skillsight.training.motion_pretraining`); then
(``task.kind = "distillation"``, the frozen teacher named by ``task.teacher_run``) the whole model learns
L1 between ``z_hat`` and the teacher's feature of the same clip (the paper's reconstruction objective) +
cross-entropy on the logits, starting from the pretrained motion encoder.

Power: the camera's duty cycle is K / num_frames (K captured frames where the dense teacher sees
``num_frames`` per window), the IMU is always on.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, clip_frames_args
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.frame_cnn import RESNET18_LAYOUT, FrameCNN
from skillsight.models.layers.heads import MLP
from skillsight.models.layers.timesformer_utils import check_video

__all__ = ["EGODISTILL_PRESETS", "EgoDistillStudent", "HeadMotionEncoder"]

MOTION_CHANNELS = 6  # angular velocity (3, rad/s) + linear velocity (3, m/s), device frame


class HeadMotionEncoder(nn.Module):
    """(B, M, 6) head motion + (B, M) validity -> (B, dim): BatchNorm, two 1D convs, mean over valid steps."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(MOTION_CHANNELS)
        self.conv1 = nn.Conv1d(MOTION_CHANNELS, dim // 2, kernel_size=5, padding=2)
        self.conv2 = nn.Conv1d(dim // 2, dim, kernel_size=5, padding=2)

    def forward(self, motion: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        valid = mask.to(motion.dtype).unsqueeze(1)  # (B, 1, M)
        x = self.norm(motion.transpose(1, 2)) * valid  # (B, 6, M); invalid steps carry nothing
        x = torch.relu(self.conv2(torch.relu(self.conv1(x))))  # (B, dim, M)
        return (x * valid).sum(-1) / valid.sum(-1).clamp(min=1.0)  # (B, dim)


class EgoDistillStudent(DeclaredInputsModule):
    """Sparse frames + head motion -> reconstructed teacher feature -> skill logits.

    Args:
        num_sparse_frames: K frames the camera captures per clip.
        num_frames: frames per clip of the dense teacher (the camera's duty cycle is K / num_frames).
        image_size: frame side S.
        frame_widths, frame_blocks: the per-frame CNN (ResNet-18 layout at paper size).
        motion_steps: M head-motion steps per clip.
        motion_dim: width of the head-motion feature.
        teacher_feature_dim: width of the frozen teacher's ``features`` (set from the teacher run).
        hidden_dim: fusion MLP width.
        num_classes: skill classes.
    """

    input_names: tuple[str, ...] = ("sparse_frames", "head_motion", "head_motion_mask")
    sensors: tuple[str, ...] = ("rgb", "imu")
    #: the distillation target is the teacher's feature itself (no random projection f_t).
    reconstructs_teacher_features: ClassVar[bool] = True

    def __init__(
        self,
        *,
        num_sparse_frames: int = 4,
        num_frames: int = 16,
        image_size: int = 224,
        frame_widths: Sequence[int] = RESNET18_LAYOUT[0],
        frame_blocks: Sequence[int] = RESNET18_LAYOUT[1],
        motion_steps: int = 64,
        motion_dim: int = 128,
        teacher_feature_dim: int = 768,
        hidden_dim: int = 1024,
        num_classes: int = len(PROFICIENCY_LABELS),
    ) -> None:
        super().__init__()
        if not 1 <= num_sparse_frames <= num_frames:
            raise ConfigError(
                f"num_sparse_frames must be in [1, num_frames={num_frames}], got {num_sparse_frames}"
            )
        if motion_steps < 1 or motion_dim < 2 or teacher_feature_dim < 1:
            raise ConfigError(
                f"need motion_steps >= 1, motion_dim >= 2, teacher_feature_dim >= 1; "
                f"got {motion_steps}, {motion_dim}, {teacher_feature_dim}"
            )
        self.num_sparse_frames, self.num_frames = int(num_sparse_frames), int(num_frames)
        self.image_size, self.motion_steps = int(image_size), int(motion_steps)
        self.frame_encoder = FrameCNN(tuple(frame_widths), tuple(frame_blocks))
        d_frame = self.frame_encoder.feature_dim
        self.temporal = nn.GRU(d_frame, d_frame, batch_first=True)
        self.motion_encoder = HeadMotionEncoder(int(motion_dim))
        self.motion_dim = int(motion_dim)
        self.fusion = MLP((d_frame + int(motion_dim), int(hidden_dim), int(teacher_feature_dim)))
        self.classifier = nn.Linear(int(teacher_feature_dim), int(num_classes))
        self.distill_dim = int(teacher_feature_dim)
        self.input_options = {
            "num_sparse_frames": self.num_sparse_frames,
            "head_motion_steps": self.motion_steps,
        }
        self.duty_cycles = {"rgb": self.num_sparse_frames / self.num_frames, "imu": 1.0}

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """sparse_frames (B, K, 3, S, S) normalised; head_motion (B, M, 6); head_motion_mask (B, M) bool.

        Returns:
            "logits" (B, classes); "distill_embedding" = "features" = z_hat (B, teacher_feature_dim).
        """
        self.check_input_names(inputs)
        K, S, M = self.num_sparse_frames, self.image_size, self.motion_steps
        frames = check_video(type(self).__name__, "sparse_frames", inputs["sparse_frames"], (-1, K, 3, S, S))
        B = frames.shape[0]
        motion = self.check_shape("head_motion", inputs["head_motion"], (B, M, MOTION_CHANNELS))
        mask = self.check_shape("head_motion_mask", inputs["head_motion_mask"], (B, M))
        per_frame = self.frame_encoder(frames.reshape(B * K, 3, S, S)).reshape(B, K, -1)  # (B, K, Df)
        _, last = self.temporal(per_frame)  # (1, B, Df)
        z_hat = self.fusion(torch.cat([last[0], self.motion_encoder(motion, mask)], dim=-1))  # (B, Dt)
        return {"logits": self.classifier(z_hat), "distill_embedding": z_hat, "features": z_hat}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random frames and head motion; the last motion step of every clip is invalid."""
        B, K, S, M = batch_size, self.num_sparse_frames, self.image_size, self.motion_steps
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, M, dtype=torch.bool)
        mask[:, -1] = False
        return {
            "sparse_frames": torch.randn(B, K, 3, S, S, generator=gen),
            "head_motion": 0.3 * torch.randn(B, M, MOTION_CHANNELS, generator=gen),
            "head_motion_mask": mask,
        }


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant (``teacher_feature_dim`` comes from the teacher run).
EGODISTILL_PRESETS: dict[str, dict[str, Any]] = {
    # Paper size: 4 sparse 224 px frames through a ResNet-18 layout + GRU; 64 motion steps per 8 s clip;
    # the target is a ViT-B video feature (768).
    "egodistill": dict(num_sparse_frames=4, image_size=224, teacher_feature_dim=768, hidden_dim=1024),
    # CPU demo: 64 px frames, widths 16..128 with one block per stage; target: the tiny TimeSformer (64).
    "egodistill_tiny": dict(
        num_sparse_frames=4,
        image_size=64,
        frame_widths=(16, 32, 64, 128),
        frame_blocks=(1, 1, 1, 1),
        motion_dim=64,
        teacher_feature_dim=64,
        hidden_dim=128,
    ),
    "test_egodistill": dict(
        num_sparse_frames=2,
        num_frames=4,
        image_size=32,
        frame_widths=(8, 16),
        frame_blocks=(1, 1),
        motion_steps=8,
        motion_dim=16,
        teacher_feature_dim=24,
        hidden_dim=32,
    ),
}


def _egodistill_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """EgoDistill: frames per clip, the frame size, and the teacher's feature width (the reconstruction
    target) when the run names a teacher run."""
    args: dict[str, Any] = {**clip_frames_args(cfg), "image_size": cfg.data.frame_px}
    if facts.teacher_feature_dim is not None:
        args["teacher_feature_dim"] = facts.teacher_feature_dim()
    return args


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> EgoDistillStudent:
        return EgoDistillStudent(**{**EGODISTILL_PRESETS[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"EgoDistillStudent preset {name!r}: {EGODISTILL_PRESETS[name]}"
    register_model(name, data_args=_egodistill_data_args)(factory)


for _name in EGODISTILL_PRESETS:
    _register(_name)
