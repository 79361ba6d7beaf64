"""The typed run configuration: one composition root (:class:`RunConfig`) and its sections.

Defaults live in code; presets (:mod:`skillsight.config.presets`) and overrides
(:mod:`skillsight.config.overrides`) build on them. Configs name registry entries (model names),
never import paths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from skillsight.config.validation import bounded
from skillsight.exceptions import ConfigError

__all__ = [
    "DataConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TaskConfig",
    "TrainerConfig",
    "effective_batch_size",
]


@dataclass
class DataConfig:
    """Where the takes are and how clips are cut (the SkillSight clip protocol)."""

    root: str = "runs/demo/data"  # Ego-Exo4D-layout dataset root
    frame_px: int = field(default=64, metadata=bounded(ge=8))  # decoded frame size (paper: 448)
    crop_px: int = field(
        default=32, metadata=bounded(ge=8)
    )  # gaze-centred crop fed to the crop encoder (paper: 224)
    num_frames: int = field(default=16, metadata=bounded(ge=1))  # frames per clip
    sample_fps: float = field(default=2.0, metadata=bounded(gt=0))  # clip frame rate
    num_test_clips: int = field(default=10, metadata=bounded(ge=1))  # evenly spaced clips per test take
    num_val_clips: int = field(default=10, metadata=bounded(ge=1))  # per validation take (fewer = faster)
    batch_size: int = field(default=8, metadata=bounded(ge=1))  # per process
    eval_batch_size: int = field(default=32, metadata=bounded(ge=1))
    num_workers: int = field(default=0, metadata=bounded(ge=0))  # DataLoader worker processes
    pin_memory: bool = False  # page-locked batches (faster host-to-GPU copies)
    gaze_file: Literal["general", "personalized"] = "general"  # which MPS gaze CSV of a take
    # >0: keep whole decoded videos in memory (MiB budget) instead of seeking per clip; for small videos
    # that every epoch revisits (the 64 px demo takes: 12 KiB per frame). 0: seek (real 448 px takes).
    decoded_video_cache_mb: int = 0
    scenarios: list[str] = field(default_factory=list)  # empty: all scenarios
    # "official": the files' train/val/test splits. "skillsight": the SkillSight paper's protocol (train
    # 1786 / val 197 / test 561 on the gaze subset): val_fraction of each (scenario, label) group of the
    # official train takes held out as validation (seeded by split_seed), the official val split as test.
    split: Literal["official", "skillsight"] = "official"
    val_fraction: float = field(default=0.1, metadata=bounded(gt=0, lt=1))
    split_seed: int = 0
    # Fit per-channel mean/std of the gaze input on the training takes into the model's standardiser
    # (docs/learning.md: the 14 channels differ 40x in scale). Off = the paper's unscaled channels.
    standardize_gaze: bool = False
    # Random clips drawn per training take per epoch (paper: 1). More clips = more steps per epoch, so
    # fewer epochs (and validations) for the same number of steps.
    train_clips_per_take: int = 1


@dataclass
class ModelConfig:
    """A registered model name and its constructor arguments."""

    name: str = "skillsight_student_tiny"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule, the same for every method (built by skillsight.training.optim).

    The schedule multiplies ``lr`` by a factor that advances every optimiser step (``interval="step"``,
    the default: with gradient accumulation a step is ``accumulate_grad_batches`` batches) or once per
    epoch (``interval="epoch"``). A linear warm-up of ``warmup_ratio`` x all optimiser steps, or of
    ``warmup_epochs`` epochs (fractions allowed), comes first; then ``step`` (x ``gamma`` at each epoch in
    ``milestones``; constant without milestones) or ``cosine`` (from ``lr`` down to ``min_lr_ratio`` x lr
    at the end of training).
    """

    optimizer: Literal["sgd", "adamw"] = "adamw"
    lr: float = field(default=1e-4, metadata=bounded(gt=0))
    weight_decay: float = field(default=1e-2, metadata=bounded(ge=0))
    # False: biases and norm weights (every parameter with fewer than 2 dimensions) get no weight decay,
    # the transformer fine-tuning convention; True: every parameter decays (torch's default).
    decay_norms_and_biases: bool = True
    momentum: float = field(default=0.9, metadata=bounded(ge=0, lt=1))  # SGD only
    nesterov: bool = True  # SGD only (needs momentum > 0)
    schedule: Literal["step", "cosine"] = "step"
    milestones: list[int] = field(default_factory=list, metadata=bounded(ge=1))  # epochs where lr *= gamma
    gamma: float = field(default=0.1, metadata=bounded(gt=0))
    warmup_epochs: float = field(default=0.0, metadata=bounded(ge=0))
    warmup_ratio: float = field(default=0.0, metadata=bounded(ge=0, lt=1))
    min_lr_ratio: float = field(default=0.0, metadata=bounded(ge=0, le=1))  # cosine floor
    interval: Literal["step", "epoch"] = "step"

    def check(self) -> None:
        """Cross-field rules (ConfigError naming the fields)."""
        if self.warmup_epochs > 0 and self.warmup_ratio > 0:
            raise ConfigError(
                f"warmup_epochs={self.warmup_epochs:g} and warmup_ratio={self.warmup_ratio:g}: "
                "give the warm-up one way (set the other to 0)"
            )
        if self.milestones and self.schedule != "step":
            raise ConfigError(f"milestones={self.milestones} apply to schedule 'step', not {self.schedule!r}")
        if self.interval == "epoch" and self.warmup_epochs != int(self.warmup_epochs):
            raise ConfigError(f"warmup_epochs={self.warmup_epochs:g}: whole epochs with interval 'epoch'")


@dataclass
class TaskConfig:
    """What the model learns from.

    kind: "supervised" (cross-entropy) or "distillation" (student + frozen teacher features).
    """

    kind: Literal["supervised", "distillation"] = "supervised"
    action_loss_weight: float = field(default=0.0, metadata=bounded(ge=0))  # lambda_act (paper: 0.1)
    distill_weight: float = field(
        default=0.0, metadata=bounded(ge=0)
    )  # lambda_dis (ours: on for the student)
    teacher_run: str = ""  # run folder of the frozen teacher (distillation)
    # f_t, the projection of the teacher's feature onto the distillation target: fixed (random, seeded) by
    # default; True trains it with the student (both sides of the L1 can then shrink towards a constant)
    train_teacher_projection: bool = False
    label_smoothing: float = field(default=0.0, metadata=bounded(ge=0, lt=1))
    # EgoDistill: epochs of the self-supervised head-motion pretraining run before the distillation stage
    # (predict the last sparse frame's feature from the first one's and the head motion, InfoNCE; written
    # to RUN/motion_pretrain/). 0: the motion encoder starts from random weights. Paper: on.
    motion_pretrain_epochs: int = field(default=0, metadata=bounded(ge=0))


@dataclass
class TrainerConfig:
    """Lightning Trainer settings, the same for every method (used by skillsight.training.loop.fit).

    Several processes: ``devices`` per node x ``num_nodes``; Lightning detects torchrun and SLURM and
    takes ranks and addresses from them. ``accumulate_grad_batches`` batches make one optimiser step, so
    the effective batch is ``batch_size x accumulate_grad_batches x devices x num_nodes``.
    """

    max_epochs: int = field(default=10, metadata=bounded(ge=1))
    max_steps: int = field(default=-1, metadata=bounded(ge=-1))  # -1: no step limit
    accelerator: Literal["cpu", "gpu", "cuda", "mps", "auto"] = "cpu"
    devices: int = field(default=1, metadata=bounded(ge=1))  # per node
    num_nodes: int = field(default=1, metadata=bounded(ge=1))
    strategy: Literal["auto", "ddp", "ddp_spawn", "ddp_find_unused_parameters_true", "fsdp"] = "auto"
    precision: Literal["32", "bf16-mixed", "16-mixed"] = "32"
    accumulate_grad_batches: int = field(default=1, metadata=bounded(ge=1))
    # Recompute the activations of the video backbones' transformer layers in the backward pass (Hugging
    # Face gradient_checkpointing_enable()): less memory for more compute.
    gradient_checkpointing: bool = False
    seed: int = 0
    deterministic: bool = True
    log_every_n_steps: int = field(default=10, metadata=bounded(ge=1))
    progress_bar: bool = True
    check_val_every_n_epoch: int = field(default=1, metadata=bounded(ge=1))
    # Where metrics go besides logs/metrics.csv: "tensorboard" also writes logs/tensorboard/ (needs the
    # tensorboard package: pip install 'skillsight[tracking]').
    logger: Literal["csv", "tensorboard"] = "csv"

    def check(self) -> None:
        """Cross-field rules (ConfigError naming the fields)."""
        if self.precision != "32" and self.accelerator == "cpu":
            raise ConfigError(
                f"precision={self.precision!r} needs a GPU (accelerator 'gpu' or 'auto'); CPUs train in '32'"
            )

    def world_size(self) -> int:
        """Processes of a run: devices per node x nodes."""
        return self.devices * self.num_nodes


@dataclass
class RunConfig:
    """The one composition root of a training run."""

    name: str = "run"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    task: TaskConfig = field(default_factory=TaskConfig)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)

    def to_dict(self) -> dict[str, Any]:
        """Plain nested dict (JSON/YAML serialisable)."""
        return asdict(self)


def effective_batch_size(batch_size: int, trainer: TrainerConfig) -> int:
    """Samples per optimiser step over all processes: batch x accumulation x devices x nodes."""
    return batch_size * trainer.accumulate_grad_batches * trainer.world_size()
