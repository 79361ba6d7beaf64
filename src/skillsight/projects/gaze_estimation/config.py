"""The PriviGaze method's config (``skillsight gaze train --config PRESET|FILE --set section.key=value``):
a typed root with the sections every method shares (``optim``, ``trainer``) and its own (``data``,
``model``, ``task``), and its presets.

Presets:
    ``privigaze_tiny``   the CPU demo: small teacher (ConvNeXtV2 stages of 24..160 channels), 64 px faces
                         and 32 x 48 eyes, 6 teacher + 8 student epochs of 2,000 synthetic faces, batch 64.
    ``privigaze_paper``  paper-size models (ConvNeXtV2-Atto eyes + Nano face, ~19M; ~80K student) on
                         224 px faces, batch 32, 50 teacher and 100 student epochs (the PriviGaze model
                         card's recipe); the optimiser stays the demo's (AdamW 3e-3, cosine per epoch).

Both train with AdamW (weight decay 1e-4) and a cosine decay per epoch to 2 % of the rate, restarted for
each phase (the teacher's epochs, then the student's): ``trainer.max_epochs`` is replaced by the phase's
``task.teacher_epochs`` / ``task.student_epochs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skillsight.config import OptimConfig, TrainerConfig, bounded, register_method
from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.angles import DATASET_BINS
from skillsight.projects.gaze_estimation.losses import LossWeights

__all__ = ["GAZE_PRESETS", "GazeDataConfig", "GazeModelConfig", "GazeTaskConfig", "GazeTrainConfig"]


@dataclass
class GazeDataConfig:
    """Which faces: a synthetic set or a real dataset folder, held-out subjects, image sizes, loading.

    ``val_subjects`` / ``test_subjects`` hold subjects out of training (MPIIFaceGaze, ETH-XGaze); Gaze360
    uses its own split. ``n_train`` / ``n_val`` size the synthetic sets.
    """

    dataset: Literal["synthetic", "mpiifacegaze", "ethxgaze", "gaze360"] = "synthetic"
    root: str | None = None
    face_size: int = field(default=64, metadata=bounded(ge=16))  # face crop side, pixels (paper: 224)
    eye_size: tuple[int, int] = (32, 48)  # eye crop (height, width), pixels
    n_train: int = field(default=2000, metadata=bounded(ge=1))
    n_val: int = field(default=400, metadata=bounded(ge=1))
    val_subjects: list[str] = field(default_factory=list)
    test_subjects: list[str] = field(default_factory=list)
    batch_size: int = field(default=64, metadata=bounded(ge=1))
    eval_batch_size: int = field(default=256, metadata=bounded(ge=1))
    num_workers: int = field(default=0, metadata=bounded(ge=0))
    pin_memory: bool = False


@dataclass
class GazeModelConfig:
    """Registered teacher and student, a trained teacher to distil from, and the angle bins (the
    dataset's L2CS bins unless given)."""

    teacher: str = "privigaze_teacher_small"
    student: str = "privigaze_student"
    teacher_checkpoint: str | None = None  # mode "distill": a run's teacher/model.safetensors
    # local Hugging Face ConvNeXtV2 folders for the teacher's streams (RGB weights; the face stem is
    # adapted to grayscale by summing its RGB filters, never re-initialised)
    face_backbone: str | None = None
    eye_backbone: str | None = None
    num_bins: int | None = field(default=None, metadata=bounded(ge=2))
    bin_width_deg: float | None = field(default=None, metadata=bounded(gt=0))
    bin_lo_deg: float | None = None


@dataclass
class GazeTaskConfig:
    """What is trained: ``both`` pretrains the teacher then distils it, ``pretrain_teacher``,
    ``distill`` (from ``model.teacher_checkpoint``) or ``plain_student`` (the no-distillation baseline)."""

    mode: Literal["both", "pretrain_teacher", "distill", "plain_student"] = "both"
    teacher_epochs: int = field(default=6, metadata=bounded(ge=1))
    student_epochs: int = field(default=8, metadata=bounded(ge=1))
    weights: LossWeights = field(default_factory=LossWeights)  # docs/privigaze.md, "Loss scale"
    nce_temperature: float = field(default=0.1, metadata=bounded(gt=0))
    kd_temperature: float = field(default=2.0, metadata=bounded(gt=0))


def _gaze_optim() -> OptimConfig:
    return OptimConfig(
        optimizer="adamw", lr=3e-3, weight_decay=1e-4, schedule="cosine", min_lr_ratio=0.02, interval="epoch"
    )


@dataclass
class GazeTrainConfig:
    """Everything a PriviGaze run needs; written to ``config.json`` in the run folder."""

    name: str = "privigaze"
    data: GazeDataConfig = field(default_factory=GazeDataConfig)
    model: GazeModelConfig = field(default_factory=GazeModelConfig)
    task: GazeTaskConfig = field(default_factory=GazeTaskConfig)
    optim: OptimConfig = field(default_factory=_gaze_optim)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(accelerator="auto", deterministic=False, log_every_n_steps=10)
    )

    def check(self) -> None:
        """Cross-section rules (ConfigError naming the keys)."""
        if self.data.dataset != "synthetic" and not self.data.root:
            raise ConfigError(f"data.root: the {self.data.dataset!r} dataset needs its folder")
        if self.task.mode == "distill" and not self.model.teacher_checkpoint:
            raise ConfigError("model.teacher_checkpoint: task.mode 'distill' needs a trained teacher's model")

    def bins_kwargs(self) -> dict[str, float]:
        """Angle bins (count, width and lower edge in degrees): the dataset's defaults unless overridden."""
        d = DATASET_BINS[self.data.dataset]
        m = self.model
        return {
            "num_bins": m.num_bins or d.num_bins,
            "bin_width_deg": m.bin_width_deg or d.width_deg,
            "bin_lo_deg": d.lo_deg if m.bin_lo_deg is None else m.bin_lo_deg,
        }


GAZE_PRESETS = register_method("gaze", GazeTrainConfig)


@GAZE_PRESETS.register("privigaze_tiny")
def _tiny() -> GazeTrainConfig:
    return GazeTrainConfig()


@GAZE_PRESETS.register("privigaze_paper")
def _paper() -> GazeTrainConfig:
    return GazeTrainConfig(
        data=GazeDataConfig(face_size=224, eye_size=(36, 60), batch_size=32),  # the teacher's eye crops
        model=GazeModelConfig(teacher="privigaze_teacher"),
        task=GazeTaskConfig(teacher_epochs=50, student_epochs=100),
    )
