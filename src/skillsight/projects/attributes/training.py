"""The attribute mapper and the proficiency probe as tasks of the one training loop.

Both are full-batch fits: every optimiser step sees the whole training set (all labelled seconds for the
mapper, all labelled takes for the probe). The one loop runs them as one pass of ``steps`` batches that
are each the whole set (:class:`FullBatch`), so each step's loss is logged, a SIGTERM stops between two
steps with a checkpoint, and the fit resumes where it stopped.

``work_dir`` is the fit's run folder (model, checkpoint, logs); None trains in a temporary folder and
keeps only the model (the benchmark fits hundreds of mappers on features extracted once).
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.projects.attributes.config import MapperConfig, ProbeConfig
from skillsight.projects.attributes.mapper import AttributeMapper, ProficiencyProbe
from skillsight.training.loop import fit
from skillsight.training.sampling import make_loader
from skillsight.training.task_base import OptimisedTask

__all__ = ["FullBatch", "MapperTask", "ProbeTask", "train_mapper", "train_probe"]


class FullBatch(Dataset):
    """``steps`` items, each the whole set: ``{name: tensor}`` (N, ...) (collated by :meth:`collate`)."""

    def __init__(self, tensors: dict[str, torch.Tensor], steps: int) -> None:
        self.tensors, self.steps = tensors, steps

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, index: int) -> int:
        return index

    def collate(self, indices: list[int]) -> dict[str, torch.Tensor]:
        """One batch: the whole set."""
        return self.tensors


class MapperTask(OptimisedTask):
    """Multi-label BCE on the mapper's ``logits`` (B, K) (optionally positives weighted).

    Args:
        model: the :class:`AttributeMapper`.
        optim: its optimiser.
        pos_weight: (K,) weight of each attribute's positives, or None.
    """

    def __init__(self, model: nn.Module, optim: OptimConfig, pos_weight: torch.Tensor | None = None) -> None:
        super().__init__(optim)
        self.model = model
        self.loss_fn = nn.BCEWithLogitsLoss(pos_weight=pos_weight)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = self.loss_fn(self.model(batch["x"])["logits"], batch["y"])
        self.log("train/bce", loss.detach(), on_step=True, on_epoch=True, batch_size=int(batch["x"].shape[0]))
        return loss


class ProbeTask(OptimisedTask):
    """Cross-entropy of the probe's logits on the takes' proficiency labels."""

    def __init__(self, model: nn.Module, optim: OptimConfig) -> None:
        super().__init__(optim)
        self.model = model

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        loss = nn.functional.cross_entropy(self.model(batch["h"])["logits"], batch["label"])
        self.log("train/ce", loss.detach(), on_step=True, on_epoch=True, batch_size=int(batch["h"].shape[0]))
        return loss


def _fit_full_batch(
    task: OptimisedTask,
    tensors: dict[str, torch.Tensor],
    steps: int,
    trainer: TrainerConfig,
    work_dir: Path | None,
) -> None:
    data = FullBatch(tensors, steps)
    loader = make_loader(data, batch_size=1, shuffle=False, collate_fn=data.collate)
    cfg = replace(trainer, max_epochs=1, max_steps=-1)
    if work_dir is not None:
        fit(task, loader, None, work_dir, cfg, monitor=None)
        return
    with tempfile.TemporaryDirectory(prefix="attribute_fit_") as tmp:
        fit(task, loader, None, tmp, cfg, monitor=None)


def train_mapper(
    x: np.ndarray,
    y: np.ndarray,
    cfg: MapperConfig,
    trainer: TrainerConfig,
    work_dir: Path | None = None,
) -> AttributeMapper:
    """Full-batch AdamW on multi-label BCE over ``x`` (N, D) per-second features and ``y`` (N, K) {0, 1}
    attribute targets; the mapper standardises with the features' mean and std. Initialised from
    ``trainer.seed``. Returns the trained mapper in eval mode."""
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) == 0:
        raise ConfigError(f"train_mapper needs (N, D) and (N, K) with N > 0, got {x.shape} and {y.shape}")
    torch.manual_seed(trainer.seed)
    model: Any = create_model(
        "attribute_mapper",
        in_dim=int(x.shape[1]),
        num_attributes=int(y.shape[1]),
        hidden_dim=cfg.hidden_dim,
        dropout=cfg.dropout,
    )
    xt, yt = torch.from_numpy(x).float(), torch.from_numpy(y).float()
    model.mean.copy_(xt.mean(0))
    model.std.copy_(xt.std(0).clamp_min(1e-6) if len(xt) > 1 else torch.ones(x.shape[1]))
    pos = yt.mean(0).clamp(1e-3, 1 - 1e-3)
    pos_weight = ((1 - pos) / pos).clamp(max=20.0) if cfg.balance else None
    task = MapperTask(model, cfg.optim, pos_weight)
    _fit_full_batch(task, {"x": xt, "y": yt}, cfg.steps, trainer, work_dir)
    return model.eval()


def train_probe(
    h: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    cfg: ProbeConfig,
    trainer: TrainerConfig,
    work_dir: Path | None = None,
) -> ProficiencyProbe:
    """Full-batch AdamW on cross-entropy: a linear probe on (N, H) take representations. Initialised from
    ``trainer.seed``. Returns the trained probe in eval mode."""
    if len(h) != len(labels) or len(h) == 0:
        raise ConfigError(f"train_probe got {len(h)} representations and {len(labels)} labels")
    torch.manual_seed(trainer.seed)
    probe: Any = create_model("proficiency_probe", hidden_dim=int(h.shape[1]), num_classes=num_classes)
    tensors = {"h": torch.from_numpy(h).float(), "label": torch.from_numpy(np.asarray(labels)).long()}
    _fit_full_batch(ProbeTask(probe, cfg.optim), tensors, cfg.steps, trainer, work_dir)
    return probe.eval()
