"""EgoDistill presets: reconstruct a frozen video teacher's clip feature from 4 sparse frames + head motion.

The teacher is a trained run named by ``task.teacher_run`` (``--teacher`` on the CLI): the TimeSformer
video baseline or the SkillSight teacher; its clip protocol (16 frames at 2 fps, 10 test clips) must be
the student's, so the sparse frames are 4 of the teacher's 16. Loss: L1(z_hat, z) (the paper's
reconstruction objective, weight ``task.distill_weight``) + cross-entropy. Paper: 224 px frames, AdamW 1e-4
for 15 epochs (the paper's optimiser settings are for Ego4D; these follow the other baselines here).

Before distillation, as the paper, the head-motion encoder is pretrained self-supervised
(``task.motion_pretrain_epochs``, :mod:`skillsight.training.motion_pretraining`): from the first sparse
frame's feature and the head motion it predicts the last frame's (InfoNCE). The paper's pretraining
schedule is for Ego4D; here it runs 10 epochs with the run's optimiser settings.
"""

from __future__ import annotations

from skillsight.config.presets.registry import TINY_VIDEO_CACHE_MB, preset
from skillsight.config.schema import (
    DataConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TaskConfig,
    TrainerConfig,
)

__all__: list[str] = []


@preset("egodistill_paper")
def _egodistill_paper() -> RunConfig:
    return RunConfig(
        name="egodistill",
        data=DataConfig(frame_px=224, batch_size=16),
        model=ModelConfig(name="egodistill"),
        optim=OptimConfig(optimizer="adamw", lr=1e-4, weight_decay=1e-2),
        task=TaskConfig(kind="distillation", distill_weight=1.0, motion_pretrain_epochs=10),
        trainer=TrainerConfig(max_epochs=15),
    )


@preset("egodistill_tiny")
def _egodistill_tiny() -> RunConfig:
    return RunConfig(
        name="egodistill",
        data=DataConfig(num_val_clips=3, decoded_video_cache_mb=TINY_VIDEO_CACHE_MB),
        model=ModelConfig(name="egodistill_tiny"),
        optim=OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2, milestones=[30], gamma=0.1),
        task=TaskConfig(kind="distillation", distill_weight=1.0, motion_pretrain_epochs=10),
        trainer=TrainerConfig(max_epochs=40),
    )
