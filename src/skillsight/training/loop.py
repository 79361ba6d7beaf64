"""The one training loop: a Lightning Trainer with pickle-free, atomic, resumable checkpoints.

Run folder layout written here::

    run_dir/
      checkpoints/last.ckpt(.safetensors)   resume state after every epoch (optimiser, loops, RNG-free)
      model.safetensors + model.json        best model by ``monitor`` (safetensors + name/args)
      logs/                                 CSV logs (one row per step/epoch)

``fit(..., resume=True)`` continues from ``checkpoints/last.ckpt`` after a kill; nothing is lost
because every file is replaced atomically.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader

from skillsight.config import TrainerConfig
from skillsight.exceptions import ConfigError
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO
from skillsight.training.quiet import quiet_lightning

__all__ = ["LAST_CHECKPOINT", "BestModelSaver", "EpochSeeder", "FitResult", "fit", "seed_epoch"]

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
    """After each validation (or each epoch without validation) save the model if ``monitor`` improved,
    and always write the resume checkpoint ``checkpoints/last.ckpt``."""

    def __init__(
        self,
        run_dir: Path,
        monitor: str = "val/take_acc",
        mode: str = "max",
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.run_dir = run_dir
        self.monitor = monitor
        self.sign = 1.0 if mode == "max" else -1.0
        self.best = -math.inf
        self.metadata = metadata or {}

    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.best = float(state_dict["best"])

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        value = trainer.callback_metrics.get(self.monitor)
        score = self.sign * float(value) if value is not None else -math.inf
        # Without a monitored metric the latest model is the best one (ties go to the later epoch).
        if value is None or score >= self.best:
            self.best = max(score, self.best) if value is not None else self.best
            if trainer.is_global_zero:
                meta = {
                    **self.metadata,
                    "epoch": trainer.current_epoch,
                    self.monitor: None if value is None else float(value),
                }
                save_model(pl_module.model, self.run_dir / "model", metadata=meta)
        trainer.save_checkpoint(self.run_dir / LAST_CHECKPOINT)


class EpochSeeder(Callback):
    """Reseeds every RNG at each epoch start from (seed, epoch) and calls ``set_epoch`` on the training
    dataset. Each epoch's shuffling, random clips and dropout then depend only on the seed, the epoch and
    the weights, so a run resumed after a kill continues exactly as an uninterrupted one."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        seed_epoch(self.seed, trainer.current_epoch, trainer.train_dataloader)


def seed_epoch(seed: int, epoch: int, loader: Any) -> None:
    """Seed every RNG from (seed, epoch) and tell the loader's dataset and sampler which epoch starts."""
    L.seed_everything(seed * 100_003 + epoch, workers=True, verbose=False)
    for part in (getattr(loader, "dataset", None), getattr(loader, "sampler", None)):
        if hasattr(part, "set_epoch"):
            part.set_epoch(epoch)


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
    if resume:
        if not last.is_file():
            raise FileNotFoundError(f"--resume given but {last} does not exist (nothing to resume)")
        # Lightning builds the first resumed epoch's iterator before any epoch hook runs: seed it here.
        finished_epoch = int(SafetensorsCheckpointIO().load_checkpoint(last)["epoch"])
        seed_epoch(trainer_cfg.seed, finished_epoch + 1, train_loader)
    earlier_rows = _logged_rows(run_dir / METRICS_CSV, up_to_epoch=finished_epoch) if resume else []
    saver = BestModelSaver(run_dir, monitor=monitor, metadata=metadata)
    callbacks: list[Callback] = [saver, EpochSeeder(trainer_cfg.seed)]
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
        logger=CSVLogger(run_dir, name="logs", version=""),
        callbacks=callbacks,
        plugins=[SafetensorsCheckpointIO()],
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
    if earlier_rows and trainer.is_global_zero:  # the CSV logger starts a new file on resume
        _write_rows(run_dir / METRICS_CSV, earlier_rows + _logged_rows(run_dir / METRICS_CSV))
    return FitResult(
        run_dir=run_dir,
        best_model_path=run_dir / "model.safetensors",
        best_score=saver.best * saver.sign,
        epochs_run=trainer.current_epoch,
        is_global_zero=trainer.is_global_zero,
    )


def _logged_rows(path: Path, up_to_epoch: int | None = None) -> list[dict[str, str]]:
    """Rows of a Lightning metrics.csv (all, or those of epochs <= ``up_to_epoch``); [] if absent."""
    if not path.is_file():
        return []
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    return [r for r in rows if up_to_epoch is None or int(r["epoch"]) <= up_to_epoch]


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    """Write rows with the union of their columns (first-seen order), atomically."""
    columns = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def _strategy(cfg: TrainerConfig) -> Any:
    if cfg.strategy == "ddp" and cfg.accelerator == "cpu":
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(process_group_backend="gloo")
    return cfg.strategy
