"""The SkillFormer recipe presets and the GPU variants of the paper recipes: every value as the papers
give it (the SkillSight and SkillFormer papers), and the paper's effective batch on 1 and on 8 GPUs."""

from __future__ import annotations

import pytest

from skillsight.config import PRESETS, effective_batch_size, load_config
from skillsight.config.presets.hardware import PAPER_EFFECTIVE_BATCH

#: SkillFormer configuration -> (frames, learning rate) (its paper, per view configuration)
SKILLFORMER = {
    "skillformer_ego": (32, 5e-5),
    "skillformer_exos": (24, 3e-5),
    "skillformer_egoexos": (16, 2e-5),
}


@pytest.mark.parametrize("stem", sorted(SKILLFORMER))
def test_skillformer_presets_use_the_papers_optimisation(stem: str) -> None:
    cfg = load_config(f"{stem}_paper")
    frames, lr = SKILLFORMER[stem]
    assert (cfg.data.num_frames, cfg.data.frame_px, cfg.optim.lr, cfg.trainer.max_epochs) == (
        frames,
        224,
        lr,
        4,
    )
    o = cfg.optim
    assert (o.optimizer, o.schedule, o.warmup_ratio, o.weight_decay, o.interval) == (
        "adamw",
        "cosine",
        0.1,
        0.01,
        "step",
    )
    assert o.decay_norms_and_biases is False, "the Hugging Face Trainer's AdamW groups"
    assert (cfg.data.batch_size, cfg.trainer.accumulate_grad_batches) == (4, 4)
    assert effective_batch_size(cfg.data.batch_size, cfg.trainer) == 16


@pytest.mark.parametrize("recipe", sorted(PAPER_EFFECTIVE_BATCH))
@pytest.mark.parametrize("gpus", [1, 8])
def test_gpu_presets_keep_the_papers_effective_batch(recipe: str, gpus: int) -> None:
    cfg = load_config(f"{recipe}_{gpus}gpu")
    paper = {"teacher": 8, "teacher_released": 8, "video_only": 8, "student": 32, "gaze_only": 32}.get(
        recipe.removesuffix("_paper"), 16
    )
    assert PAPER_EFFECTIVE_BATCH[recipe] == paper
    assert effective_batch_size(cfg.data.batch_size, cfg.trainer) == paper
    t = cfg.trainer
    assert (t.accelerator, t.devices, t.num_nodes, t.precision) == ("gpu", gpus, 1, "bf16-mixed")
    assert t.strategy == ("ddp" if gpus == 8 else "auto")
    assert (cfg.data.num_workers, cfg.data.pin_memory) == (8, True)
    base = load_config(recipe)
    assert (cfg.model, cfg.optim, cfg.task, t.max_epochs) == (
        base.model,
        base.optim,
        base.task,
        base.trainer.max_epochs,
    )


def test_the_split_over_8_gpus() -> None:
    per_gpu = {
        r: load_config(f"{r}_8gpu").data.batch_size
        for r in ("teacher_paper", "student_paper", "skillformer_ego_paper")
    }
    assert per_gpu == {"teacher_paper": 1, "student_paper": 4, "skillformer_ego_paper": 2}
    assert load_config("teacher_paper_1gpu").trainer.gradient_checkpointing is True
    assert load_config("student_paper_1gpu").trainer.gradient_checkpointing is False, "no video backbone"


def test_every_gpu_preset_is_registered() -> None:
    assert {f"{r}_{g}gpu" for r in PAPER_EFFECTIVE_BATCH for g in (1, 8)} <= set(PRESETS.names())
