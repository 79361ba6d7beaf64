"""EgoDistill's self-supervised head-motion pretraining: the stage before distillation.

EgoDistill (Tan, Nagarajan & Grauman, NeurIPS 2023) pretrains its IMU encoder before the distillation
stage, without labels: given the first and the last frame of a clip and the head motion between them,
the motion encoder learns to anticipate the visual change. A small fusion network maps (image feature of
the first frame, motion feature) to a prediction of the last frame's image feature, scored against the
true one with a contrastive InfoNCE loss whose negatives are the other clips' last frames in the batch;
the image encoder is frozen, so only the motion can explain how the view changed.

Here the image encoder is the EgoDistill model's own per-frame CNN, frozen in eval mode at its
initialisation (nothing is downloaded, so there is no ImageNet encoder as in the paper; a random CNN's
features still move with the view); the first and last of the clip's ``sparse_frames`` are the two
frames (they are the clip's first and last frames, :mod:`skillsight.data.extra_inputs.sparse_frames`)
and ``head_motion`` spans exactly the time between them. The stage runs through the one training loop
(:func:`skillsight.training.loop.fit`) into ``RUN/motion_pretrain/`` (its own ``model.safetensors``,
``checkpoints/last.ckpt`` and ``logs/metrics.csv``), resumable like any run; the distillation stage then
starts from a model whose ``motion_encoder`` holds those weights (:func:`load_pretrained_motion_encoder`).
``RUN/motion_pretrain/summary.json`` marks the stage complete (a resumed run does not redo it).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from skillsight.config import RunConfig
from skillsight.exceptions import CheckpointError, ConfigError
from skillsight.models.layers.heads import MLP
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV, fit
from skillsight.training.process_group import is_launch_rank_zero
from skillsight.training.task_base import OptimisedTask

__all__ = [
    "NCE_TEMPERATURE",
    "PRETRAIN_DIR",
    "MotionPretrainTask",
    "check_pretrainable",
    "info_nce",
    "load_pretrained_motion_encoder",
    "run_motion_pretraining",
]

#: the stage's folder inside the run folder.
PRETRAIN_DIR = Path("motion_pretrain")
#: InfoNCE temperature (cosine similarities / tau).
NCE_TEMPERATURE = 0.1
_SUMMARY = "summary.json"


def info_nce(
    predicted: torch.Tensor, target: torch.Tensor, temperature: float = NCE_TEMPERATURE
) -> torch.Tensor:
    """InfoNCE of predictions (B, D) against targets (B, D): row i's positive is target i, the other
    rows' targets are its negatives; cosine similarity over ``temperature``, mean over rows."""
    logits = F.normalize(predicted, dim=-1) @ F.normalize(target, dim=-1).T / temperature  # (B, B)
    return F.cross_entropy(logits, torch.arange(logits.shape[0], device=logits.device))


def check_pretrainable(model: nn.Module, name: str) -> None:
    """Refuse a model without the parts the objective needs, naming what it lacks.

    Raises:
        ConfigError: no frame encoder / motion encoder, or fewer than 2 sparse frames.
    """
    missing = [a for a in ("frame_encoder", "motion_encoder", "motion_dim") if not hasattr(model, a)]
    if missing:
        raise ConfigError(
            f"task.motion_pretrain_epochs applies to EgoDistill (a frame encoder and a head-motion "
            f"encoder); model {name!r} has no {', '.join(missing)}: set task.motion_pretrain_epochs=0"
        )
    k = int(getattr(model, "num_sparse_frames", 0))
    if k < 2:
        raise ConfigError(
            f"head-motion pretraining predicts the last sparse frame from the first: it needs "
            f"num_sparse_frames >= 2, model {name!r} has {k}"
        )


class MotionPretrainTask(OptimisedTask):
    """The pretraining objective: InfoNCE(fuse(f(first frame), g(head motion)), f(last frame)).

    ``f`` (the model's ``frame_encoder``) is frozen in eval mode; ``g`` (its ``motion_encoder``) and the
    fusion network (Linear-ReLU-Linear to the frame feature width) train. The saved model is the whole
    EgoDistill model (only its motion encoder differs from the initialisation).

    Args:
        model: an EgoDistill model (``frame_encoder``, ``motion_encoder``, ``motion_dim``).
        optim: optimiser settings.
        temperature: InfoNCE temperature.
    """

    def __init__(self, model: nn.Module, optim: Any, temperature: float = NCE_TEMPERATURE) -> None:
        super().__init__(optim)
        check_pretrainable(model, str(getattr(model, "model_name", type(model).__name__)))
        self.model = model
        self.temperature = float(temperature)
        frame_dim = int(cast(int, self._frame_encoder().feature_dim))
        motion_dim = int(cast(int, model.motion_dim))
        self.fusion = MLP((frame_dim + motion_dim, 2 * frame_dim, frame_dim))
        model.requires_grad_(False)
        self._motion_encoder().requires_grad_(True)

    def _frame_encoder(self) -> nn.Module:
        return cast(nn.Module, self.model.frame_encoder)

    def _motion_encoder(self) -> nn.Module:
        return cast(nn.Module, self.model.motion_encoder)

    def train(self, mode: bool = True) -> MotionPretrainTask:
        """The motion encoder and fusion follow ``mode``; the frozen frame encoder stays in eval mode."""
        super().train(mode)
        self._frame_encoder().eval()
        return self

    def optimised_module(self) -> nn.Module:
        """The motion encoder and the fusion network (a view, not a registered child)."""
        return nn.ModuleList([self._motion_encoder(), self.fusion])

    def losses(self, batch: dict[str, Any]) -> dict[str, torch.Tensor]:
        """``motion_nce`` (the loss) and ``motion_top1`` (how often the prediction's nearest target in the
        batch is its own clip's last frame)."""
        frames = batch["sparse_frames"]  # (B, K, 3, S, S)
        with torch.no_grad():
            first = self._frame_encoder()(frames[:, 0])  # (B, Df)
            last = self._frame_encoder()(frames[:, -1])  # (B, Df)
        motion = self._motion_encoder()(batch["head_motion"], batch["head_motion_mask"])  # (B, Dm)
        predicted = self.fusion(torch.cat([first, motion], dim=-1))  # (B, Df)
        loss = info_nce(predicted, last, self.temperature)
        with torch.no_grad():
            sims = F.normalize(predicted, dim=-1) @ F.normalize(last, dim=-1).T
            top1 = (sims.argmax(-1) == torch.arange(sims.shape[0], device=sims.device)).float().mean()
        return {"motion_nce": loss, "motion_top1": top1}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        terms = self.losses(batch)
        batch_size = int(batch["sparse_frames"].shape[0])
        self.log_dict(
            {f"train/{k}": v.detach() for k, v in terms.items()},
            batch_size=batch_size,
            sync_dist=True,
            on_step=False,
            on_epoch=True,
        )
        return terms["motion_nce"]


def _logged(run_dir: Path, column: str) -> list[float]:
    with (run_dir / METRICS_CSV).open(newline="") as f:
        return [float(r[column]) for r in csv.DictReader(f) if r.get(column)]


def run_motion_pretraining(
    model: nn.Module,
    cfg: RunConfig,
    train_loader: Any,
    run_dir: Path,
    resume: bool,
    say: Callable[[str], None],
) -> Path:
    """Pretrain a copy of ``model``'s motion encoder for ``cfg.task.motion_pretrain_epochs`` epochs into
    ``run_dir / motion_pretrain`` (skipped when a resumed run finds the stage complete); returns the stage's
    ``model.safetensors``. ``model`` itself is not changed: load the result with
    :func:`load_pretrained_motion_encoder`.

    Raises:
        ConfigError: the model has no frame and motion encoders, or fewer than 2 sparse frames.
    """
    stage_dir = run_dir / PRETRAIN_DIR
    weights = stage_dir / "model.safetensors"
    epochs = int(cfg.task.motion_pretrain_epochs)
    summary_path = stage_dir / _SUMMARY
    if resume and summary_path.is_file() and weights.is_file():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        if summary.get("epochs") == epochs:
            say(f"motion pretraining: complete in {stage_dir} ({epochs} epochs), reused")
            return weights
    task = MotionPretrainTask(copy.deepcopy(model), cfg.optim)
    trainer_cfg = dataclasses.replace(cfg.trainer, max_epochs=epochs, max_steps=-1)
    fit(
        task,
        train_loader,
        None,
        stage_dir,
        trainer_cfg,
        resume=resume and (stage_dir / LAST_CHECKPOINT).is_file(),
        monitor=None,  # self-supervised, no validation: the latest encoder is the result
        metadata={"run_name": cfg.name, "stage": "head-motion pretraining (EgoDistill)"},
    )
    nce = _logged(stage_dir, "train/motion_nce")
    top1 = _logged(stage_dir, "train/motion_top1")
    if is_launch_rank_zero():
        summary = {
            "epochs": epochs,
            "objective": "InfoNCE(fuse(f(first frame), g(head motion)), f(last frame)), f frozen",
            "temperature": NCE_TEMPERATURE,
            "motion_nce_per_epoch": nce,
            "motion_top1_per_epoch": top1,
        }
        atomic_write_text(summary_path, json.dumps(summary, indent=2) + "\n")
    if nce:
        say(
            f"motion pretraining: {epochs} epochs, InfoNCE {nce[0]:.3f} -> {nce[-1]:.3f}, "
            f"in-batch top-1 {top1[0]:.2f} -> {top1[-1]:.2f} ({stage_dir})"
        )
    return weights


def load_pretrained_motion_encoder(model: nn.Module, weights: Path) -> None:
    """Copy the motion encoder of the pretraining stage's saved model into ``model`` (in place).

    Raises:
        CheckpointError: the file is not a saved model of the same architecture.
    """
    pretrained = load_model(weights)
    source = getattr(pretrained, "motion_encoder", None)
    if source is None:
        raise CheckpointError(weights, "holds no motion_encoder (not a head-motion pretraining result)")
    try:
        cast(nn.Module, model.motion_encoder).load_state_dict(source.state_dict())
    except RuntimeError as err:
        raise CheckpointError(
            weights, f"its motion encoder does not fit this model's (another model.args?): {err}"
        ) from None
