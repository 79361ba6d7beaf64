"""Expert-Novice Soccer models: motion encoder, motion+gaze teacher, motion-only and gaze-only baselines.

Same pattern as the SkillSight teacher (Wu et al., CVPR 2026) with body motion in place of video:
each modality branch is a transformer over per-step features (input linear F -> d, positions, a
learned CLS token in front, CLS output = the branch embedding); the enabled branch embeddings are
concatenated into ``features`` and a fusion MLP (features -> hidden -> ReLU -> classes) gives
``logits``. The gaze-only STUDENT is the generic ``skillsight_student*`` (models/skillsight_student.py)
distilled from this teacher's ``features``; it is not defined here.

Branches can be switched off: the motion-only baseline is the teacher without its gaze branch and
the gaze-only baseline the teacher without its motion branch (the paper's "gaze dynamics encoder
alone"), so the three rows differ only in the inputs they see. Body motion comes from a suit of IMUs
(Perception Neuron), hence the sensor name "imu".

A sample whose motion is missing can be given with ``motion_mask`` all False: the motion CLS token
then attends to itself only (keys of invalid steps are masked, the CLS key never is).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.heads import MLP
from skillsight.models.layers.positional import LearnedPositions, SinusoidalPositions
from skillsight.models.layers.sequence_encoder import SequenceEncoder

__all__ = ["MOTION_FEATURES_DEFAULT", "SOCCER_PRESETS", "MotionEncoder", "SequenceBranch", "SoccerTeacher"]

#: Perception Neuron features per step in the dataset (21 bones x 16).
MOTION_FEATURES_DEFAULT = 336
#: Glasses 2 channels per step in the dataset (soccer_gaze.GAZE_FEATURES).
GAZE_CHANNELS_DEFAULT = 25


class SequenceBranch(nn.Module):
    """CLS-token transformer over a (B, T, F) feature sequence -> (B, dim).

    Args:
        in_features: F per step.
        dim: model width d.
        num_layers, num_heads, ffn_dim, dropout: encoder.
        max_steps: longest T.
        positions: "learned" or "sinusoidal".
    """

    def __init__(
        self,
        in_features: int,
        dim: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float = 0.1,
        max_steps: int = 256,
        positions: str = "learned",
    ) -> None:
        super().__init__()
        if positions not in ("learned", "sinusoidal"):
            raise ConfigError(f"positions must be 'learned' or 'sinusoidal', got {positions!r}")
        self.in_features = in_features
        self.proj = nn.Linear(in_features, dim)
        self.positions = (
            LearnedPositions(dim, max_steps)
            if positions == "learned"
            else SinusoidalPositions(dim, max_steps)
        )
        self.cls = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) features, mask: (B, T) bool True = valid step -> CLS embedding (B, dim)."""
        B, _T, _ = x.shape
        h = self.positions(self.proj(x))  # (B, T, dim)
        seq = torch.cat([self.cls.expand(B, -1, -1), h], dim=1)  # (B, 1 + T, dim)
        padding = torch.cat(
            [torch.zeros_like(mask[:, :1], dtype=torch.bool), ~mask.bool()], dim=1
        )  # (B, 1 + T)
        return self.encoder(seq, padding)[:, 0]


class MotionEncoder(SequenceBranch):
    """Motion branch: a :class:`SequenceBranch` over per-step joint features (336 for the dataset)."""


class SoccerTeacher(DeclaredInputsModule):
    """Motion + gaze teacher (and, with a branch off, the motion-only / gaze-only baselines).

    Args:
        num_classes: 2 (novice, expert).
        gaze_channels: Cg per step. motion_features: Fm per step.
        num_steps: T used by ``example_inputs`` (the dataset's normalised time base).
        dim, num_layers, num_heads, ffn_dim, dropout: each branch's encoder.
        fusion_hidden: hidden width of the fusion MLP.
        use_motion, use_gaze: enabled branches (at least one).
        positions: "learned" or "sinusoidal" positions in both branches.
        max_steps: longest T.
    """

    def __init__(
        self,
        *,
        num_classes: int = 2,
        gaze_channels: int = GAZE_CHANNELS_DEFAULT,
        motion_features: int = MOTION_FEATURES_DEFAULT,
        num_steps: int = 16,
        dim: int = 32,
        num_layers: int = 2,
        num_heads: int = 4,
        ffn_dim: int = 64,
        dropout: float = 0.1,
        fusion_hidden: int = 32,
        use_motion: bool = True,
        use_gaze: bool = True,
        positions: str = "learned",
        max_steps: int = 256,
    ) -> None:
        super().__init__()
        if not (use_motion or use_gaze):
            raise ConfigError("SoccerTeacher needs at least one of use_motion / use_gaze")
        if not 1 <= num_steps <= max_steps:
            raise ConfigError(f"num_steps must be in [1, max_steps={max_steps}], got {num_steps}")
        self.num_classes, self.num_steps = num_classes, num_steps
        self.gaze_channels, self.motion_features = gaze_channels, motion_features
        self.use_motion, self.use_gaze = use_motion, use_gaze
        branch: dict[str, Any] = dict(
            dim=dim,
            num_layers=num_layers,
            num_heads=num_heads,
            ffn_dim=ffn_dim,
            dropout=dropout,
            max_steps=max_steps,
            positions=positions,
        )
        self.motion_branch = MotionEncoder(motion_features, **branch) if use_motion else None
        self.gaze_branch = SequenceBranch(gaze_channels, **branch) if use_gaze else None
        self.feature_dim = dim * (int(use_motion) + int(use_gaze))
        self.fusion = MLP((self.feature_dim, fusion_hidden, num_classes), dropout=dropout)
        names: tuple[str, ...] = (("gaze", "gaze_mask") if use_gaze else ()) + (
            ("motion", "motion_mask") if use_motion else ()
        )
        self.input_names = names
        self.sensors = (("eye_tracker",) if use_gaze else ()) + (("imu",) if use_motion else ())

    def forward_features(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Branch embeddings ("motion_embedding", "gaze_embedding") and their concat ``features``."""
        self.check_input_names(inputs)
        B, T = inputs[self.input_names[0]].shape[:2]
        out: dict[str, torch.Tensor] = {}
        if self.motion_branch is not None:
            motion = self.check_shape("motion", inputs["motion"], (B, T, self.motion_features))
            mask = self.check_shape("motion_mask", inputs["motion_mask"], (B, T))
            out["motion_embedding"] = self.motion_branch(motion.float(), mask)  # (B, dim)
        if self.gaze_branch is not None:
            gaze = self.check_shape("gaze", inputs["gaze"], (B, T, self.gaze_channels))
            mask = self.check_shape("gaze_mask", inputs["gaze_mask"], (B, T))
            out["gaze_embedding"] = self.gaze_branch(gaze.float(), mask)  # (B, dim)
        parts = [out[k] for k in ("motion_embedding", "gaze_embedding") if k in out]
        out["features"] = torch.cat(parts, dim=-1)  # (B, feature_dim)
        return out

    def forward_head(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, feature_dim) -> logits (B, num_classes)."""
        return self.fusion(features)

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """Keyword inputs named by ``input_names``.

        Shapes: gaze (B, T, Cg) normalised channels; gaze_mask (B, T) bool, True = valid; motion
        (B, T, Fm); motion_mask (B, T) bool (all False for a sample without motion).

        Returns:
            "logits" (B, num_classes), "features" (B, feature_dim) and the branch embeddings.
        """
        out = self.forward_features(**inputs)
        out["logits"] = self.forward_head(out["features"])
        return out

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random inputs for every declared name (the last step of each sequence marked invalid)."""
        B, T = batch_size, self.num_steps
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[:, -1] = False
        candidates = {
            "gaze": lambda: torch.randn(B, T, self.gaze_channels, generator=gen),
            "gaze_mask": lambda: mask.clone(),
            "motion": lambda: torch.randn(B, T, self.motion_features, generator=gen),
            "motion_mask": lambda: mask.clone(),
        }
        return {name: candidates[name]() for name in self.input_names}


# ------------------------------------------------------------------------------ registered variants
# CPU-sized (the benchmark trains ~250 models on 2 cores): 32-d branches, 2 layers, 16 time steps.
_BASE = dict(dim=32, num_layers=2, num_heads=4, ffn_dim=64, fusion_hidden=32, num_steps=16, dropout=0.1)
_TEST = dict(
    dim=16,
    num_layers=1,
    num_heads=2,
    ffn_dim=32,
    fusion_hidden=16,
    num_steps=6,
    dropout=0.0,
    gaze_channels=5,
    motion_features=7,
)

#: constructor arguments of each registered variant.
SOCCER_PRESETS: dict[str, dict[str, Any]] = {
    "soccer_teacher": _BASE,
    "soccer_motion_only": {**_BASE, "use_gaze": False},
    "soccer_gaze_only": {**_BASE, "use_motion": False},
    "test_soccer_teacher": _TEST,
    "test_soccer_motion_only": {**_TEST, "use_gaze": False},
    "test_soccer_gaze_only": {**_TEST, "use_motion": False},
}


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> SoccerTeacher:
        return SoccerTeacher(**{**SOCCER_PRESETS[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"Expert-Novice Soccer preset {name!r}: {SOCCER_PRESETS[name]}"
    register_model(name)(factory)


for _name in SOCCER_PRESETS:
    _register(_name)
