"""Lightning tasks: what a plain ``nn.Module`` learns from (losses, frozen teacher, optimiser).

The model stays a plain, exportable module that declares its ``input_names``; a batch is a dict
holding those inputs plus targets (``"label"``, optionally ``"action"``, ``"teacher_features"``,
``"take_uid"``). Validation aggregates clip logits per take (mean), as the test protocol does.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from skillsight.config import OptimConfig
from skillsight.models import model_inputs
from skillsight.training.task_base import OptimisedTask
from skillsight.training.val_takes import ValTakeAccumulator

__all__ = ["DistillationTask", "SupervisedTask"]


class SupervisedTask(OptimisedTask):
    """Cross-entropy on ``logits`` (+ ``action_loss_weight`` x cross-entropy on ``action_logits``).

    Args:
        model: a registered model returning a dict with ``"logits"`` (B, C).
        optim: optimiser settings.
        action_loss_weight: lambda_act; > 0 needs ``"action_logits"`` from the model and ``"action"`` in
            the batch.
        label_smoothing: cross-entropy label smoothing.
    """

    def __init__(
        self,
        model: nn.Module,
        optim: OptimConfig,
        action_loss_weight: float = 0.0,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(optim)
        self.model = model
        self.action_loss_weight = action_loss_weight
        self.label_smoothing = label_smoothing
        self._val_takes = ValTakeAccumulator()

    def model_inputs(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """The entries of ``batch`` the model declares as inputs."""
        names = model_inputs(self.model)
        missing = [n for n in names if n not in batch]
        if missing:
            raise KeyError(f"batch lacks model inputs {missing}; it has {sorted(batch)}")
        return {n: batch[n] for n in names}

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        return self.model(**inputs)

    def losses(self, batch: dict[str, Any], out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Named loss terms; ``"loss"`` is their weighted sum."""
        terms = {"ce": F.cross_entropy(out["logits"], batch["label"], label_smoothing=self.label_smoothing)}
        loss = terms["ce"]
        if self.action_loss_weight > 0:
            if "action_logits" not in out:
                raise KeyError("action_loss_weight > 0 but the model returns no 'action_logits'")
            terms["action_ce"] = F.cross_entropy(out["action_logits"], batch["action"])
            loss = loss + self.action_loss_weight * terms["action_ce"]
        terms["loss"] = loss
        return terms

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        out = self.model(**self.model_inputs(batch))
        terms = self.losses(batch, out)
        acc = (out["logits"].argmax(-1) == batch["label"]).float().mean()
        batch_size = int(batch["label"].shape[0])
        # Epoch means: tiny demo epochs have fewer batches than any sensible step-logging interval.
        self.log_dict(
            {f"train/{k}": v.detach() for k, v in terms.items()},
            batch_size=batch_size,
            sync_dist=True,
            on_step=False,
            on_epoch=True,
        )
        self.log(
            "train/acc",
            acc,
            prog_bar=True,
            batch_size=batch_size,
            sync_dist=True,
            on_step=False,
            on_epoch=True,
        )
        return terms["loss"]

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        out = self.model(**self.model_inputs(batch))
        batch_size = int(batch["label"].shape[0])
        loss = F.cross_entropy(out["logits"], batch["label"])
        self.log("val/loss", loss, batch_size=batch_size, sync_dist=True)
        # Samples without a take id (e.g. one clip per sample) each count as their own take.
        uids = batch.get("take_uid") or [f"{self.global_rank}:{batch_idx}:{i}" for i in range(batch_size)]
        # A clip is (take, first frame): under DDP the padding of the distributed sampler repeats clips.
        starts = batch.get("clip_start")
        clips = starts.tolist() if isinstance(starts, torch.Tensor) else list(range(batch_size))
        if starts is None:
            clips = [batch_idx * batch_size + i for i in range(batch_size)]
        self._val_takes.add(uids, clips, out["logits"], batch["label"].tolist())

    def on_validation_epoch_end(self) -> None:
        # Every rank takes part in the gather (a rank with no clips contributes none).
        right, takes = self._val_takes.take_accuracy(gather=self.trainer.world_size > 1)
        if takes:
            self.log("val/take_acc", right / takes, prog_bar=True, rank_zero_only=True)


class DistillationTask(SupervisedTask):
    """SkillSight student loss: CE + lambda_dis * L1(f_p(dis), f_t(teacher)) + lambda_act * CE_act.

    Teacher features come from ``batch["teacher_features"]`` (precomputed once, the default) or
    from a frozen ``teacher`` run on the batch. ``f_t`` (``teacher_projection``) is a fixed random
    projection unless ``train_teacher_projection``: when both sides of an L1 are trained, the loss
    has a degenerate minimum (both projections output the same constant), which the official code
    does not guard against.

    Args:
        model: student returning ``"logits"``, ``"distill_embedding"`` (and ``"action_logits"``).
        teacher_projection: f_t, teacher feature (B, Dt) -> (B, Dp).
        teacher: optional frozen teacher returning ``"features"``; None when features are precomputed.
        distill_weight: lambda_dis.
    """

    def __init__(
        self,
        model: nn.Module,
        teacher_projection: nn.Module,
        optim: OptimConfig,
        distill_weight: float = 1.0,
        action_loss_weight: float = 0.1,
        teacher: nn.Module | None = None,
        train_teacher_projection: bool = False,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(model, optim, action_loss_weight, label_smoothing)
        self.teacher_projection = teacher_projection
        self.teacher_projection.requires_grad_(train_teacher_projection)
        self.distill_weight = distill_weight
        self.teacher = teacher
        if teacher is not None:
            teacher.eval().requires_grad_(False)

    def train(self, mode: bool = True) -> DistillationTask:
        """Switch the student's mode; the frozen teacher always stays in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()
        return self

    def teacher_features(self, batch: dict[str, Any]) -> torch.Tensor:
        """(B, Dt) teacher features: precomputed in the batch, else from the frozen teacher (no grad)."""
        if "teacher_features" in batch:
            return batch["teacher_features"]
        if self.teacher is None:
            raise KeyError("batch has no 'teacher_features' and the task has no teacher")
        with torch.no_grad():
            return self.teacher(**{n: batch[n] for n in model_inputs(self.teacher)})["features"]

    def losses(self, batch: dict[str, Any], out: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """The supervised terms plus ``distill_l1`` (training only), weighted into ``"loss"``."""
        terms = super().losses(batch, out)
        if self.distill_weight > 0 and self.training:
            if "distill_embedding" not in out:
                raise KeyError("distill_weight > 0 but the model returns no 'distill_embedding'")
            target = self.teacher_projection(self.teacher_features(batch))
            terms["distill_l1"] = F.l1_loss(out["distill_embedding"], target)
            terms["loss"] = terms["loss"] + self.distill_weight * terms["distill_l1"]
        return terms
