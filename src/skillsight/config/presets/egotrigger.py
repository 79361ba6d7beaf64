"""EgoTrigger presets: the camera is switched on by audio events; the triggered frames are classified.

The SkillSight clip protocol (16 frames at 2 fps); each frame owns 0.5 s of the 16 kHz microphone track.
Paper: 224 px frames, AdamW 1e-4 for 15 epochs; tiny: the CPU demo protocol (AdamW 1e-3, 40 epochs).
"""

from __future__ import annotations

from skillsight.config.presets.registry import TINY_VIDEO_CACHE_MB, preset
from skillsight.config.schema import DataConfig, ModelConfig, OptimConfig, RunConfig, TrainerConfig

__all__: list[str] = []


@preset("egotrigger_paper")
def _egotrigger_paper() -> RunConfig:
    return RunConfig(
        name="egotrigger",
        data=DataConfig(frame_px=224, batch_size=16),
        model=ModelConfig(name="egotrigger"),
        optim=OptimConfig(optimizer="adamw", lr=1e-4, weight_decay=1e-2),
        trainer=TrainerConfig(max_epochs=15),
    )


@preset("egotrigger_tiny")
def _egotrigger_tiny() -> RunConfig:
    return RunConfig(
        name="egotrigger",
        data=DataConfig(num_val_clips=3, decoded_video_cache_mb=TINY_VIDEO_CACHE_MB),
        model=ModelConfig(name="egotrigger_tiny"),
        optim=OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2, milestones=[30], gamma=0.1),
        trainer=TrainerConfig(max_epochs=40),
    )
