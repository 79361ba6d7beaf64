"""Named run presets (``teacher_tiny``, ``student_paper``, ...): each a function returning a RunConfig.

Tiny presets are the CPU demo's recipes; paper presets follow the papers (sources in the comments).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skillsight.config.schema import (
    DataConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TaskConfig,
    TrainerConfig,
)
from skillsight.registry import Registry

__all__ = ["PRESETS"]


PRESETS: Registry[RunConfig] = Registry("config preset")


def _preset(name: str) -> Callable[[Callable[[], RunConfig]], Callable[[], RunConfig]]:
    return PRESETS.register(name)


#: decoded-video budget of the tiny presets: the demo's 144 takes x 5 views x 160 frames of 64 px = 1.4 GiB
_TINY_VIDEO_CACHE_MB = 2048


def _teacher_optim(epochs: int) -> OptimConfig:
    # Released SkillSight config: SGD nesterov, lr 1e-3, x0.1 at epoch 11 and x0.01 at 14 of 20.
    first, second = round(epochs * 11 / 20), round(epochs * 14 / 20)
    return OptimConfig(
        optimizer="sgd",
        lr=1e-3,
        weight_decay=1e-4,
        momentum=0.9,
        nesterov=True,
        milestones=[first, second],
        gamma=0.1,
    )


@_preset("teacher_paper")
def _teacher_paper() -> RunConfig:
    return RunConfig(
        name="teacher",
        data=DataConfig(frame_px=448, crop_px=224, batch_size=8),
        model=ModelConfig(name="skillsight_teacher"),
        optim=_teacher_optim(20),
        trainer=TrainerConfig(max_epochs=20),
    )


@_preset("teacher_tiny")
def _teacher_tiny() -> RunConfig:
    # CPU demo: AdamW 1e-3, not the paper's SGD. That recipe fine-tunes a pretrained (EgoVLPv2) backbone;
    # on the random-init tiny teacher, SGD (lr 2e-2, x0.1 at 22 and 28) fitted its training takes worse
    # than the gaze-only baseline did (train accuracy 0.51 vs 0.56, 3 seeds) and its gaze branch alone
    # reached 0.33 test accuracy vs 0.42 for the gaze-only model. Chosen on validation (seed 0, mean of
    # the last 10 epochs): AdamW 0.52 vs SGD 0.43. 72 training takes give 9 steps per epoch: 40 epochs.
    optim = OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2, milestones=[22, 28], gamma=0.1)
    return RunConfig(
        name="teacher",
        data=DataConfig(num_val_clips=3, decoded_video_cache_mb=_TINY_VIDEO_CACHE_MB),
        model=ModelConfig(name="skillsight_teacher_tiny"),
        optim=optim,
        trainer=TrainerConfig(max_epochs=40),
    )


@_preset("student_paper")
def _student_paper() -> RunConfig:
    return RunConfig(
        name="student",
        data=DataConfig(batch_size=32),
        model=ModelConfig(name="skillsight_student"),
        optim=OptimConfig(optimizer="adamw", lr=1e-4, weight_decay=1e-2),
        task=TaskConfig(kind="distillation", action_loss_weight=0.1, distill_weight=1.0),
        trainer=TrainerConfig(max_epochs=10),
    )


@_preset("student_tiny")
def _student_tiny() -> RunConfig:
    return RunConfig(
        name="student",
        data=DataConfig(batch_size=16, num_val_clips=3),
        model=ModelConfig(name="skillsight_student_tiny"),
        optim=OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2),
        task=TaskConfig(kind="distillation", action_loss_weight=0.1, distill_weight=1.0),
        trainer=TrainerConfig(max_epochs=60),  # 5 steps per epoch; a gaze epoch costs ~0.3 s on CPU
    )


@_preset("gaze_only_paper")
def _gaze_only_paper() -> RunConfig:
    cfg = _student_paper()
    cfg.name, cfg.model = "gaze_only", ModelConfig(name="gaze_only_baseline")
    cfg.task = TaskConfig(kind="supervised")
    return cfg


@_preset("gaze_only_tiny")
def _gaze_only_tiny() -> RunConfig:
    cfg = _student_tiny()
    cfg.name, cfg.model = "gaze_only", ModelConfig(name="gaze_only_baseline_tiny")
    cfg.task = TaskConfig(kind="supervised")
    return cfg


@_preset("video_only_tiny")
def _video_only_tiny() -> RunConfig:
    cfg = _teacher_tiny()
    cfg.name = "video_only"
    cfg.model = ModelConfig(
        name="skillsight_teacher_tiny",
        args={"use_video": True, "use_crops": False, "use_gaze": False, "use_gaze_bias": False},
    )
    return cfg


@_preset("video_only_paper")
def _video_only_paper() -> RunConfig:
    cfg = _teacher_paper()
    cfg.name = "video_only"
    cfg.model = ModelConfig(
        name="skillsight_teacher",
        args={"use_video": True, "use_crops": False, "use_gaze": False, "use_gaze_bias": False},
    )
    return cfg


# ---------------------------------------------------------------- video baselines (issue 5)
@dataclass(frozen=True)
class _VideoBaseline:
    paper_model: str
    tiny_model: str
    paper_frame_px: int  # decoded frame side at paper size (crops: data.crop_px = 224)
    paper_frames: int
    paper_lr: float
    paper_epochs: int
    args: tuple[tuple[str, Any], ...] = ()  # extra constructor arguments
    tiny_frames: int = 16  # frames per 8 s clip at tiny size (multi-view: fewer, as the paper's Ego+Exos)


#: preset stem -> its models and paper recipe. TimeSformer / gaze crop: the SkillSight clip protocol
#: (16 frames, 448 px frames, 224 px crops), 15 epochs (SkillFormer's full fine-tune count). SkillFormer:
#: REFERENCE.md section 2 (224 px; frames, lr and 4 epochs per configuration; step decay here instead of
#: its cosine schedule, and no gradient accumulation: TaskConfig has neither yet).
_VIDEO_BASELINES: dict[str, _VideoBaseline] = {
    "timesformer": _VideoBaseline("timesformer_video", "timesformer_video_tiny", 448, 16, 5e-5, 15),
    "gaze_crop": _VideoBaseline("gaze_crop_video", "gaze_crop_video_tiny", 448, 16, 5e-5, 15),
    "skillformer_ego": _VideoBaseline("skillformer_ego", "skillformer_ego_tiny", 224, 32, 5e-5, 4),
    # no dedicated tiny Exos variant: the tiny Ego+Exos one reading the exo views only
    "skillformer_exos": _VideoBaseline(
        "skillformer_exos", "skillformer_egoexos_tiny", 224, 24, 3e-5, 4, (("views", "exos"),), tiny_frames=8
    ),
    "skillformer_egoexos": _VideoBaseline(
        "skillformer_egoexos", "skillformer_egoexos_tiny", 224, 16, 2e-5, 4, tiny_frames=8
    ),
}


def _video_baseline(stem: str, size: str) -> RunConfig:
    """A supervised video baseline at ``size`` "paper" or "tiny" (the CPU demo protocol, AdamW 1e-3 for
    40 epochs as the tiny teacher: at 12 the random-init tiny TimeSformer stayed at chance)."""
    spec = _VIDEO_BASELINES[stem]
    if size == "paper":
        return RunConfig(
            name=stem,
            data=DataConfig(
                frame_px=spec.paper_frame_px, crop_px=224, num_frames=spec.paper_frames, batch_size=4
            ),
            model=ModelConfig(name=spec.paper_model, args=dict(spec.args)),
            optim=OptimConfig(optimizer="adamw", lr=spec.paper_lr, weight_decay=1e-2),
            trainer=TrainerConfig(max_epochs=spec.paper_epochs),
        )
    clip_s = DataConfig.num_frames / DataConfig.sample_fps  # the 8 s SkillSight clip
    tiny_data = DataConfig(
        num_frames=spec.tiny_frames,
        sample_fps=spec.tiny_frames / clip_s,
        num_val_clips=3,
        decoded_video_cache_mb=_TINY_VIDEO_CACHE_MB,
    )
    return RunConfig(
        name=stem,
        data=tiny_data,
        model=ModelConfig(name=spec.tiny_model, args=dict(spec.args)),
        optim=OptimConfig(optimizer="adamw", lr=1e-3, weight_decay=1e-2, milestones=[30], gamma=0.1),
        trainer=TrainerConfig(max_epochs=40),
    )


for _stem in _VIDEO_BASELINES:
    for _size in ("paper", "tiny"):
        PRESETS.register(f"{_stem}_{_size}")(lambda stem=_stem, size=_size: _video_baseline(stem, size))
