"""Video + gaze baselines outside SkillSight's three-branch design: the naive end-to-end teacher and the
gaze-region rows (EgoExoLearn-style gaze crops, Beholder-style gaze-pooled full frames).

* ``naive_teacher_*``: gaze heat map + gaze channels fused into one TimeSformer's input; the teacher's
  recipes (tiny: AdamW 1e-3, 40 epochs; paper: ``teacher_paper``'s optimisation, the SkillSight paper's
  SGD nesterov 5e-3 for 15 epochs, batch 8).
* ``egoexolearn_*``: the gaze-crop TimeSformer (the crop row's recipes, see video_baselines.py).
* ``beholder_*``: full frames, gaze-weighted pooling; paper 224 px frames (ViT-S/16), AdamW 5e-5 for 15
  epochs as the other TimeSformer rows; tiny: 64 px, 8 px patches, AdamW 1e-3 for 40 epochs.
"""

from __future__ import annotations

from skillsight.config.presets.registry import PRESETS, TINY_VIDEO_CACHE_MB, preset
from skillsight.config.schema import DataConfig, ModelConfig, OptimConfig, RunConfig, TrainerConfig

__all__: list[str] = []


def _tiny_optim() -> OptimConfig:
    return OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2, milestones=[30], gamma=0.1)


def _tiny_data() -> DataConfig:
    return DataConfig(num_val_clips=3, decoded_video_cache_mb=TINY_VIDEO_CACHE_MB)


@preset("naive_teacher_paper")
def _naive_paper() -> RunConfig:
    cfg = PRESETS.get("teacher_paper")()
    cfg.name, cfg.model = "naive_teacher", ModelConfig(name="naive_teacher")
    return cfg


@preset("naive_teacher_tiny")
def _naive_tiny() -> RunConfig:
    return RunConfig(
        name="naive_teacher",
        data=_tiny_data(),
        model=ModelConfig(name="naive_teacher_tiny"),
        optim=_tiny_optim(),
        trainer=TrainerConfig(max_epochs=40),
    )


@preset("beholder_paper")
def _beholder_paper() -> RunConfig:
    return RunConfig(
        name="beholder",
        data=DataConfig(frame_px=224, batch_size=4),
        model=ModelConfig(name="beholder_gaze_pool"),
        optim=OptimConfig(optimizer="adamw", lr=5e-5, weight_decay=1e-2),
        trainer=TrainerConfig(max_epochs=15),
    )


@preset("beholder_tiny")
def _beholder_tiny() -> RunConfig:
    return RunConfig(
        name="beholder",
        data=_tiny_data(),
        model=ModelConfig(name="beholder_gaze_pool_tiny"),
        optim=_tiny_optim(),
        trainer=TrainerConfig(max_epochs=40),
    )


@preset("egoexolearn_paper")
def _egoexolearn_paper() -> RunConfig:
    cfg = PRESETS.get("gaze_crop_paper")()
    cfg.name = "egoexolearn"
    return cfg


@preset("egoexolearn_tiny")
def _egoexolearn_tiny() -> RunConfig:
    cfg = PRESETS.get("gaze_crop_tiny")()
    cfg.name = "egoexolearn"
    return cfg
