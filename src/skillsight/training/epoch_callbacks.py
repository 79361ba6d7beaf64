"""The callbacks behind bit-exact resume: per-epoch seeding and the end-of-epoch model and resume snapshots.

* :class:`EpochSeeder` reseeds every RNG from (seed, epoch) just BEFORE the epoch's data iterator is
  created, so creating the iterator and the epoch's dropout draw from the same state in a fresh, a
  resumed and an uninterrupted run. Lightning creates the first iterator of every ``fit`` call after the
  ``setup`` hook (as early as the strategy's set-up when a task asks the trainer for
  ``estimated_stepping_batches``), later ones after ``on_train_epoch_start``: the first epoch is seeded
  in ``setup``, the others in ``on_train_epoch_start``.
* :class:`BestModelSaver` saves the model when ``monitor`` improves and takes the resume snapshot at the
  end of each epoch; the snapshot is written once Lightning has logged the epoch's metrics (at the next
  epoch's start or the end of training, or when training stops on an exception after that).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from torch import nn

from skillsight.exceptions import CheckpointError
from skillsight.runs.checkpoint import save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO

__all__ = ["BestModelSaver", "EpochSeeder", "saved_model", "seed_epoch"]


def seed_epoch(seed: int, epoch: int, loader: Any) -> None:
    """Seed every RNG from (seed, epoch) and tell the loader's dataset and samplers which epoch starts."""
    L.seed_everything(seed * 100_003 + epoch, workers=True, verbose=False)
    for name in ("dataset", "sampler", "batch_sampler"):
        part = getattr(loader, name, None)
        if part is not None and hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


def saved_model(task: L.LightningModule) -> nn.Module:
    """The module a task names as its result (``saved_model()``, else its ``model`` attribute)."""
    chosen = getattr(task, "saved_model", None)
    module = chosen() if callable(chosen) else getattr(task, "model", None)
    if not isinstance(module, nn.Module):
        raise TypeError(f"{type(task).__name__} names no model to save (saved_model() or .model)")
    return module


class EpochSeeder(Callback):
    """Reseeds every RNG from (seed, epoch) before each epoch's data iterator is created and calls
    ``set_epoch`` on the training dataset and samplers (see the module).

    Args:
        seed: the run's seed.
        first_epoch: the epoch this fit call starts with (the resume checkpoint's epoch, else 0).
        loader: the training loader (its dataset and samplers get ``set_epoch`` before the first epoch).
    """

    def __init__(self, seed: int, first_epoch: int = 0, loader: Any = None) -> None:
        self.seed = seed
        self.first_epoch = first_epoch
        self.loader = loader
        self._seeded: int | None = None

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if stage == "fit":
            seed_epoch(self.seed, self.first_epoch, self.loader)
            self._seeded = self.first_epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch != self._seeded:
            seed_epoch(self.seed, trainer.current_epoch, trainer.train_dataloader)
            self._seeded = trainer.current_epoch


class BestModelSaver(Callback):
    """At each epoch end: save the model if ``monitor`` improved, and snapshot the resume checkpoint
    ``checkpoints/last.ckpt``; the snapshot is written at the next epoch's start or at the end of
    training (after Lightning has logged the epoch's metrics), or when training stops on an exception
    after those were logged.

    Args:
        run_dir: the run folder (the model goes to ``run_dir/model.safetensors``).
        last_checkpoint: the resume checkpoint's path.
        monitor: metric that decides the best model (None: the latest model is the result); mode
            ``"max"`` or ``"min"``.
        metadata: stored in the best model's spec.
        checkpoint_io: the trainer's :class:`SafetensorsCheckpointIO` (holds the snapshot).
    """

    def __init__(
        self,
        run_dir: Any,
        last_checkpoint: Any,
        monitor: str | None = "val/take_acc",
        mode: str = "max",
        metadata: dict[str, Any] | None = None,
        checkpoint_io: SafetensorsCheckpointIO | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.last_checkpoint = last_checkpoint
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.best = -math.inf
        self.best_epoch = -1
        self.metadata = metadata or {}
        self.checkpoint_io = checkpoint_io
        self._snapshot_epoch = -1

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "best_epoch": self.best_epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = float(state_dict["best"])
        self.best_epoch = int(state_dict.get("best_epoch", -1))

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor) if self.monitor else None
        score = self.sign * float(value) if value is not None else -math.inf
        # Without a monitored metric the latest model is the best one (ties go to the later epoch).
        if value is None or score >= self.best:
            saved = True
            if trainer.is_global_zero:
                meta = {**self.metadata, "epoch": trainer.current_epoch}
                if self.monitor:
                    meta[self.monitor] = None if value is None else float(value)
                try:
                    save_model(saved_model(pl_module), self.run_dir / "model", metadata=meta)
                except CheckpointError as err:  # NaN/inf weights: keep the previous best model
                    warnings.warn(f"epoch {trainer.current_epoch}: {err}", stacklevel=1)
                    saved = False
            if saved:
                self.best_epoch = trainer.current_epoch
                if value is not None:
                    self.best = max(score, self.best)
        if self.checkpoint_io is not None and trainer.is_global_zero:
            self.checkpoint_io.hold_next_save()
            self._snapshot_epoch = trainer.current_epoch
        trainer.save_checkpoint(self.last_checkpoint)

    def _commit(self) -> None:
        if self.checkpoint_io is not None:
            self.checkpoint_io.commit()

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._commit()

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._commit()

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        # The snapshot is a complete end-of-epoch state; it is written if Lightning got as far as logging
        # the epoch's metrics (it counts the epoch completed right after), else the resume redoes the
        # epoch, so that metrics.csv never misses its row.
        if self.checkpoint_io is None or not self.checkpoint_io.has_pending:
            return
        if trainer.fit_loop.epoch_progress.total.completed <= self._snapshot_epoch:
            return
        try:
            self.checkpoint_io.commit()
        except Exception as err:  # do not hide the original exception
            warnings.warn(f"could not write the last epoch's checkpoint: {err}", stacklevel=1)
