"""GPU presets of the paper recipes: ``<recipe>_1gpu`` and ``<recipe>_8gpu`` keep the paper's effective
batch (samples per optimiser step over all processes) on one GPU or on 8 GPUs of one node.

* ``_1gpu``: the paper's batch on one device (SkillFormer: 4 x accumulation 4, as its paper trains);
* ``_8gpu``: DDP over 8 devices, the effective batch split evenly (teacher 1, student 4, SkillFormer 2
  per GPU), accumulation 1;
* both: bf16 mixed precision, 8 loader workers per process with pinned memory, and activation
  (gradient) checkpointing in the trainable video backbones of the one-GPU video presets, where one
  device holds the whole batch of 448 px clips. ``deterministic`` is off on GPUs: several CUDA kernels
  (e.g. index and scatter backwards) have no deterministic version and would stop training; the
  bit-exact resume guarantee is the CPU one.

Several nodes: add ``--set trainer.num_nodes=N`` and divide the per-device batch (or raise
accumulation) to keep the effective batch; Lightning takes ranks and addresses from torchrun or SLURM.
The recipes these derive from are read when a preset is created, so they follow later recipe changes.
"""

from __future__ import annotations

import dataclasses

from skillsight.config.presets import skillsight as _skillsight  # noqa: F401  (the SkillSight recipes)
from skillsight.config.presets import video_baselines  # noqa: F401  (the SkillFormer recipes)
from skillsight.config.presets.registry import PRESETS
from skillsight.config.schema import RunConfig

__all__ = ["PAPER_EFFECTIVE_BATCH", "on_gpus"]

#: recipe preset -> the paper's samples per optimiser step (the SkillSight and SkillFormer papers; the
#: video-only ablation uses the teacher's recipe)
PAPER_EFFECTIVE_BATCH: dict[str, int] = {
    "teacher_paper": 8,
    "teacher_released": 8,
    "video_only_paper": 8,
    "student_paper": 32,
    "gaze_only_paper": 32,
    "skillformer_ego_paper": 16,
    "skillformer_exos_paper": 16,
    "skillformer_egoexos_paper": 16,
}
_VIDEO_RECIPES = {
    "teacher_paper",
    "teacher_released",
    "video_only_paper",
    "skillformer_ego_paper",
    "skillformer_exos_paper",
    "skillformer_egoexos_paper",
}


def on_gpus(recipe: str, gpus: int) -> RunConfig:
    """``recipe`` (a paper preset) on ``gpus`` GPUs of one node with the paper's effective batch."""
    cfg = PRESETS.create(recipe)
    effective = PAPER_EFFECTIVE_BATCH[recipe]
    if gpus == 1:
        accumulate = cfg.trainer.accumulate_grad_batches  # the paper's own split (SkillFormer: 4 x 4)
        batch = effective // accumulate
    else:
        batch, accumulate = effective // gpus, 1  # the effective batches here are multiples of 8
    trainer = dataclasses.replace(
        cfg.trainer,
        accelerator="gpu",
        devices=gpus,
        strategy="ddp" if gpus > 1 else "auto",
        precision="bf16-mixed",
        accumulate_grad_batches=accumulate,
        gradient_checkpointing=gpus == 1 and recipe in _VIDEO_RECIPES,
        deterministic=False,
    )
    data = dataclasses.replace(cfg.data, batch_size=batch, num_workers=8, pin_memory=True)
    return dataclasses.replace(cfg, data=data, trainer=trainer)


for _recipe in PAPER_EFFECTIVE_BATCH:
    for _gpus in (1, 8):
        PRESETS.register(f"{_recipe}_{_gpus}gpu")(lambda recipe=_recipe, gpus=_gpus: on_gpus(recipe, gpus))
