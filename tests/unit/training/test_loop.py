"""The training loop: learning happens, checkpoints are safetensors+JSON, resume continues, seeds repeat."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.models import create_model
from skillsight.runs.checkpoint import load_model
from skillsight.training.loop import LAST_CHECKPOINT, fit
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import DistillationTask, SupervisedTask
from tests.unit.training._toy import ToyDataset


def _loaders() -> tuple[DataLoader, DataLoader]:
    return (
        make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True),
        make_loader(ToyDataset(32, seed=1), batch_size=16, shuffle=False),
    )


def _trainer(epochs: int) -> TrainerConfig:
    return TrainerConfig(max_epochs=epochs, progress_bar=False, log_every_n_steps=1)


def test_supervised_fit_learns_and_writes_run_folder(tmp_path):
    train, val = _loaders()
    task = SupervisedTask(create_model("test_toy_gaze_classifier"), OptimConfig(lr=3e-2))
    result = fit(task, train, val, tmp_path, _trainer(8))
    assert result.best_score > 0.8
    spec = json.loads((tmp_path / "model.json").read_text())
    assert spec["model_name"] == "test_toy_gaze_classifier"
    assert (tmp_path / LAST_CHECKPOINT).is_file()
    assert not (tmp_path / f"{LAST_CHECKPOINT}.safetensors").exists(), "one file per checkpoint"
    loaded = load_model(tmp_path / "model")
    assert isinstance(loaded, nn.Module)


def test_seeded_runs_are_deterministic(tmp_path):
    states = []
    for name in ("a", "b"):
        torch.manual_seed(123)  # different global state before: fit must reseed
        train, val = _loaders()
        task = SupervisedTask(create_model("test_toy_gaze_classifier"), OptimConfig(lr=1e-2))
        fit(task, train, val, tmp_path / name, _trainer(2))
        states.append(load_model(tmp_path / name / "model").state_dict())
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key]), key


def test_resume_continues_to_the_same_weights(tmp_path):
    """3 epochs in one go == 2 epochs, 'killed', then resumed for the 3rd."""

    def run(folder, epochs, resume=False, model=None):
        torch.manual_seed(7)  # same initial weights in both runs
        train, val = _loaders()
        task = SupervisedTask(model or create_model("test_toy_gaze_classifier"), OptimConfig(lr=1e-2))
        return task, fit(task, train, val, folder, _trainer(epochs), resume=resume)

    full_task, _ = run(tmp_path / "full", 3)
    run(tmp_path / "cut", 2)
    resumed_task, result = run(tmp_path / "cut", 3, resume=True)
    assert result.epochs_run == 3
    for key, value in full_task.model.state_dict().items():
        torch.testing.assert_close(resumed_task.model.state_dict()[key], value)


def test_resume_without_checkpoint_is_a_clear_error(tmp_path):
    train, val = _loaders()
    task = SupervisedTask(create_model("test_toy_gaze_classifier"), OptimConfig())
    with pytest.raises(FileNotFoundError, match="nothing to resume"):
        fit(task, train, val, tmp_path, _trainer(1), resume=True)


def test_distillation_loss_adds_weighted_l1_to_cross_entropy():
    model = create_model("test_toy_gaze_classifier")
    projection = nn.Linear(6, 8)
    task = DistillationTask(model, projection, OptimConfig(), distill_weight=0.5, action_loss_weight=0.0)
    batch = next(iter(DataLoader(ToyDataset(8), batch_size=8)))
    out = model(gaze=batch["gaze"])
    terms = task.losses(batch, out)
    ce = nn.functional.cross_entropy(out["logits"], batch["label"])
    l1 = (out["distill_embedding"] - projection(batch["teacher_features"])).abs().mean()
    torch.testing.assert_close(terms["loss"], ce + 0.5 * l1)
    assert not any(p.requires_grad for p in projection.parameters()), "f_t is a fixed projection by default"


def test_training_into_a_finished_run_without_resume_is_refused(tmp_path):
    from skillsight.exceptions import ConfigError

    def task() -> SupervisedTask:
        return SupervisedTask(create_model("test_toy_gaze_classifier"), OptimConfig(lr=1e-2))

    fit(task(), *_loaders(), tmp_path, _trainer(1))
    before = (tmp_path / LAST_CHECKPOINT).read_bytes()
    with pytest.raises(ConfigError, match="--resume"):
        fit(task(), *_loaders(), tmp_path, _trainer(1))
    assert (tmp_path / LAST_CHECKPOINT).read_bytes() == before


def test_a_trainable_f_t_is_optimised_with_the_student():
    from skillsight.training.optim import build_optimizer

    model = create_model("test_toy_gaze_classifier")
    projection = nn.Linear(6, 8)
    task = DistillationTask(
        model, projection, OptimConfig(), action_loss_weight=0.0, train_teacher_projection=True
    )
    optimised = {id(p) for group in build_optimizer(task, task.optim).param_groups for p in group["params"]}
    assert all(p.requires_grad and id(p) in optimised for p in projection.parameters())
    batch = next(iter(DataLoader(ToyDataset(8), batch_size=8)))
    task.train()
    task.losses(batch, model(gaze=batch["gaze"]))["loss"].backward()
    assert projection.weight.grad is not None and projection.weight.grad.abs().sum() > 0
