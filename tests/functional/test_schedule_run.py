"""A SkillFormer run with the paper's optimisation (cosine, linear warm-up, gradient accumulation, AdamW
without decay on norms and biases) trains through the one loop: the learning rate of every optimiser step
is the closed form's and the optimiser steps exactly ceil(batches / accumulation) times per epoch."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.config.presets.video_baselines import skillformer_optim
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, STEPS_CSV
from skillsight.training.skill_run import train_run

LR, WARMUP, EPOCHS, BATCH, ACCUMULATE = 1e-3, 0.34, 2, 2, 4


def test_cosine_warmup_and_accumulation_give_the_closed_form_rates(small_skill_dataset: Path, tmp_path: Path):
    cfg = load_config(
        "skillformer_ego_tiny",
        [
            f"data.root={small_skill_dataset}",
            "data.frame_px=32",
            "data.num_val_clips=1",
            "data.num_test_clips=1",
            f"data.batch_size={BATCH}",
            f"trainer.max_epochs={EPOCHS}",
            f"trainer.accumulate_grad_batches={ACCUMULATE}",
            "trainer.log_every_n_steps=1",
            "trainer.check_val_every_n_epoch=2",
            "trainer.progress_bar=false",
        ],
    )
    cfg.optim = skillformer_optim(LR)
    cfg.optim.warmup_ratio = WARMUP  # a warm-up of 2 steps in this short run (the paper's 10 % rounds to 1)
    run = train_run(cfg, tmp_path / "run")
    batches = math.ceil(24 / BATCH)  # 24 training takes: 12 batches, 3 optimiser steps per epoch
    steps = EPOCHS * math.ceil(batches / ACCUMULATE)
    state, _ = read_resume_checkpoint(run / LAST_CHECKPOINT)
    assert state["global_step"] == steps == 6
    with (run / STEPS_CSV).open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in rows] == list(range(steps)), "one row per optimiser step"
    warm = round(WARMUP * steps)  # 2
    expected = [LR * (k + 1) / warm for k in range(warm)] + [
        LR * 0.5 * (1 + math.cos(math.pi * (k - warm) / (steps - warm))) for k in range(warm, steps)
    ]
    assert [float(r["lr"]) for r in rows] == pytest.approx(expected, rel=1e-9)
    assert [round(v / LR, 3) for v in expected] == [0.5, 1.0, 1.0, 0.854, 0.5, 0.146]
    groups = state["optimizer_states"][0]["param_groups"]
    assert [g["weight_decay"] for g in groups] == [0.01, 0.0], "norms and biases are not decayed"
