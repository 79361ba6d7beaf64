"""Trainer options from config: gradient checkpointing (same numbers, less kept), the TensorBoard
logger (and its missing-package message), the Trainer arguments, and the schedule's step counts."""

from __future__ import annotations

import importlib.util

import pytest
import torch
from torch.utils.data import DataLoader

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.exceptions import ConfigError, MissingDependencyError
from skillsight.models import create_model
from skillsight.training.loop import fit
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import SupervisedTask
from skillsight.training.trainer_setup import (
    enable_gradient_checkpointing,
    make_loggers,
    optimizer_steps,
    trainer_kwargs,
)
from tests.unit.training._toy import ToyDataset


def _loss_and_grads(model: torch.nn.Module) -> tuple[torch.Tensor, list[torch.Tensor]]:
    torch.manual_seed(1)
    inputs = model.example_inputs(2)
    model.train()
    loss = model(**inputs)["logits"].square().sum()
    loss.backward()
    grads = [p.grad.clone() for p in model.parameters() if p.grad is not None]
    model.zero_grad()
    return loss.detach(), grads


@pytest.mark.parametrize("name", ["test_timesformer_video", "test_skillsight_teacher"])
def test_gradient_checkpointing_keeps_the_numbers_and_recomputes_the_backbone_layers(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, dropout=0.0) if name == "test_skillsight_teacher" else create_model(name)
    loss, grads = _loss_and_grads(model)
    assert enable_gradient_checkpointing(model) == 1
    layers = [m for m in model.modules() if type(m).__name__ == "TimesformerLayer"]
    flags = [layer.gradient_checkpointing for layer in layers]
    if name == "test_skillsight_teacher":  # the gaze bias lives on layer 0 only during the forward call
        assert flags == [False] + [True] * (len(layers) - 1)
    else:
        assert all(flags) and flags
    loss_ckpt, grads_ckpt = _loss_and_grads(model)
    torch.testing.assert_close(loss_ckpt, loss)
    for a, b in zip(grads_ckpt, grads):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_gradient_checkpointing_on_a_model_without_a_backbone_is_refused() -> None:
    with pytest.raises(ConfigError, match="no trainable Hugging Face backbone"):
        enable_gradient_checkpointing(create_model("test_toy_gaze_classifier"))


def test_trainer_arguments_follow_the_config() -> None:
    cfg = TrainerConfig(
        accelerator="gpu",
        devices=4,
        num_nodes=2,
        strategy="ddp",
        precision="bf16-mixed",
        accumulate_grad_batches=3,
    )
    kwargs = trainer_kwargs(cfg)
    assert (kwargs["devices"], kwargs["num_nodes"], kwargs["strategy"], kwargs["precision"]) == (
        4,
        2,
        "ddp",
        "bf16-mixed",
    )
    assert (
        kwargs["accumulate_grad_batches"] == 3 and trainer_kwargs(TrainerConfig())["precision"] == "32-true"
    )
    assert cfg.world_size() == 8


def test_optimizer_steps_count_partial_accumulations_and_ranks() -> None:
    loader = DataLoader(list(range(24)), batch_size=2)  # 12 batches
    assert optimizer_steps(loader, TrainerConfig(max_epochs=2, accumulate_grad_batches=4)) == (6, 3)
    assert optimizer_steps(loader, TrainerConfig(max_epochs=2, accumulate_grad_batches=5)) == (6, 3)
    two_ranks = TrainerConfig(max_epochs=1, devices=2, strategy="ddp")  # 12 samples per rank: 6 batches
    assert optimizer_steps(loader, two_ranks) == (6, 6)
    assert optimizer_steps(loader, TrainerConfig(max_epochs=10, max_steps=7)) == (7, 12)


def test_tensorboard_writes_events_beside_the_csv(tmp_path) -> None:
    pytest.importorskip("tensorboard", reason="the 'tracking' extra (tensorboard) is not installed")
    train = make_loader(ToyDataset(32), batch_size=16, shuffle=True)
    cfg = TrainerConfig(max_epochs=1, progress_bar=False, logger="tensorboard", log_every_n_steps=1)
    fit(
        SupervisedTask(create_model("test_toy_gaze_classifier"), OptimConfig()),
        train,
        None,
        tmp_path,
        cfg,
        monitor=None,
    )
    assert list((tmp_path / "logs" / "tensorboard").glob("events.out.tfevents.*"))
    assert (tmp_path / "logs" / "metrics.csv").is_file()


def test_tensorboard_without_the_package_is_a_clear_error(tmp_path, monkeypatch) -> None:
    """The dev extra installs tensorboard, so its absence is simulated where the code looks for it."""
    real_find_spec = importlib.util.find_spec

    def no_tensorboard(name: str, *args, **kwargs):
        return None if name == "tensorboard" else real_find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", no_tensorboard)
    with pytest.raises(MissingDependencyError, match=r"pip install 'skillsight\[tracking\]'"):
        make_loggers(TrainerConfig(logger="tensorboard"), None, tmp_path)
