"""How a :class:`TrainerConfig` becomes Lightning's Trainer arguments, the run's loggers, and the model
switches set from config (gradient checkpointing); and how long the learning-rate schedule is.

The cluster environment is Lightning's to detect: under torchrun or SLURM it takes ranks, world size
and the master address from the environment, for ``devices`` processes per node on ``num_nodes`` nodes.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any

from torch import nn
from torch.utils.data import DataLoader

from skillsight.config import TrainerConfig
from skillsight.exceptions import ConfigError, MissingDependencyError

__all__ = [
    "enable_gradient_checkpointing",
    "hf_checkpointing",
    "make_loggers",
    "optimizer_steps",
    "strategy_for",
    "trainer_kwargs",
]


def strategy_for(cfg: TrainerConfig) -> Any:
    """The Lightning strategy: DDP over gloo on CPUs, else the configured name."""
    if cfg.strategy == "ddp" and cfg.accelerator == "cpu":
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(process_group_backend="gloo")
    return cfg.strategy


def trainer_kwargs(cfg: TrainerConfig) -> dict[str, Any]:
    """The Trainer arguments a TrainerConfig sets (logging, callbacks and plugins are added by fit)."""
    return {
        "max_epochs": cfg.max_epochs,
        "max_steps": cfg.max_steps,
        "accelerator": cfg.accelerator,
        "devices": cfg.devices,
        "num_nodes": cfg.num_nodes,
        "strategy": strategy_for(cfg),
        "precision": cfg.precision if cfg.precision != "32" else "32-true",
        "accumulate_grad_batches": cfg.accumulate_grad_batches,
        "deterministic": cfg.deterministic,
        "log_every_n_steps": cfg.log_every_n_steps,
        "check_val_every_n_epoch": cfg.check_val_every_n_epoch,
        "enable_progress_bar": cfg.progress_bar,
        "enable_checkpointing": False,
        "enable_model_summary": False,
        "num_sanity_val_steps": 0,
    }


def make_loggers(cfg: TrainerConfig, csv_logger: Any, run_dir: Path) -> list[Any]:
    """The CSV logger, plus TensorBoard under ``run_dir/logs/tensorboard`` for ``logger="tensorboard"``.

    Raises:
        MissingDependencyError: TensorBoard was asked for but the package is not installed.
    """
    loggers = [csv_logger]
    if cfg.logger == "tensorboard":
        if importlib.util.find_spec("tensorboard") is None:  # Lightning's TensorBoardLogger needs it
            raise MissingDependencyError("tensorboard (for trainer.logger=tensorboard)", "tracking")
        from lightning.pytorch.loggers import TensorBoardLogger

        loggers.append(TensorBoardLogger(save_dir=str(run_dir / "logs"), name="tensorboard", version=""))
    return loggers


def hf_checkpointing(backbone: nn.Module) -> None:
    """Switch on a Hugging Face model's activation checkpointing (non-reentrant), by the name of the
    installed transformers (``activation_checkpointing_enable`` from v5, before it
    ``gradient_checkpointing_enable``)."""
    kwargs = {"use_reentrant": False}
    enable: Callable[..., Any] | None = getattr(backbone, "activation_checkpointing_enable", None)
    if enable is not None:
        enable(activation_checkpointing_kwargs=kwargs)
    else:
        getattr(backbone, "gradient_checkpointing_enable")(gradient_checkpointing_kwargs=kwargs)  # noqa: B009


def _switch_on(module: nn.Module) -> int:
    """Depth-first: a module's own ``enable_gradient_checkpointing()`` (the gaze-biased TimeSformer keeps
    its layer 0 out), else a trainable Hugging Face backbone's ``gradient_checkpointing_enable()``."""
    own = getattr(module, "enable_gradient_checkpointing", None)
    if callable(own):
        own()
        return 1
    hf = getattr(module, "supports_gradient_checkpointing", False) and hasattr(
        module, "gradient_checkpointing_enable"
    )
    if hf:
        if not any(p.requires_grad for p in module.parameters()):  # frozen: it keeps no activations
            return 0
        hf_checkpointing(module)
        return 1
    return sum(_switch_on(child) for child in module.children())


def enable_gradient_checkpointing(module: nn.Module) -> int:
    """Switch on activation checkpointing in every trainable video backbone of ``module`` (Hugging Face
    ``gradient_checkpointing_enable()``: each transformer layer's activations are recomputed in the
    backward pass instead of kept); returns how many backbones were switched.

    Raises:
        ConfigError: no backbone of ``module`` supports it (the switch would silently do nothing).
    """
    switched = _switch_on(module)
    if not switched:
        name = getattr(module, "model_name", type(module).__name__)
        raise ConfigError(
            f"trainer.gradient_checkpointing=true but {name} has no trainable Hugging Face backbone that "
            "supports it (it applies to the TimeSformer and DINOv2 video backbones)"
        )
    return switched


def _batches_per_epoch(loader: DataLoader, world_size: int) -> int:
    if world_size == 1:
        return len(loader)
    dataset = loader.dataset
    if not isinstance(dataset, Sized):
        raise ConfigError(f"a multi-process run needs a dataset with a length, got {type(dataset).__name__}")
    batch_size = loader.batch_size or 1
    per_rank = math.ceil(len(dataset) / world_size)  # the distributed sampler pads to equal shares
    return math.ceil(per_rank / batch_size) if not loader.drop_last else per_rank // batch_size


def optimizer_steps(loader: DataLoader, cfg: TrainerConfig) -> tuple[int, int]:
    """(optimiser steps in all, per epoch) of a fit over ``loader``: ``ceil(batches / accumulation)`` per
    epoch (Lightning steps on an epoch's last, partial accumulation too), capped by ``max_steps``."""
    per_epoch = max(1, math.ceil(_batches_per_epoch(loader, cfg.world_size()) / cfg.accumulate_grad_batches))
    total = per_epoch * cfg.max_epochs
    if cfg.max_steps > 0:
        total = min(total, cfg.max_steps)
    return total, per_epoch
