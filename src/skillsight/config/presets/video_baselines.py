"""Video baseline presets: TimeSformer, gaze-crop video, SkillFormer (Ego, Exos, Ego+Exos); tiny and paper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from skillsight.config.presets.registry import PRESETS, TINY_VIDEO_CACHE_MB
from skillsight.config.schema import DataConfig, ModelConfig, OptimConfig, RunConfig, TrainerConfig

__all__ = ["SKILLFORMER_ACCUMULATION", "SKILLFORMER_BATCH", "skillformer_optim"]


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
#: the SkillFormer paper (224 px; frames, lr and 4 epochs per configuration) with its optimisation
#: (:func:`skillformer_optim`, batch 4 x accumulation 4).
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


#: SkillFormer's batch per step and gradient accumulation (effective batch 16)
SKILLFORMER_BATCH, SKILLFORMER_ACCUMULATION = 4, 4


def skillformer_optim(lr: float) -> OptimConfig:
    """SkillFormer's optimisation (the SkillFormer paper): AdamW, weight decay 0.01, cosine schedule with a
    10 % linear warm-up, per optimiser step. Its code trains with the Hugging Face Trainer, whose AdamW
    leaves biases and LayerNorm weights out of weight decay: so do we."""
    return OptimConfig(
        optimizer="adamw",
        lr=lr,
        weight_decay=0.01,
        decay_norms_and_biases=False,
        schedule="cosine",
        warmup_ratio=0.1,
        interval="step",
    )


def _video_baseline(stem: str, size: str) -> RunConfig:
    """A supervised video baseline at ``size`` "paper" or "tiny" (the CPU demo protocol, AdamW 1e-3 for
    40 epochs as the tiny teacher: at 12 the random-init tiny TimeSformer stayed at chance)."""
    spec = _VIDEO_BASELINES[stem]
    if size == "paper":
        skillformer = stem.startswith("skillformer")
        return RunConfig(
            name=stem,
            data=DataConfig(
                frame_px=spec.paper_frame_px, crop_px=224, num_frames=spec.paper_frames, batch_size=4
            ),
            model=ModelConfig(name=spec.paper_model, args=dict(spec.args)),
            optim=skillformer_optim(spec.paper_lr)
            if skillformer
            else OptimConfig(optimizer="adamw", lr=spec.paper_lr, weight_decay=1e-2),
            trainer=TrainerConfig(
                max_epochs=spec.paper_epochs,
                accumulate_grad_batches=SKILLFORMER_ACCUMULATION if skillformer else 1,
            ),
        )
    clip_s = DataConfig.num_frames / DataConfig.sample_fps  # the 8 s SkillSight clip
    tiny_data = DataConfig(
        num_frames=spec.tiny_frames,
        sample_fps=spec.tiny_frames / clip_s,
        num_val_clips=3,
        decoded_video_cache_mb=TINY_VIDEO_CACHE_MB,
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
