"""Train and evaluate on MSB: the 2D-gaze teacher (gaze-dynamics branch), then the distilled 2D-gaze student.

``train_msb(root, out)`` writes two run folders (``out/teacher``, ``out/student``) through the one
training loop and returns their test metrics (swing accuracy and balanced accuracy over the held-out
players, plus the training-majority baseline). The student is distilled as on Ego-Exo4D: CE +
lambda_dis x L1(f_p(dis), f_t(teacher features)) + 0.1 x CE on the stroke (act token).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.evaluation.metrics import accuracy, balanced_accuracy
from skillsight.models import create_model, model_dim, model_inputs
from skillsight.models.skillsight_student import TeacherProjection
from skillsight.projects.msb import models as _models  # noqa: F401  (registers the MSB models)
from skillsight.projects.msb.dataset import MsbData, MsbSwingDataset, load_msb
from skillsight.projects.msb.synthetic import MSB_LEVELS
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.training.input_stats import channel_statistics, fit_standardizers
from skillsight.training.loop import fit
from skillsight.training.sampling import make_loader
from skillsight.training.skill_data import TeacherFeatureDataset, collate, precompute_teacher_features
from skillsight.training.tasks import DistillationTask, SupervisedTask

__all__ = ["evaluate_msb_model", "train_msb"]


@torch.no_grad()
def evaluate_msb_model(model: torch.nn.Module, data: MsbData) -> dict[str, Any]:
    """Swing accuracy / balanced accuracy on the test players, and the training majority's."""
    model.eval()
    loader = make_loader(MsbSwingDataset(data.test, data.gaze), 64, shuffle=False, collate_fn=collate)
    names = model_inputs(model)
    preds, labels = [], []
    for batch in loader:
        preds.append(model(**{n: batch[n] for n in names})["logits"].argmax(-1))
        labels.append(batch["label"])
    y, p = torch.cat(labels).numpy(), torch.cat(preds).numpy()
    majority = np.full_like(y, np.bincount([s.label for s in data.train], minlength=len(MSB_LEVELS)).argmax())
    k = len(MSB_LEVELS)
    return {
        "num_swings": len(y),
        "overall_accuracy": accuracy(y, p),
        "balanced_accuracy": balanced_accuracy(y, p, k),
        "majority": {
            "overall_accuracy": accuracy(y, majority),
            "balanced_accuracy": balanced_accuracy(y, majority, k),
        },
    }


def _loaders(data: MsbData, batch_size: int, seed: int, train_ds=None):
    train = train_ds or MsbSwingDataset(data.train, data.gaze)
    val = MsbSwingDataset(data.val, data.gaze) if data.val else None
    return (
        make_loader(train, batch_size, shuffle=True, seed=seed, collate_fn=collate),
        make_loader(val, 64, shuffle=False, collate_fn=collate) if val is not None else None,
    )


def train_msb(
    root: str | Path,
    out: str | Path,
    size: str = "tiny",
    epochs: int = 30,
    seed: int = 0,
    distill_weight: float = 1.0,
) -> dict[str, dict[str, Any]]:
    """Train the MSB teacher and student (``size`` "tiny" or "paper") into ``out``; return test metrics."""
    out = Path(out)
    data = load_msb(root)
    suffix = "_tiny" if size == "tiny" else ""
    trainer = TrainerConfig(max_epochs=epochs, seed=seed, progress_bar=False)
    optim = OptimConfig(optimizer="adamw", lr=1e-3 if size == "tiny" else 1e-4, weight_decay=1e-2)
    results: dict[str, dict[str, Any]] = {}

    # 2D gaze in [0, 1] moves by a few hundredths within a swing: standardise each channel with the
    # training swings' statistics (stored in the model), as SkillSight runs do with data.standardize_gaze
    statistics = {"gaze": channel_statistics(MsbSwingDataset(data.train, data.gaze))}
    torch.manual_seed(seed)
    teacher = create_model(f"msb_teacher_2d{suffix}")
    fit_standardizers(teacher, statistics)
    train_loader, val_loader = _loaders(data, 32, seed)
    monitor = "val/take_acc" if val_loader is not None else "train/acc"
    fit(SupervisedTask(teacher, optim), train_loader, val_loader, out / "teacher", trainer, monitor=monitor)
    teacher = load_model(out / "teacher" / "model")
    results["teacher"] = evaluate_msb_model(teacher, data)

    features = precompute_teacher_features(teacher, MsbSwingDataset(data.train, data.gaze), 64)  # (N, Dt)
    torch.manual_seed(seed + 1)
    student = create_model(f"msb_student_2d{suffix}")
    fit_standardizers(student, statistics)
    train_ds = TeacherFeatureDataset(MsbSwingDataset(data.train, data.gaze), features.unsqueeze(1), seed)
    projection = TeacherProjection(int(features.shape[-1]), out_dim=model_dim(student, "distill_dim"))
    task = DistillationTask(student, projection, optim, distill_weight=distill_weight, action_loss_weight=0.1)
    train_loader, val_loader = _loaders(data, 32, seed, train_ds)
    fit(task, train_loader, val_loader, out / "student", trainer, monitor=monitor)
    results["student"] = evaluate_msb_model(load_model(out / "student" / "model"), data)
    for name, metrics in results.items():
        atomic_write_text(out / name / "metrics.json", json.dumps(metrics, indent=2))
    atomic_write_text(out / "data_scan.txt", data.summary + "\n")
    return results
