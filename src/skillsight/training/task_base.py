"""The base of every task trained by the one loop: its optimiser and schedule come from ``self.optim``.

A task is a LightningModule around plain, exportable ``nn.Module`` s. It names the module that is the
run's result in ``saved_model()`` (what :func:`skillsight.training.loop.fit` saves as the best model),
and the module whose trainable parameters the optimiser updates in ``optimised_module()`` (parameters
that do not require gradients, such as frozen teachers and backbones, are left out). The schedule is
sized by :func:`skillsight.training.loop.fit` before training starts
(:meth:`OptimisedTask.set_schedule_length`: optimiser steps in all and per epoch, accumulation
included); a task trained by a bare Lightning Trainer sizes it from the trainer instead. (Asking the
trainer from ``fit`` would make Lightning build the first data iterator before a resume checkpoint's
data position is restored.)
"""

from __future__ import annotations

import math
from typing import Any

import lightning as L
from torch import nn

from skillsight.config import OptimConfig
from skillsight.training.optim import build_optimizer, build_scheduler

__all__ = ["OptimisedTask"]


class OptimisedTask(L.LightningModule):
    """LightningModule whose optimiser and learning-rate schedule are built from ``optim``.

    Args:
        optim: the optimiser and schedule settings.
    """

    def __init__(self, optim: OptimConfig) -> None:
        super().__init__()
        self.optim = optim
        self._schedule_length: tuple[int, int, int] | None = None

    def set_schedule_length(self, steps_total: int, steps_per_epoch: int, epochs: int) -> None:
        """Size the learning-rate schedule: optimiser steps in all and per epoch, and epochs."""
        self._schedule_length = (int(steps_total), int(steps_per_epoch), int(epochs))

    def saved_model(self) -> nn.Module:
        """The module that is the run's result (saved as ``model.safetensors``); ``self.model`` by default."""
        return self.model  # type: ignore[return-value]

    def optimised_module(self) -> nn.Module:
        """The module whose trainable parameters the optimiser updates (the whole task by default)."""
        return self

    def schedule_steps(self) -> tuple[int, int, int]:
        """(optimiser steps in all, optimiser steps per epoch, epochs) of the run being fitted."""
        if self._schedule_length is not None:
            return self._schedule_length
        if self._trainer is None:  # built outside any trainer (a unit test): a one-step span
            return 1, 1, 1
        trainer = self.trainer
        total = int(trainer.estimated_stepping_batches)
        batches = trainer.num_training_batches
        accumulate = max(1, int(trainer.accumulate_grad_batches))
        per_epoch = math.ceil(batches / accumulate) if math.isfinite(batches) and batches > 0 else total
        epochs = int(trainer.max_epochs) if trainer.max_epochs and trainer.max_epochs > 0 else 1
        return total, max(1, int(per_epoch)), epochs

    def configure_optimizers(self) -> Any:
        opt = build_optimizer(self.optimised_module(), self.optim)
        total, per_epoch, epochs = self.schedule_steps()
        scheduler, interval = build_scheduler(opt, self.optim, total, per_epoch, epochs)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": scheduler, "interval": interval}}
