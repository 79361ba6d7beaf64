"""The typed run configuration: one composition root (:class:`RunConfig`) and its sections.

Defaults live in code; presets (:mod:`skillsight.config.presets`) and overrides
(:mod:`skillsight.config.overrides`) build on them. Configs name registry entries (model names),
never import paths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["DataConfig", "ModelConfig", "OptimConfig", "RunConfig", "TaskConfig", "TrainerConfig"]


@dataclass
class DataConfig:
    """Where the takes are and how clips are cut (REFERENCE.md section 1 protocol)."""

    root: str = "runs/demo/data"  # Ego-Exo4D-layout dataset root
    frame_px: int = 64  # decoded frame size (paper: 448)
    crop_px: int = 32  # gaze-centred crop size fed to the crop encoder (paper: 224)
    num_frames: int = 16  # frames per clip
    sample_fps: float = 2.0  # clip frame rate
    num_test_clips: int = 10  # evenly spaced clips per take at evaluation (the protocol)
    num_val_clips: int = 10  # evenly spaced clips per take for model selection (fewer = faster epochs)
    batch_size: int = 8
    eval_batch_size: int = 32
    num_workers: int = 0
    gaze_file: Literal["general", "personalized"] = "general"  # which MPS gaze CSV of a take
    # >0: keep whole decoded videos in memory (MiB budget) instead of seeking per clip; for small videos
    # that every epoch revisits (the 64 px demo takes: 12 KiB per frame). 0: seek (real 448 px takes).
    decoded_video_cache_mb: int = 0
    scenarios: list[str] = field(default_factory=list)  # empty: all scenarios


@dataclass
class ModelConfig:
    """A registered model name and its constructor arguments."""

    name: str = "skillsight_student_tiny"
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class OptimConfig:
    """Optimiser and step schedule (epochs are the milestone unit)."""

    optimizer: Literal["sgd", "adamw"] = "adamw"
    lr: float = 1e-4
    weight_decay: float = 1e-2
    momentum: float = 0.9
    nesterov: bool = True
    milestones: list[int] = field(default_factory=list)  # epochs at which lr *= gamma
    gamma: float = 0.1
    warmup_epochs: int = 0


@dataclass
class TaskConfig:
    """What the model learns from.

    kind: "supervised" (cross-entropy) or "distillation" (student + frozen teacher features).
    """

    kind: Literal["supervised", "distillation"] = "supervised"
    action_loss_weight: float = 0.0  # lambda_act (paper: 0.1 for the student)
    distill_weight: float = 0.0  # lambda_dis (ours: on by default for the student)
    teacher_run: str = ""  # run folder of the frozen teacher (distillation)
    label_smoothing: float = 0.0


@dataclass
class TrainerConfig:
    """Lightning Trainer settings."""

    max_epochs: int = 10
    max_steps: int = -1
    accelerator: str = "cpu"
    devices: int = 1
    strategy: str = "auto"  # "ddp" with devices > 1 (gloo on CPU)
    seed: int = 0
    deterministic: bool = True
    log_every_n_steps: int = 10
    progress_bar: bool = True
    check_val_every_n_epoch: int = 1


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
