"""SkillSight student F(G) -> skill (Wu, Ashutosh & Grauman, CVPR 2026): a gaze-only transformer.

The gaze sequence (B, T, C) is standardised per channel (fixed statistics of the training takes,
:mod:`skillsight.models.layers.standardize`; the identity until a run fits them), projected to d,
given fixed sinusoidal positions, and prefixed with up to three learned tokens [cls, act, dis]:

* cls -> skill logits (always);
* act -> sub-task ("action") logits, e.g. the Ego-Exo4D task_name within a scenario (piano / violin /
  guitar for music); trained with a 0.1-weighted cross-entropy by the distillation task;
* dis -> f_p(dis) (d -> 512 -> 256), regressed with L1 onto f_t(teacher features)
  (:class:`TeacherProjection`, 2304 -> 1280 -> 256), which lives here because the distillation
  task trains it together with the student.

Without act and dis tokens the model is the plain gaze-only baseline (``gaze_only_baseline*``).
Positions are given to the gaze steps only; the learned tokens are position-free identifiers.
Invalid gaze steps (``gaze_mask`` False) are masked as attention keys; the learned tokens are never
masked, so every query keeps at least one key. Within a valid step a channel can still be unobserved
(no head pose, no depth): ``gaze_channel_mask`` (B, T, C) says which, and a learned per-channel
"missing" embedding (a bias-free linear map of the missing indicators) is added to the step's
projection, so a missing pose is never read as a static head. With every channel observed that term
is zero and the model is exactly the one without it.

The paper trains one student per scenario. ``num_scenarios > 0`` instead adds a learned scenario
embedding to the cls token so that ONE student can serve all scenarios; it then takes a
``scenario`` input too (off by default, as in the paper).

The forward pass has no data-dependent Python control flow and exports to ONNX.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, gaze_sequence_args
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.heads import MLP
from skillsight.models.layers.positional import SinusoidalPositions
from skillsight.models.layers.sequence_encoder import SequenceEncoder
from skillsight.models.layers.standardize import ChannelStandardizer

__all__ = ["STUDENT_PRESETS", "SkillSightStudent", "TeacherProjection"]


class TeacherProjection(MLP):
    """f_t: teacher concat feature -> distillation target space (paper: 2304 -> 1280 -> 256).

    Args:
        teacher_feature_dim: width of the teacher's ``features`` output.
        hidden_dim: hidden width.
        out_dim: must equal the student's ``distill_dim``.
    """

    def __init__(self, teacher_feature_dim: int = 2304, hidden_dim: int = 1280, out_dim: int = 256) -> None:
        super().__init__((teacher_feature_dim, hidden_dim, out_dim))


class SkillSightStudent(DeclaredInputsModule):
    """Gaze-only SkillSight student (and, without act/dis tokens, the gaze-only baseline).

    Args:
        num_classes: skill classes.
        gaze_channels: channels per gaze step (14 for Ego-Exo4D; other counts for other datasets).
        num_steps: window length T used by ``example_inputs`` (16 gaze steps in the paper).
        max_steps: longest sequence the sinusoidal table covers.
        dim, num_layers, num_heads, ffn_dim, dropout: encoder (paper: 768, 4, 12, 2048).
        use_action_token: add the act token and its head.
        num_actions: sub-task classes of the act head (>= 1 when ``use_action_token``; set it from the
            dataset's task_name vocabulary).
        use_distill_token: add the dis token and f_p.
        distill_hidden, distill_dim: f_p widths (paper 512, 256).
        num_scenarios: > 0 adds a scenario embedding to cls and a ``scenario`` input.
        use_channel_mask: take the ``gaze_channel_mask`` input (per-channel validity, see above).
    """

    # Class-level value of the default configuration; ``num_scenarios > 0`` adds "scenario" per instance.
    input_names: tuple[str, ...] = ("gaze", "gaze_mask", "gaze_channel_mask")
    sensors: tuple[str, ...] = ("eye_tracker",)

    def __init__(
        self,
        *,
        num_classes: int = len(PROFICIENCY_LABELS),
        gaze_channels: int = 14,
        num_steps: int = 16,
        max_steps: int = 512,
        dim: int = 768,
        num_layers: int = 4,
        num_heads: int = 12,
        ffn_dim: int = 2048,
        dropout: float = 0.1,
        use_action_token: bool = True,
        num_actions: int = 3,
        use_distill_token: bool = True,
        distill_hidden: int = 512,
        distill_dim: int = 256,
        num_scenarios: int = 0,
        use_channel_mask: bool = True,
    ) -> None:
        super().__init__()
        if use_action_token and num_actions < 1:
            raise ConfigError(f"use_action_token needs num_actions >= 1, got {num_actions}")
        if num_steps < 1 or num_steps > max_steps:
            raise ConfigError(f"num_steps must be in [1, max_steps={max_steps}], got {num_steps}")
        self.num_classes, self.gaze_channels, self.num_steps = num_classes, gaze_channels, num_steps
        self.use_action_token, self.use_distill_token = use_action_token, use_distill_token
        self.num_actions = num_actions if use_action_token else 0
        self.distill_dim = distill_dim if use_distill_token else 0
        self.num_scenarios = num_scenarios
        self.num_tokens = 1 + int(use_action_token) + int(use_distill_token)
        self.act_index = 1 if use_action_token else -1
        self.dis_index = self.num_tokens - 1 if use_distill_token else -1

        self.gaze_standardizer = ChannelStandardizer(gaze_channels, "gaze")  # identity until fitted
        self.input_proj = nn.Linear(gaze_channels, dim)
        self.use_channel_mask = bool(use_channel_mask)
        self.missing_proj = nn.Linear(gaze_channels, dim, bias=False) if use_channel_mask else None
        self.positions = SinusoidalPositions(dim, max_steps)
        self.tokens = nn.Parameter(torch.randn(1, self.num_tokens, dim) * 0.02)  # [cls, (act), (dis)]
        self.scenario_embedding = nn.Embedding(num_scenarios, dim) if num_scenarios > 0 else None
        self.encoder = SequenceEncoder(dim, num_layers, num_heads, ffn_dim, dropout)
        self.skill_head = nn.Linear(dim, num_classes)
        self.action_head = nn.Linear(dim, num_actions) if use_action_token else None
        self.distill_projection = MLP((dim, distill_hidden, distill_dim)) if use_distill_token else None
        names = ("gaze", "gaze_mask") + (("gaze_channel_mask",) if use_channel_mask else ())
        names += ("scenario",) if num_scenarios > 0 else ()
        self.input_names = names

    def forward_features(
        self,
        *,
        gaze: torch.Tensor,
        gaze_mask: torch.Tensor,
        gaze_channel_mask: torch.Tensor | None = None,
        scenario: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Encoded tokens (B, K + T, dim); the first K = ``num_tokens`` are [cls, (act), (dis)]."""
        if gaze.dim() != 3 or gaze.shape[-1] != self.gaze_channels:
            raise DataFormatError(
                type(self).__name__, "gaze", tuple(gaze.shape), f"expected (B, T, {self.gaze_channels})"
            )
        B, T, _ = gaze.shape
        if tuple(gaze_mask.shape) != (B, T):
            raise DataFormatError(
                type(self).__name__, "gaze_mask", tuple(gaze_mask.shape), f"expected {(B, T)}"
            )
        observed = gaze_mask.bool().unsqueeze(-1)  # (B, T, 1)
        if gaze_channel_mask is not None and tuple(gaze_channel_mask.shape) == tuple(gaze.shape):
            observed = observed & gaze_channel_mask.bool()  # (B, T, C)
        x = self.input_proj(self.gaze_standardizer(gaze, observed))  # (B, T, dim); unobserved values 0
        if self.missing_proj is not None:
            if gaze_channel_mask is None or tuple(gaze_channel_mask.shape) != tuple(gaze.shape):
                shape = None if gaze_channel_mask is None else tuple(gaze_channel_mask.shape)
                raise DataFormatError(
                    type(self).__name__, "gaze_channel_mask", shape, f"expected {tuple(gaze.shape)} bool"
                )
            x = x + self.missing_proj((~gaze_channel_mask.bool()).to(x.dtype))  # (B, T, dim)
        elif gaze_channel_mask is not None:
            raise DataFormatError(
                type(self).__name__,
                "gaze_channel_mask",
                tuple(gaze_channel_mask.shape),
                "this student was built with use_channel_mask=False",
            )
        x = self.positions(x)  # (B, T, dim)
        tokens = self.tokens.expand(B, -1, -1)  # (B, K, dim)
        if self.scenario_embedding is not None:
            if scenario is None or tuple(scenario.shape) != (B,):
                shape = None if scenario is None else tuple(scenario.shape)
                raise DataFormatError(type(self).__name__, "scenario", shape, f"expected {(B,)} scenario ids")
            cls = tokens[:, :1] + self.scenario_embedding(scenario.long()).unsqueeze(1)  # (B, 1, dim)
            tokens = torch.cat([cls, tokens[:, 1:]], dim=1)  # (B, K, dim)
        elif scenario is not None:
            raise DataFormatError(
                type(self).__name__,
                "scenario",
                tuple(scenario.shape),
                "this student has no scenario embedding (num_scenarios=0)",
            )
        seq = torch.cat([tokens, x], dim=1)  # (B, K + T, dim)
        # The learned tokens are never padded, so every query keeps at least one key.
        never = torch.zeros(B, self.num_tokens, dtype=torch.bool, device=gaze.device)  # (B, K)
        padding = torch.cat([never, ~gaze_mask.bool()], dim=1)  # (B, K + T), True = ignore
        return self.encoder(seq, padding)

    def forward_head(self, hidden: torch.Tensor) -> dict[str, torch.Tensor]:
        """Heads on the token outputs: "logits", "action_logits", "distill_embedding" (when enabled)."""
        out = {"logits": self.skill_head(hidden[:, 0])}  # (B, num_classes)
        if self.action_head is not None:
            out["action_logits"] = self.action_head(hidden[:, self.act_index])  # (B, num_actions)
        if self.distill_projection is not None:
            out["distill_embedding"] = self.distill_projection(hidden[:, self.dis_index])  # (B, distill_dim)
        return out

    def forward(
        self,
        *,
        gaze: torch.Tensor,
        gaze_mask: torch.Tensor,
        gaze_channel_mask: torch.Tensor | None = None,
        scenario: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Classify a gaze window.

        Args:
            gaze: (B, T, C) gaze channels per step (NaN already replaced; validity in ``gaze_mask``).
            gaze_mask: (B, T) bool, True where the step is valid.
            gaze_channel_mask: (B, T, C) bool, True where a channel of a step is observed (with
                ``use_channel_mask``).
            scenario: (B,) int64, only when ``num_scenarios > 0``.

        Returns:
            "logits" (B, num_classes); "action_logits" (B, num_actions) with the act token;
            "distill_embedding" (B, distill_dim) with the dis token.
        """
        hidden = self.forward_features(
            gaze=gaze, gaze_mask=gaze_mask, gaze_channel_mask=gaze_channel_mask, scenario=scenario
        )
        return self.forward_head(hidden)

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random gaze windows of ``num_steps`` steps, the last step of each marked invalid."""
        B, T = batch_size, self.num_steps
        gen = torch.Generator().manual_seed(0)
        mask = torch.ones(B, T, dtype=torch.bool)
        mask[:, -1] = False
        inputs = {"gaze": torch.randn(B, T, self.gaze_channels, generator=gen), "gaze_mask": mask}
        if self.use_channel_mask:
            channels = torch.ones(B, T, self.gaze_channels, dtype=torch.bool)
            channels[:, : T // 2, 6:13] = False  # e.g. no head pose in the first half
            channels[:, -1] = False
            inputs["gaze_channel_mask"] = channels
        if self.num_scenarios > 0:
            inputs["scenario"] = torch.arange(B) % self.num_scenarios
        return inputs


# ------------------------------------------------------------------------------ registered variants
_PAPER = dict(dim=768, num_layers=4, num_heads=12, ffn_dim=2048, distill_hidden=512, distill_dim=256)
_COMPACT = dict(dim=128, num_layers=2, num_heads=4, ffn_dim=256, distill_hidden=256, distill_dim=256)
_TINY = dict(dim=64, num_layers=2, num_heads=4, ffn_dim=128, distill_hidden=128, distill_dim=64)
_TEST = dict(
    dim=32, num_layers=1, num_heads=4, ffn_dim=64, distill_hidden=32, distill_dim=16, num_steps=8, dropout=0.0
)
_BASELINE = dict(use_action_token=False, use_distill_token=False)

#: constructor arguments of each registered variant.
STUDENT_PRESETS: dict[str, dict[str, Any]] = {
    "skillsight_student": _PAPER,
    "skillsight_student_compact": _COMPACT,
    "skillsight_student_tiny": _TINY,
    "test_skillsight_student": _TEST,
    "gaze_only_baseline": {**_PAPER, **_BASELINE},
    "gaze_only_baseline_compact": {**_COMPACT, **_BASELINE},
    "gaze_only_baseline_tiny": {**_TINY, **_BASELINE},
    "test_gaze_only_baseline": {**_TEST, **_BASELINE},
}


def _student_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Student: one gaze step per clip frame and the action head over the data's sub-tasks."""
    return gaze_sequence_args(cfg, facts, actions=True)


def _gaze_only_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """Gaze-only baseline: one gaze step per clip frame (it has no action head)."""
    return gaze_sequence_args(cfg, facts, actions=False)


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> SkillSightStudent:
        return SkillSightStudent(**{**STUDENT_PRESETS[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"SkillSight student preset {name!r}: {STUDENT_PRESETS[name]}"
    hook = _gaze_only_data_args if "gaze_only" in name else _student_data_args
    register_model(name, data_args=hook)(factory)


for _name in STUDENT_PRESETS:
    _register(_name)
