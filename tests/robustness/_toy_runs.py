"""Shared by the checkpoint robustness tests: a toy run (4 batches per epoch, dropout 0.3, AdamW with a
milestone), the comparison with an uninterrupted run, and names of dead processes' temporary files."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.models import create_model
from skillsight.runs.atomic import temp_path_for
from skillsight.runs.checkpoint import load_model
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV, STEPS_CSV, fit
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import SupervisedTask
from tests.unit.training._toy import ToyDataset

__all__ = [
    "EPOCHS",
    "REPO",
    "Killed",
    "assert_same_run",
    "dead_pid",
    "dead_temp_name",
    "first_callback",
    "fit_toy",
    "folder_digest",
    "toy",
]

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 3


class Killed(BaseException):
    """Stands for the process dying at this point (not an Exception: nothing may swallow it)."""


def toy(seed: int = 7, **kwargs: Any) -> torch.nn.Module:
    """The toy classifier with dropout 0.3, initialised from ``seed``."""
    torch.manual_seed(seed)
    return create_model("test_toy_gaze_classifier", dropout=0.3, **kwargs)


def fit_toy(
    run: Path, epochs: int = EPOCHS, resume: bool = False, accumulate: int = 1, **model_kwargs: Any
) -> None:
    """Train (or resume) the toy run in ``run`` with ``training.loop.fit`` (always the same data, seeds);
    ``accumulate`` > 1: gradient accumulation and a per-step cosine schedule with warm-up instead."""
    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True, seed=3)
    val = make_loader(ToyDataset(32, seed=1), batch_size=16, shuffle=False)
    optim = OptimConfig(optimizer="adamw", lr=2e-2, milestones=[2])
    if accumulate > 1:
        optim = OptimConfig(optimizer="adamw", lr=2e-2, schedule="cosine", warmup_ratio=0.2)
    task = SupervisedTask(toy(**model_kwargs), optim)
    cfg = TrainerConfig(
        max_epochs=epochs,
        progress_bar=False,
        log_every_n_steps=1 if accumulate > 1 else 2,
        seed=5,
        accumulate_grad_batches=accumulate,
    )
    fit(task, train, val, run, cfg, resume=resume)


def assert_same_run(reference: Path, run: Path) -> None:
    """Same weights, optimiser state, schedule, global step, metrics.csv and steps.csv (text) and best
    model as ``reference``."""
    a, fields_a = read_resume_checkpoint(reference / LAST_CHECKPOINT)
    b, fields_b = read_resume_checkpoint(run / LAST_CHECKPOINT)
    assert a["global_step"] == b["global_step"]
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), f"{run.name}: weight {key} differs"
    opt_a, opt_b = a["optimizer_states"][0], b["optimizer_states"][0]
    assert opt_a["param_groups"] == opt_b["param_groups"], f"{run.name}: learning rate / schedule differs"
    for index, slots in opt_a["state"].items():
        for name, value in slots.items():
            assert torch.equal(value, opt_b["state"][index][name]), f"{run.name}: optimiser {index}/{name}"
    assert a["lr_schedulers"] == b["lr_schedulers"], f"{run.name}: scheduler state differs"
    assert fields_a["metrics_rows"] == fields_b["metrics_rows"]
    for table in (METRICS_CSV, STEPS_CSV):
        assert (reference / table).read_text() == (run / table).read_text(), f"{run.name}: {table} differs"
    best_a, best_b = load_model(reference / "model").state_dict(), load_model(run / "model").state_dict()
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a), f"{run.name}: best model differs"


def folder_digest(folder: Path) -> str:
    """SHA-256 over the names and bytes of every file under ``folder``."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def dead_pid() -> int:
    """The id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def dead_temp_name(dest: Path) -> Path:
    """A temporary name for ``dest`` as written by a process of this host that no longer exists."""
    live = temp_path_for(dest).name.split(".")
    live[-3] = str(dead_pid())  # .<name>.<host>.<pid>.<token>.tmp
    return dest.with_name(".".join(live))


def first_callback(patch: pytest.MonkeyPatch, callback: Any) -> None:
    """Make fit's Trainer run ``callback`` before its own callbacks."""
    from skillsight.training import loop

    real_trainer = loop.L.Trainer

    def trainer(*args: Any, **kwargs: Any) -> Any:
        return real_trainer(*args, **{**kwargs, "callbacks": [callback, *kwargs["callbacks"]]})

    patch.setattr(loop.L, "Trainer", trainer)
