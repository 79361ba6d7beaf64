"""The one training loop of every method: a Lightning Trainer with pickle-free, atomic, checksummed,
resumable checkpoints, tidy metrics, optional TensorBoard and a clean stop on SIGTERM / Ctrl-C.

Run folder layout written here::

    run_dir/
      checkpoints/last.ckpt       resume state (weights, optimiser, schedule, loops, metrics row counts,
                                  RNG and data position of a mid-epoch stop): ONE sealed safetensors
                                  file, replaced atomically after every epoch and on a stop signal
      model.safetensors           the run's model (best by ``monitor``, else the latest): weights + spec
      model.json                  readable copy of its spec (with the weights' checksum)
      logs/metrics.csv            one row per epoch: epoch, step, train/*, val/*, lr
      logs/steps.csv              one row per logged optimiser step: epoch, step, lr, per-step values
      logs/tensorboard/           with ``trainer.logger=tensorboard``

``fit(..., resume=True)`` continues from ``checkpoints/last.ckpt`` after a kill or a stop signal and
reaches the same weights and the same metrics files as an uninterrupted run, dropout included:

* every RNG is reseeded from (seed, epoch) just BEFORE the epoch's data iterator is created
  (:class:`~skillsight.training.epoch_callbacks.EpochSeeder`);
* the checkpoint of an epoch is a snapshot taken at the epoch's end, written only after Lightning has
  logged the epoch's metrics and the metrics files were flushed; it records how many rows they hold,
  and a resumed run continues after exactly those rows;
* a stop signal mid-epoch writes a checkpoint at the next optimiser-step boundary with the epoch's data
  position and RNG state (:mod:`skillsight.training.interruption`), and ``fit`` raises
  :class:`~skillsight.exceptions.TrainingInterrupted`.

Each task's learning-rate schedule is sized here from the loader (optimiser steps in all and per epoch).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.utilities.exceptions import SIGTERMException
from torch.utils.data import DataLoader

from skillsight.config import TrainerConfig
from skillsight.exceptions import TrainingInterrupted
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO
from skillsight.training.epoch_callbacks import BestModelSaver, EpochSeeder, saved_model, seed_epoch
from skillsight.training.fit_result import FitResult
from skillsight.training.interruption import StopOnSignal, StopRequested
from skillsight.training.metrics_log import MetricsCsvLogger, MetricsPhase
from skillsight.training.quiet import quiet_lightning
from skillsight.training.resume import resume_epoch, resume_point
from skillsight.training.task_base import OptimisedTask
from skillsight.training.trainer_setup import (
    enable_gradient_checkpointing,
    make_loggers,
    optimizer_steps,
    trainer_kwargs,
)

__all__ = [
    "LAST_CHECKPOINT",
    "METRICS_CSV",
    "STEPS_CSV",
    "BestModelSaver",
    "EpochSeeder",
    "FitResult",
    "fit",
    "resume_epoch",
    "seed_epoch",
]

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
METRICS_CSV = Path("logs") / "metrics.csv"
STEPS_CSV = Path("logs") / "steps.csv"


def _callbacks(
    trainer_cfg: TrainerConfig,
    saver: BestModelSaver,
    seeder: EpochSeeder,
    stopper: StopOnSignal,
    phase: MetricsPhase,
) -> list[Callback]:
    # Order matters: the saver writes the previous epoch's checkpoint before the stopper may stop at an
    # epoch's start; the seeder seeds before anything draws random numbers.
    callbacks: list[Callback] = [seeder, phase, saver, stopper]
    if trainer_cfg.progress_bar:
        from lightning.pytorch.callbacks import RichProgressBar

        callbacks.append(RichProgressBar(leave=False))
    return callbacks


def fit(
    task: L.LightningModule,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    run_dir: str | Path,
    trainer_cfg: TrainerConfig,
    resume: bool = False,
    monitor: str | None = "val/take_acc",
    metadata: dict[str, Any] | None = None,
    mode: str = "max",
) -> FitResult:
    """Train ``task`` and write the run folder; returns where the result is and its best score.

    Args:
        task: a LightningModule (an :class:`~skillsight.training.task_base.OptimisedTask` gets its
            schedule sized from ``train_loader``); its ``saved_model()`` (or ``model``) is saved.
        resume: continue from ``run_dir/checkpoints/last.ckpt`` (error if absent). Without it, a folder
            that already holds a checkpoint is refused (a run never overwrites another's checkpoints).
        monitor: metric deciding the best model (``val/take_acc`` by default); None: the latest model.
        mode: ``"max"`` or ``"min"``: whether a larger ``monitor`` is better.

    Raises:
        FileNotFoundError: ``resume`` without a checkpoint.
        CheckpointError: the checkpoint is damaged or belongs to another model (nothing is changed).
        RunWriteError: a checkpoint could not be written (disk full); the previous one is intact.
        TrainingInterrupted: SIGTERM or SIGINT stopped training; the checkpoint holds where it stopped.
        MissingDependencyError: ``trainer.logger=tensorboard`` without the tensorboard package.
        ConfigError: ``trainer.gradient_checkpointing`` on a model without a backbone that supports it.
    """
    run_dir = Path(run_dir)
    last = run_dir / LAST_CHECKPOINT
    start = resume_point(task, run_dir, last, run_dir / METRICS_CSV, resume)  # before writing anything
    run_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(trainer_cfg.seed, workers=True, verbose=False)
    if trainer_cfg.gradient_checkpointing:
        enable_gradient_checkpointing(saved_model(task))
    if isinstance(task, OptimisedTask):
        total, per_epoch = optimizer_steps(train_loader, trainer_cfg)
        task.set_schedule_length(total, per_epoch, trainer_cfg.max_epochs)
    metrics_log = MetricsCsvLogger(run_dir / METRICS_CSV, start.kept_rows, start.kept_steps)
    checkpoint_io = SafetensorsCheckpointIO(start.preloaded, header_fields=metrics_log.flush)
    saver = BestModelSaver(run_dir, last, monitor, mode, metadata, checkpoint_io)
    stopper = StopOnSignal(last)
    callbacks = _callbacks(
        trainer_cfg,
        saver,
        EpochSeeder(trainer_cfg.seed, start.first_epoch, train_loader),
        stopper,
        MetricsPhase(metrics_log, trainer_cfg.log_every_n_steps),
    )
    quiet_lightning()
    trainer = L.Trainer(
        **trainer_kwargs(trainer_cfg),
        logger=make_loggers(trainer_cfg, metrics_log, run_dir),
        callbacks=callbacks,
        plugins=[checkpoint_io],
    )
    try:
        trainer.fit(
            task,
            train_dataloaders=train_loader,
            val_dataloaders=val_loader,
            ckpt_path=str(last) if resume else None,
        )
    except StopRequested as stop:
        raise _interrupted(stop.signal_name, stop.where, last) from None
    except SIGTERMException:  # Lightning's own handler: a SIGTERM before training started
        raise _interrupted("SIGTERM", "before its first step", last) from None
    except SystemExit:  # Lightning exits after a KeyboardInterrupt: a second Ctrl-C, or one outside training
        raise _interrupted("SIGINT", "at once (the last complete checkpoint is kept)", last) from None
    metrics_log.flush()
    result = FitResult(
        run_dir=run_dir,
        best_model_path=run_dir / "model.safetensors",
        best_score=saver.best * saver.sign,
        epochs_run=trainer.current_epoch,
        is_global_zero=trainer.is_global_zero,
        monitor=monitor,
        best_epoch=saver.best_epoch,
    )
    if stopper.requested is not None:  # the signal came during the last epoch's end: training is complete
        raise _interrupted(stopper.requested, f"after the last epoch ({result.line()})", last)
    return result


def _interrupted(signal_name: str, where: str, last: Path) -> TrainingInterrupted:
    return TrainingInterrupted(
        f"training stopped by {signal_name} {where}; {last} holds the run up to there: continue it "
        "with --resume (fit(..., resume=True))",
        signal_name,
    )
