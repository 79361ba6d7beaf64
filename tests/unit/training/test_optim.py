"""Optimiser and schedules: warm-up (ratio or epochs), step and cosine, per step or per epoch, and the
weight-decay groups, checked against their closed forms."""

from __future__ import annotations

import math

import pytest
from torch import nn

from skillsight.config import OptimConfig, load_config
from skillsight.exceptions import ConfigError
from skillsight.training.optim import ScheduleSpan, build_optimizer, build_scheduler, lr_factor


def _lrs(optim: OptimConfig, steps_total: int, steps_per_epoch: int, epochs: int, units: int) -> list[float]:
    opt = build_optimizer(nn.Linear(1, 1, bias=False), optim)
    sched, _ = build_scheduler(opt, optim, steps_total, steps_per_epoch, epochs)
    lrs = []
    for _ in range(units):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


def test_epoch_interval_keeps_the_per_epoch_warmup_and_milestones():
    optim = OptimConfig(optimizer="sgd", lr=1.0, milestones=[2, 4], warmup_epochs=2, interval="epoch")
    assert _lrs(optim, 50, 10, 5, 5) == pytest.approx([0.5, 1.0, 0.1, 0.1, 0.01])


def test_step_interval_warms_up_per_step_and_decays_at_milestone_epochs():
    optim = OptimConfig(optimizer="sgd", lr=1.0, milestones=[2], warmup_epochs=0.5)  # 4 steps per epoch
    lrs = _lrs(optim, 16, 4, 4, 16)
    assert lrs[:2] == pytest.approx([0.5, 1.0]), "half an epoch = 2 steps of warm-up"
    assert lrs[2:8] == pytest.approx([1.0] * 6)
    assert lrs[8:] == pytest.approx([0.1] * 8), "milestone epoch 2 starts at step 8"


def test_cosine_with_warmup_ratio_and_floor_matches_the_closed_form():
    total, ratio, floor = 20, 0.1, 0.05
    f = lr_factor(
        OptimConfig(schedule="cosine", warmup_ratio=ratio, min_lr_ratio=floor), ScheduleSpan(total, 5)
    )
    warm = 2  # 10 % of 20 steps
    expected = [(k + 1) / warm for k in range(warm)] + [
        floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * (k - warm) / (total - warm)))
        for k in range(warm, total)
    ]
    assert [f(k) for k in range(total)] == pytest.approx(expected)
    assert f(total - 1) > floor and f(10_000) == pytest.approx(floor), "never below the floor"


def test_norms_and_biases_can_be_left_out_of_weight_decay():
    model = nn.Sequential(nn.Linear(3, 4), nn.LayerNorm(4), nn.Linear(4, 2, bias=False), nn.BatchNorm1d(2))
    model[2].requires_grad_(False)  # frozen: in no group
    decayed = build_optimizer(model, OptimConfig(weight_decay=0.1))
    assert [(g["weight_decay"], len(g["params"])) for g in decayed.param_groups] == [(0.1, 6)]
    split = build_optimizer(model, OptimConfig(weight_decay=0.1, decay_norms_and_biases=False))
    groups = {g["weight_decay"]: [tuple(p.shape) for p in g["params"]] for g in split.param_groups}
    assert groups == {0.1: [(4, 3)], 0.0: [(4,), (4,), (4,), (2,), (2,)]}, (
        "linear weights decay; the bias and both norm layers do not"
    )
    with pytest.raises(ConfigError, match="no trainable parameters"):
        build_optimizer(nn.Linear(2, 2).requires_grad_(False), OptimConfig())


@pytest.mark.parametrize(
    "override, message",
    [
        ("optim.schedule=linear", "'linear' is not allowed; valid: 'step', 'cosine'"),
        ("optim.warmup_ratio=1.5", "optim.warmup_ratio: must be < 1"),
        ("optim.interval=batch", "valid: 'step', 'epoch'"),
        ("optim.momentum=1", "optim.momentum: must be < 1"),
    ],
)
def test_schedule_settings_are_checked_up_front(override: str, message: str):
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        load_config("student_tiny", [override])


def test_milestones_with_cosine_and_two_warmups_are_refused():
    with pytest.raises(ConfigError, match="milestones=\\[3\\] apply to schedule 'step'"):
        load_config("student_tiny", ["optim.schedule=cosine", "optim.milestones=[3]"])
    with pytest.raises(ConfigError, match="give the warm-up one way"):
        load_config("student_tiny", ["optim.warmup_ratio=0.1", "optim.warmup_epochs=1"])
