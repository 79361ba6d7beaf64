"""The optimiser and learning-rate schedule of every task, built from an :class:`OptimConfig`.

Schedules are a factor on the base learning rate, a function of the optimiser step (``interval
"step"``; with gradient accumulation one step is ``accumulate_grad_batches`` batches) or of the epoch
(``interval "epoch"``):

* warm-up: ``(k + 1) / W`` for the first ``W`` units (``W`` = ``warmup_ratio`` x all steps, or
  ``warmup_epochs`` x steps per epoch), so the first step already learns and step ``W - 1`` reaches
  the full rate;
* ``step``: x ``gamma`` at each milestone epoch (milestones are epochs in both intervals);
* ``cosine``: after the warm-up, ``floor + (1 - floor) * (1 + cos(pi * p)) / 2`` with ``p`` the share
  of the post-warm-up units done and ``floor = min_lr_ratio``.

Example:
    >>> from skillsight.config import OptimConfig
    >>> f = lr_factor(OptimConfig(schedule="cosine", warmup_ratio=0.25), ScheduleSpan(8, 8))
    >>> [round(f(k), 3) for k in range(8)]
    [0.5, 1.0, 1.0, 0.933, 0.75, 0.5, 0.25, 0.067]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from skillsight.config import OptimConfig
from skillsight.exceptions import ConfigError

__all__ = ["ScheduleSpan", "build_optimizer", "build_scheduler", "lr_factor", "parameter_groups"]


@dataclass(frozen=True)
class ScheduleSpan:
    """How long training is, in the schedule's units: ``total`` units, ``per_epoch`` units per epoch."""

    total: int
    per_epoch: int

    def __post_init__(self) -> None:
        if self.total < 1 or self.per_epoch < 1:
            raise ConfigError(f"schedule span needs >= 1 step in all and per epoch, got {self}")


def _is_norm(module: nn.Module) -> bool:
    norms = (nn.LayerNorm, nn.GroupNorm, nn.LocalResponseNorm, nn.modules.batchnorm._NormBase)
    return isinstance(module, norms) or "Norm" in type(module).__name__  # e.g. ConvNextV2LayerNorm


def parameter_groups(module: nn.Module, optim: OptimConfig) -> list[dict[str, object]]:
    """Optimiser parameter groups over ``module``'s trainable parameters, in ``named_parameters`` order:
    one group, or (``decay_norms_and_biases=False``) one with weight decay and one without for every
    bias and every parameter of a normalisation layer (the Hugging Face Trainer's rule)."""
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    seen: set[int] = set()
    for sub in module.modules():
        for name, param in sub.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            exempt = not optim.decay_norms_and_biases and (_is_norm(sub) or name == "bias")
            (no_decay if exempt else decay).append(param)
    if not decay and not no_decay:
        raise ConfigError("the task has no trainable parameters for the optimiser")
    return [
        group
        for group in (
            {"params": decay, "weight_decay": optim.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        )
        if group["params"]
    ]


def build_optimizer(module: nn.Module, optim: OptimConfig) -> torch.optim.Optimizer:
    """SGD (momentum, optionally nesterov) or AdamW over ``module``'s trainable parameters."""
    groups = parameter_groups(module, optim)
    if optim.optimizer == "sgd":
        return torch.optim.SGD(
            groups,
            lr=optim.lr,
            momentum=optim.momentum,
            nesterov=optim.nesterov and optim.momentum > 0,
            weight_decay=optim.weight_decay,
        )
    if optim.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=optim.lr, weight_decay=optim.weight_decay)
    raise ConfigError(f"optim.optimizer {optim.optimizer!r} is not one of 'sgd', 'adamw'")


def lr_factor(optim: OptimConfig, span: ScheduleSpan) -> Callable[[int], float]:
    """The schedule as a function of the unit index ``k`` (0 = the first step or epoch)."""
    if optim.warmup_ratio > 0:
        warmup = max(1, round(optim.warmup_ratio * span.total))
    else:
        warmup = round(optim.warmup_epochs * span.per_epoch)
    milestones = sorted(m * span.per_epoch for m in optim.milestones)
    cosine_units = max(1, span.total - warmup)
    floor = optim.min_lr_ratio

    def factor(k: int) -> float:
        warm = min(1.0, (k + 1) / warmup) if warmup > 0 else 1.0
        if optim.schedule == "cosine":
            if k < warmup:
                return warm
            progress = min(1.0, (k - warmup) / cosine_units)
            return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
        return warm * optim.gamma ** sum(k >= m for m in milestones)

    return factor


def build_scheduler(
    opt: torch.optim.Optimizer, optim: OptimConfig, steps_total: int, steps_per_epoch: int, epochs: int
) -> tuple[torch.optim.lr_scheduler.LambdaLR, str]:
    """The schedule of ``optim`` for a run of ``steps_total`` optimiser steps (``steps_per_epoch`` each
    epoch, ``epochs`` epochs); returns the scheduler and its Lightning interval ("step" or "epoch")."""
    if optim.interval == "epoch":
        span = ScheduleSpan(max(1, epochs), 1)
    else:
        span = ScheduleSpan(max(1, steps_total), max(1, steps_per_epoch))
    return torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(optim, span)), optim.interval
