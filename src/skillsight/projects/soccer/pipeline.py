"""Train and evaluate the Expert-Novice Soccer rows on one cross-validation fold.

Rows (all with the same optimiser, epochs and batch size; the Lightning tasks of training/tasks.py
and the one loop of training/loop.py):

* ``teacher``: ``soccer_teacher`` (motion + gaze), trained on the fold's samples that have motion;
* ``motion_only``: ``soccer_motion_only``, same samples;
* ``gaze_only``: ``soccer_gaze_only`` (the teacher's gaze branch alone), every training sample;
* ``student``: the generic SkillSight student (``skillsight_student_tiny`` preset, act token over
  the 9 actions, dis token) distilled from this fold's teacher (same seed) with the distillation
  weight chosen on an inner validation split of the training fold; every training sample (for the two
  samples without motion the distillation target is the teacher's features with the motion branch
  masked out, its defined output when no motion is given);
* ``student_no_distill``: the same student with distillation off (action loss kept), to attribute
  the effect of distillation;
* ``majority``: the training fold's majority label.

Channel statistics are fitted on the training part only (projects/soccer/dataset.py). Every trained
model's run folder lives in a temporary directory: only predictions are kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.evaluation.crossval import Fold
from skillsight.exceptions import ConfigError
from skillsight.models import create_model, model_dim, model_inputs
from skillsight.models.skillsight_student import TeacherProjection
from skillsight.projects.soccer import models as _soccer_models  # noqa: F401  (registers test_soccer_*)
from skillsight.projects.soccer.dataset import SoccerNormaliser, SoccerTorchDataset, fit_normaliser
from skillsight.projects.soccer.reader import SOCCER_ACTIONS, SOCCER_LABELS, SoccerSample
from skillsight.training.loop import fit
from skillsight.training.tasks import DistillationTask, SupervisedTask

__all__ = [
    "ROWS",
    "SoccerTrainConfig",
    "predict",
    "run_fold",
    "select_distill_weight",
    "train_student",
    "train_supervised",
]

#: rows in table order.
ROWS: tuple[str, ...] = ("student", "teacher", "motion_only", "gaze_only", "majority", "student_no_distill")


@dataclass
class SoccerTrainConfig:
    """Everything one fold's training needs (fixed before looking at any test fold)."""

    epochs: int = 20
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 1e-2
    dropout: float = 0.1
    action_loss_weight: float = 0.1  # lambda_act of the student (paper 0.1)
    distill_grid: tuple[float, ...] = (0.3, 1.0, 3.0)  # lambda_dis candidates, chosen on inner validation
    teacher_model: str = "soccer_teacher"
    motion_model: str = "soccer_motion_only"
    gaze_model: str = "soccer_gaze_only"
    student_model: str = "skillsight_student_tiny"
    model_args: dict[str, Any] = field(default_factory=dict)  # extra args for the soccer_* models
    # the student's encoder matches one teacher branch (32-d, 2 layers, 4 heads): same capacity as gaze_only
    student_args: dict[str, Any] = field(
        default_factory=lambda: dict(
            dim=32, num_layers=2, num_heads=4, ffn_dim=64, distill_hidden=64, distill_dim=32
        )
    )
    rows: tuple[str, ...] = ROWS


def _optim(cfg: SoccerTrainConfig) -> OptimConfig:
    return OptimConfig(optimizer="adamw", lr=cfg.lr, weight_decay=cfg.weight_decay)


def _fit(task: Any, dataset: SoccerTorchDataset, cfg: SoccerTrainConfig, seed: int) -> None:
    generator = torch.Generator().manual_seed(seed)
    loader = DataLoader(dataset, batch_size=cfg.batch_size, shuffle=True, generator=generator)
    trainer_cfg = TrainerConfig(max_epochs=cfg.epochs, seed=seed, progress_bar=False, log_every_n_steps=50)
    with tempfile.TemporaryDirectory(prefix="soccer_run_") as run_dir:
        fit(task, loader, None, run_dir, trainer_cfg)


def train_supervised(
    model: nn.Module, dataset: SoccerTorchDataset, cfg: SoccerTrainConfig, seed: int
) -> nn.Module:
    """Cross-entropy training of ``model`` for ``cfg.epochs``; returns the model in eval mode."""
    task = SupervisedTask(model, _optim(cfg))
    _fit(task, dataset, cfg, seed)
    return model.eval()


def train_student(
    student: nn.Module, dataset: SoccerTorchDataset, cfg: SoccerTrainConfig, seed: int, distill_weight: float
) -> nn.Module:
    """Distillation training (CE + distill_weight * L1 + action_loss_weight * CE_act).

    ``dataset`` must carry "teacher_features"; f_t is a fixed random projection seeded by ``seed``.
    """
    if dataset.teacher_features is None:
        raise ConfigError("train_student needs a dataset with teacher_features")
    torch.manual_seed(seed + 7919)
    projection = TeacherProjection(
        teacher_feature_dim=int(dataset.teacher_features.shape[1]),
        hidden_dim=int(dataset.teacher_features.shape[1]),
        out_dim=model_dim(student, "distill_dim"),
    )
    task = DistillationTask(
        student,
        projection,
        _optim(cfg),
        distill_weight=distill_weight,
        action_loss_weight=cfg.action_loss_weight,
    )
    _fit(task, dataset, cfg, seed)
    return student.eval()


@torch.no_grad()
def predict(model: nn.Module, dataset: SoccerTorchDataset, key: str = "logits") -> np.ndarray:
    """Model output ``key`` for every item, (n, D) float32 numpy."""
    model.eval()
    names = model_inputs(model)
    outs = []
    for start in range(0, len(dataset), 64):
        batch = {n: dataset.tensors[n][start : start + 64] for n in names}
        outs.append(model(**batch)[key].float())
    return torch.cat(outs).numpy()


def _models(
    cfg: SoccerTrainConfig, num_steps: int, gaze_channels: int, motion_features: int
) -> dict[str, Any]:
    common = dict(num_steps=num_steps, gaze_channels=gaze_channels, dropout=cfg.dropout, **cfg.model_args)
    # every channel of a soccer sample is observed (dense streams stretched onto one time base), so the
    # student needs no per-channel mask: use_channel_mask=False unless the config says otherwise
    student = dict(
        num_classes=len(SOCCER_LABELS),
        gaze_channels=gaze_channels,
        num_steps=num_steps,
        num_actions=len(SOCCER_ACTIONS),
        dropout=cfg.dropout,
        **{"use_channel_mask": False, **cfg.student_args},
    )
    return {
        "teacher": lambda: create_model(cfg.teacher_model, motion_features=motion_features, **common),
        "motion_only": lambda: create_model(cfg.motion_model, motion_features=motion_features, **common),
        "gaze_only": lambda: create_model(cfg.gaze_model, **common),
        "student": lambda: create_model(cfg.student_model, **student),
    }


def _split(samples: dict[str, SoccerSample], ids: Sequence[str]) -> list[SoccerSample]:
    return [samples[i] for i in ids]


def _teacher_and_students(
    train: list[SoccerSample],
    tests: list[SoccerSample],
    cfg: SoccerTrainConfig,
    seed: int,
    weights: Sequence[float],
    rows: Sequence[str],
) -> dict[str, np.ndarray]:
    """Train the requested rows on ``train``; logits on ``tests`` by row (``student_w<w>`` per weight)."""
    norm: SoccerNormaliser = fit_normaliser(train)
    s0 = train[0]
    motion_names = next(s.motion.feature_names for s in train if s.motion is not None)
    build = _models(cfg, s0.gaze.shape[0], s0.gaze.shape[1], len(motion_names))
    with_motion = [s for s in train if s.motion is not None]
    out: dict[str, np.ndarray] = {}
    teacher = None
    needs_teacher = "teacher" in rows or any(r.startswith("student") for r in rows)
    if needs_teacher:
        torch.manual_seed(seed)
        teacher = train_supervised(build["teacher"](), SoccerTorchDataset(with_motion, norm), cfg, seed)
        if "teacher" in rows:
            out["teacher"] = predict(teacher, SoccerTorchDataset(tests, norm))
    for row in ("motion_only", "gaze_only"):
        if row in rows:
            torch.manual_seed(seed)
            row_train = with_motion if row == "motion_only" else train
            model = build[row]()
            train_ds = SoccerTorchDataset(row_train, norm, model_inputs(model))
            out[row] = predict(
                train_supervised(model, train_ds, cfg, seed),
                SoccerTorchDataset(tests, norm, model_inputs(model)),
            )
    student_rows = [r for r in rows if r.startswith("student")]
    if student_rows:
        assert teacher is not None  # trained above: every student row needs the teacher
        features = predict(teacher, SoccerTorchDataset(train, norm), key="features")  # (n_train, Dt)
        gaze_inputs = ("gaze", "gaze_mask")
        test_ds = SoccerTorchDataset(tests, norm, gaze_inputs)
        for weight in weights:
            torch.manual_seed(seed)
            student = build["student"]()
            train_ds = SoccerTorchDataset(train, norm, gaze_inputs, teacher_features=features)
            out[f"student_w{weight:g}"] = predict(
                train_student(student, train_ds, cfg, seed, weight), test_ds
            )
    return out


def select_distill_weight(
    samples: dict[str, SoccerSample], inner: Fold, cfg: SoccerTrainConfig, seed: int
) -> tuple[float, dict[float, float]]:
    """Choose lambda_dis on an inner split (train on ``inner.train``, score accuracy on ``inner.test``).

    Returns the best weight (ties: the smallest) and the validation accuracy of every candidate.
    """
    train, val = _split(samples, inner.train), _split(samples, inner.test)
    logits = _teacher_and_students(train, val, cfg, seed, cfg.distill_grid, ("student",))
    labels = np.array([s.label for s in val])
    scores = {w: float((logits[f"student_w{w:g}"].argmax(1) == labels).mean()) for w in cfg.distill_grid}
    best = max(cfg.distill_grid, key=lambda w: (scores[w], -w))
    return best, scores


def run_fold(
    samples: dict[str, SoccerSample], fold: Fold, cfg: SoccerTrainConfig, seed: int, distill_weight: float
) -> list[dict[str, Any]]:
    """Train every row of ``cfg.rows`` on ``fold.train`` and predict ``fold.test``.

    Returns one record per (row, test sample): row, sample_id, player, label, pred, has_motion and
    p_expert (NaN for majority); rows needing motion skip test samples without it.
    """
    train, tests = _split(samples, fold.train), _split(samples, fold.test)
    trained = [r for r in cfg.rows if r != "majority"]
    weights = ([distill_weight] if "student" in trained else []) + (
        [0.0] if "student_no_distill" in trained else []
    )
    logits = _teacher_and_students(train, tests, cfg, seed, weights, trained)
    if "student_no_distill" in cfg.rows:
        logits["student_no_distill"] = logits["student_w0"]
    if "student" in cfg.rows:
        logits["student"] = logits[f"student_w{distill_weight:g}"]
    records = []
    train_labels = np.array([s.label for s in train])
    majority = int(np.bincount(train_labels, minlength=2).argmax())
    for row in cfg.rows:
        for i, s in enumerate(tests):
            needs_motion = row in ("teacher", "motion_only")
            if needs_motion and s.motion is None:
                continue
            if row == "majority":
                pred, p_expert = majority, float("nan")
            else:
                z = logits[row][i]
                pred = int(z.argmax())
                p_expert = float(np.exp(z[1] - np.logaddexp(z[0], z[1])))
            records.append(
                dict(
                    row=row,
                    fold=fold.name,
                    seed=seed,
                    sample_id=s.sample_id,
                    player=s.player,
                    label=s.label,
                    pred=pred,
                    p_expert=p_expert,
                    has_motion=s.motion is not None,
                    distill_weight=distill_weight if row == "student" else None,
                )
            )
    return records
