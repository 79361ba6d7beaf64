"""``GazeEstimationTask``: how PriviGaze models learn (the nn.Modules stay plain and exportable).

Modes (a pipeline run of mode ``both`` is two fits: ``pretrain_teacher``, then ``distill``):
    ``pretrain_teacher``  train the teacher on labels (task + angular loss).
    ``distill``           freeze a trained teacher; train the student with all five losses.
    ``plain_student``     train the student on labels only: the no-distillation baseline.

The optimiser and schedule come from the task's ``OptimConfig`` (the one loop's); the module a run
saves is the one being trained (``saved_model``).

Batches are dicts with ``face`` (B, 1, S, S), ``left_eye``/``right_eye`` (B, 3, h, w) in [0, 1] and
``pitchyaw_rad`` (B, 2). The task owns a linear projection of the student feature into the
teacher's feature space (for the contrastive and MMD terms); it is not part of the student.
"""

from __future__ import annotations

import torch
from torch import nn

from skillsight.config import OptimConfig
from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.angles import angular_error_deg_torch
from skillsight.projects.gaze_estimation.losses import LossWeights, distillation_loss, teacher_loss
from skillsight.projects.gaze_estimation.models import PriviGazeStudent, PriviGazeTeacher
from skillsight.training.task_base import OptimisedTask

__all__ = ["TASK_MODES", "GazeEstimationTask"]

TASK_MODES = ("pretrain_teacher", "distill", "plain_student")


class GazeEstimationTask(OptimisedTask):
    """Lightning task around a PriviGaze teacher and/or student.

    Args:
        mode: one of ``TASK_MODES``.
        teacher, student: the models the mode needs (ConfigError names what is missing).
        optim: optimiser and schedule (PriviGaze: AdamW, cosine per epoch to 2 %).
        weights: loss weights (the paper's defaults).
        nce_temperature, kd_temperature: InfoNCE and logit-KL temperatures.
    """

    def __init__(
        self,
        mode: str,
        teacher: PriviGazeTeacher | None = None,
        student: PriviGazeStudent | None = None,
        optim: OptimConfig | None = None,
        weights: LossWeights | None = None,
        nce_temperature: float = 0.1,
        kd_temperature: float = 2.0,
    ) -> None:
        super().__init__(optim or OptimConfig(lr=3e-3, weight_decay=1e-4))
        if mode not in TASK_MODES:
            raise ConfigError(f"unknown gaze task mode {mode!r}; valid: {', '.join(TASK_MODES)}")
        needs_teacher = mode in ("pretrain_teacher", "distill")
        needs_student = mode in ("distill", "plain_student")
        if needs_teacher and teacher is None:
            raise ConfigError(f"gaze task mode {mode!r} needs a teacher")
        if needs_student and student is None:
            raise ConfigError(f"gaze task mode {mode!r} needs a student")
        self.mode, self.weights = mode, weights or LossWeights()
        self.teacher = teacher if needs_teacher else None
        self.student = student if needs_student else None
        self.nce_temperature, self.kd_temperature = nce_temperature, kd_temperature
        self.bins = student.bins if student is not None else self._teacher_model.bins
        self.projection: nn.Module | None = None
        if self.teacher is not None and self.student is not None:
            if self.teacher.bins != self.student.bins:
                raise ConfigError(
                    f"teacher bins {self.teacher.bins} differ from student bins {self.student.bins}"
                )
            t_dim = self.teacher.head.pitch.in_features
            s_dim = self.student.head.pitch.in_features
            self.projection = nn.Linear(s_dim, t_dim)
        if mode == "distill":
            self._teacher_model.requires_grad_(False)

    @property
    def _teacher_model(self) -> PriviGazeTeacher:
        if self.teacher is None:
            raise ConfigError(f"gaze task mode {self.mode!r} has no teacher")
        return self.teacher

    @property
    def _student_model(self) -> PriviGazeStudent:
        if self.student is None:
            raise ConfigError(f"gaze task mode {self.mode!r} has no student")
        return self.student

    def saved_model(self) -> nn.Module:
        """The model this mode trains: the teacher (pretrain_teacher) or the student."""
        return self._teacher_model if self.mode == "pretrain_teacher" else self._student_model

    def phase(self) -> str:
        """ "teacher", "plain" or "distill"."""
        return {"pretrain_teacher": "teacher", "plain_student": "plain"}.get(self.mode, "distill")

    def _teacher_inputs(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: batch[k] for k in ("face", "left_eye", "right_eye")}

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        target_deg = torch.rad2deg(batch["pitchyaw_rad"])
        phase = self.phase()
        if phase == "teacher":
            terms = teacher_loss(
                self._teacher_model(**self._teacher_inputs(batch)), target_deg, self.bins, self.weights
            )
        elif phase == "plain":
            terms = teacher_loss(self._student_model(face=batch["face"]), target_deg, self.bins, self.weights)
        else:
            teacher, projection = self._teacher_model, self.projection
            if projection is None:
                raise ConfigError(f"gaze task mode {self.mode!r} has no student-to-teacher projection")
            teacher.eval()
            teacher.requires_grad_(False)
            with torch.no_grad():
                t_out = teacher(**self._teacher_inputs(batch))
            s_out = self._student_model(face=batch["face"])
            terms = distillation_loss(
                s_out,
                t_out,
                projection(s_out["features"]),
                target_deg,
                self.bins,
                self.weights,
                self.nce_temperature,
                self.kd_temperature,
            )
        B = target_deg.shape[0]
        for name, value in terms.items():
            self.log(f"train_{phase}_{name}", value.detach(), batch_size=B, on_step=False, on_epoch=True)
        return terms["loss"]

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        B = batch["face"].shape[0]
        for name, model, inputs in (
            ("teacher", self.teacher, self._teacher_inputs(batch)),
            ("student", self.student, {"face": batch["face"]}),
        ):
            if model is None:
                continue
            pred = torch.deg2rad(model(**inputs)["pitchyaw_deg"])
            err = angular_error_deg_torch(pred, batch["pitchyaw_rad"]).mean()
            self.log(f"val_{name}_error_deg", err, batch_size=B, on_step=False, on_epoch=True, prog_bar=True)
