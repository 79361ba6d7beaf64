"""The one training loop: a Lightning Trainer with pickle-free, atomic, checksummed, resumable checkpoints.

Run folder layout written here::

    run_dir/
      checkpoints/last.ckpt       resume state (weights, optimiser, loops, metrics.csv row count): ONE
                                  sealed safetensors file, replaced atomically after every epoch
      model.safetensors           best model by ``monitor``: weights + spec in one sealed file
      model.json                  readable copy of the best model's spec (with the weights' checksum)
      logs/metrics.csv            one row per log call (epoch, step, logged names)

``fit(..., resume=True)`` continues from ``checkpoints/last.ckpt`` after a kill and reaches the same
weights and the same metrics.csv as an uninterrupted run, dropout included:

* every RNG is reseeded from (seed, epoch) just BEFORE the epoch's data iterator is created (for the
  first epoch of a fit, fresh or resumed, Lightning creates it before ``on_train_epoch_start``, so that
  epoch is seeded in ``on_fit_start``), so creating the iterator draws from the same state in every case;
* the checkpoint of an epoch is a snapshot taken at the epoch's end, written only after Lightning has
  logged the epoch's training row and metrics.csv was flushed; it records how many rows the file holds,
  and a resumed run continues after exactly those rows.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import lightning as L
from lightning.pytorch.callbacks import Callback
from torch import nn
from torch.utils.data import DataLoader

from skillsight.config import TrainerConfig
from skillsight.exceptions import CheckpointError, ConfigError
from skillsight.runs.atomic import remove_stale_temp_files
from skillsight.runs.checkpoint import save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO, read_resume_checkpoint
from skillsight.training.metrics_log import MetricsCsvLogger, rows_to_keep
from skillsight.training.quiet import quiet_lightning

__all__ = [
    "LAST_CHECKPOINT",
    "METRICS_CSV",
    "BestModelSaver",
    "EpochSeeder",
    "FitResult",
    "fit",
    "seed_epoch",
]

LAST_CHECKPOINT = Path("checkpoints") / "last.ckpt"
METRICS_CSV = Path("logs") / "metrics.csv"


@dataclass
class FitResult:
    """Where the run wrote its outputs and the best monitored value."""

    run_dir: Path
    best_model_path: Path
    best_score: float
    epochs_run: int
    is_global_zero: bool = True  # False in the other processes of a DDP run


class BestModelSaver(Callback):
    """At each epoch end: save the model if ``monitor`` improved, and snapshot the resume checkpoint
    ``checkpoints/last.ckpt``; the snapshot is written at the next epoch's start or at the end of
    training (after Lightning has logged the epoch's metrics), or when training stops on an exception
    after that row was logged.

    Args:
        run_dir: the run folder.
        monitor: metric that decides the best model; mode ``"max"`` or ``"min"``.
        metadata: stored in the best model's spec.
        checkpoint_io: the trainer's :class:`SafetensorsCheckpointIO` (holds the snapshot).
        metrics_log: the run's metrics logger (tells whether the epoch's training row was logged).
    """

    def __init__(
        self,
        run_dir: Path,
        monitor: str = "val/take_acc",
        mode: str = "max",
        metadata: dict[str, Any] | None = None,
        checkpoint_io: SafetensorsCheckpointIO | None = None,
        metrics_log: MetricsCsvLogger | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.metrics_log = metrics_log
        self._rows_at_snapshot = 0
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.best = -math.inf
        self.metadata = metadata or {}
        self.checkpoint_io = checkpoint_io

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = float(state_dict["best"])

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        score = self.sign * float(value) if value is not None else -math.inf
        # Without a monitored metric the latest model is the best one (ties go to the later epoch).
        if value is None or score >= self.best:
            if trainer.is_global_zero:
                meta = {
                    **self.metadata,
                    "epoch": trainer.current_epoch,
                    self.monitor: None if value is None else float(value),
                }
                try:
                    model = cast(nn.Module, pl_module.model)
                    save_model(model, self.run_dir / "model", metadata=meta)
                except CheckpointError as err:  # NaN/inf weights: keep the previous best model
                    warnings.warn(f"epoch {trainer.current_epoch}: {err}", stacklevel=1)
                    value, score = None, self.best
            self.best = max(score, self.best) if value is not None else self.best
        if self.checkpoint_io is not None and trainer.is_global_zero:
            self.checkpoint_io.hold_next_save()
            self._rows_at_snapshot = self.metrics_log.num_rows if self.metrics_log is not None else 0
        trainer.save_checkpoint(self.run_dir / LAST_CHECKPOINT)

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
        # the epoch's training row (as before a SIGTERM stop), else the resume redoes the epoch, so that
        # metrics.csv never misses the row.
        if self.checkpoint_io is None or not self.checkpoint_io.has_pending:
            return
        if self.metrics_log is not None and self.metrics_log.num_rows <= self._rows_at_snapshot:
            return
        try:
            self.checkpoint_io.commit()
        except Exception as err:  # do not hide the original exception
            warnings.warn(f"could not write the last epoch's checkpoint: {err}", stacklevel=1)


class EpochSeeder(Callback):
    """Reseeds every RNG from (seed, epoch) before each epoch's data iterator is created and calls
    ``set_epoch`` on the training dataset and sampler. Each epoch's shuffling, random clips and dropout
    then depend only on the seed, the epoch and the weights, so a run resumed after a kill continues
    exactly as an uninterrupted one.

    Lightning builds the first epoch's iterator of every ``fit`` call (fresh or resumed) before any epoch
    hook runs, and later epochs' iterators after ``on_train_epoch_start``; so the first epoch is seeded
    in ``on_fit_start`` and the others in ``on_train_epoch_start``.

    Args:
        seed: the run's seed.
        first_epoch: the epoch this fit call starts with (the resume checkpoint's next epoch, else 0).
        loader: the training loader (its dataset and sampler get ``set_epoch`` before the first epoch).
    """

    def __init__(self, seed: int, first_epoch: int = 0, loader: Any = None) -> None:
        self.seed = seed
        self.first_epoch = first_epoch
        self.loader = loader
        self._seeded: int | None = None

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        seed_epoch(self.seed, self.first_epoch, self.loader)
        self._seeded = self.first_epoch

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.current_epoch != self._seeded:
            seed_epoch(self.seed, trainer.current_epoch, trainer.train_dataloader)
            self._seeded = trainer.current_epoch


def seed_epoch(seed: int, epoch: int, loader: Any) -> None:
    """Seed every RNG from (seed, epoch) and tell the loader's dataset and sampler which epoch starts."""
    L.seed_everything(seed * 100_003 + epoch, workers=True, verbose=False)
    for part in (getattr(loader, "dataset", None), getattr(loader, "sampler", None)):
        if part is not None and hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


def resume_epoch(checkpoint: dict[str, Any]) -> int:
    """The epoch a resume checkpoint continues with: the number of epochs whose training had ended when
    it was taken (an end-of-epoch snapshot continues with the next epoch, a mid-epoch one with its own)."""
    try:
        return int(checkpoint["loops"]["fit_loop"]["epoch_progress"]["total"]["processed"])
    except (KeyError, TypeError, ValueError):
        return int(checkpoint.get("epoch", -1)) + 1


def _check_checkpoint_fits(task: L.LightningModule, checkpoint: dict[str, Any], path: Path) -> None:
    """The checkpoint's weights have the task's tensor names and shapes, else a CheckpointError naming one."""
    stored = checkpoint.get("state_dict")
    if not isinstance(stored, dict):
        raise CheckpointError(path, "resume checkpoint holds no state_dict (not written by skillsight fit)")
    expected = task.state_dict()
    hint = "resume checkpoint was written by another model or task than the one being resumed"
    for key, tensor in expected.items():
        if key not in stored:
            raise CheckpointError(path, f"{hint}: tensor missing", field=key)
        if tuple(stored[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                path,
                f"{hint}: shape {list(stored[key].shape)} stored, {list(tensor.shape)} expected",
                field=key,
            )
    extra = [k for k in stored if k not in expected]
    if extra:
        raise CheckpointError(path, f"{hint}: unexpected tensor ({len(extra)} in all)", field=extra[0])


def fit(
    task: L.LightningModule,
    train_loader: DataLoader,
    val_loader: DataLoader | None,
    run_dir: str | Path,
    trainer_cfg: TrainerConfig,
    resume: bool = False,
    monitor: str = "val/take_acc",
    metadata: dict[str, Any] | None = None,
) -> FitResult:
    """Train ``task`` and write the run folder; returns where the best model is.

    Args:
        resume: continue from ``run_dir/checkpoints/last.ckpt`` (error if absent). Without it, a folder
            that already holds a checkpoint is refused (a run never overwrites another's checkpoints).
        monitor: metric deciding the best model (``val/take_acc`` by default; max).

    Raises:
        FileNotFoundError: ``resume`` without a checkpoint.
        CheckpointError: the checkpoint is damaged or belongs to another model (nothing is changed).
        RunWriteError: a checkpoint could not be written (disk full); the previous one is intact.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    L.seed_everything(trainer_cfg.seed, workers=True, verbose=False)
    last = run_dir / LAST_CHECKPOINT
    if not resume and last.is_file():
        raise ConfigError(
            f"{run_dir} already holds a run ({last}); pass --resume to continue it, or choose "
            "another output folder (nothing was overwritten)"
        )
    first_epoch, kept_rows, preloaded = 0, None, {}
    if resume:
        if not last.is_file():
            raise FileNotFoundError(f"--resume given but {last} does not exist (nothing to resume)")
        for folder in (last.parent, run_dir, run_dir / METRICS_CSV.parent):
            remove_stale_temp_files(folder)
        checkpoint, fields = read_resume_checkpoint(last)  # verified before anything is changed
        _check_checkpoint_fits(task, checkpoint, last)
        first_epoch = resume_epoch(checkpoint)
        counted = int(fields["metrics_rows"]) if fields.get("metrics_rows", "").isdigit() else None
        kept_rows = rows_to_keep(run_dir / METRICS_CSV, counted, int(checkpoint.get("epoch", -1)))
        preloaded = {str(last): checkpoint}
    metrics_log = MetricsCsvLogger(run_dir / METRICS_CSV, keep_rows=kept_rows)
    checkpoint_io = SafetensorsCheckpointIO(
        preloaded, header_fields=lambda: {"metrics_rows": str(metrics_log.flush())}
    )
    saver = BestModelSaver(run_dir, monitor, "max", metadata, checkpoint_io, metrics_log)
    callbacks: list[Callback] = [saver, EpochSeeder(trainer_cfg.seed, first_epoch, train_loader)]
    if trainer_cfg.progress_bar:
        from lightning.pytorch.callbacks import RichProgressBar

        callbacks.append(RichProgressBar(leave=False))
    quiet_lightning()
    trainer = L.Trainer(
        max_epochs=trainer_cfg.max_epochs,
        max_steps=trainer_cfg.max_steps,
        accelerator=trainer_cfg.accelerator,
        devices=trainer_cfg.devices,
        strategy=_strategy(trainer_cfg),
        deterministic=trainer_cfg.deterministic,
        logger=metrics_log,
        callbacks=callbacks,
        plugins=[checkpoint_io],
        enable_checkpointing=False,
        enable_progress_bar=trainer_cfg.progress_bar,
        enable_model_summary=False,
        log_every_n_steps=trainer_cfg.log_every_n_steps,
        check_val_every_n_epoch=trainer_cfg.check_val_every_n_epoch,
        num_sanity_val_steps=0,
    )
    trainer.fit(
        task,
        train_dataloaders=train_loader,
        val_dataloaders=val_loader,
        ckpt_path=str(last) if resume else None,
    )
    metrics_log.flush()
    return FitResult(
        run_dir=run_dir,
        best_model_path=run_dir / "model.safetensors",
        best_score=saver.best * saver.sign,
        epochs_run=trainer.current_epoch,
        is_global_zero=trainer.is_global_zero,
    )


def _strategy(cfg: TrainerConfig) -> Any:
    if cfg.strategy == "ddp" and cfg.accelerator == "cpu":
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(process_group_backend="gloo")
    return cfg.strategy
