"""Resume is bit-exact with dropout on: kill after epoch k, resume, and every weight, every optimiser and
scheduler value and every metrics.csv row equal those of an uninterrupted run."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.models import create_model
from skillsight.runs.checkpoint import load_model
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from skillsight.training import loop
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV, fit
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import DistillationTask, SupervisedTask
from tests.unit.training._toy import ToyDataset

# AdamW with a warm-up and a milestone inside the run: a resume that replays the schedule wrongly shows.
OPTIM = OptimConfig(optimizer="adamw", lr=2e-2, warmup_epochs=2, milestones=[3], gamma=0.1)


def _task(kind: str) -> SupervisedTask:
    torch.manual_seed(7)  # the same initial weights in every run
    model = create_model("test_toy_gaze_classifier", dropout=0.3)
    if kind == "distillation":
        projection = torch.nn.Linear(6, 8)
        return DistillationTask(model, projection, OPTIM, distill_weight=0.5, action_loss_weight=0.0)
    return SupervisedTask(model, OPTIM)


def _fit(folder: Path, epochs: int, kind: str = "supervised", resume: bool = False) -> None:
    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True, seed=3)
    val = make_loader(ToyDataset(32, seed=1), batch_size=16, shuffle=False)
    cfg = TrainerConfig(max_epochs=epochs, progress_bar=False, log_every_n_steps=2, seed=5)
    fit(_task(kind), train, val, folder, cfg, resume=resume)


def _assert_same_run(a: Path, b: Path) -> None:
    state_a, fields_a = read_resume_checkpoint(a / LAST_CHECKPOINT)
    state_b, fields_b = read_resume_checkpoint(b / LAST_CHECKPOINT)
    for key, value in state_a["state_dict"].items():
        assert torch.equal(value, state_b["state_dict"][key]), f"weight {key} differs"
    opt_a, opt_b = state_a["optimizer_states"][0], state_b["optimizer_states"][0]
    assert opt_a["param_groups"] == opt_b["param_groups"], "learning rate / schedule differs"
    for index, slots in opt_a["state"].items():
        for name, value in slots.items():
            assert torch.equal(value, opt_b["state"][index][name]), f"optimiser state {index}/{name} differs"
    assert state_a["lr_schedulers"] == state_b["lr_schedulers"]
    assert state_a["global_step"] == state_b["global_step"]
    assert fields_a["metrics_rows"] == fields_b["metrics_rows"]
    rows_a = (a / METRICS_CSV).read_text().splitlines()
    assert rows_a == (b / METRICS_CSV).read_text().splitlines(), "metrics.csv differs"
    assert len(rows_a) - 1 == int(fields_a["metrics_rows"])
    best_a, best_b = load_model(a / "model").state_dict(), load_model(b / "model").state_dict()
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a), "best model differs"


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    runs = {}
    for kind in ("supervised", "distillation"):
        runs[kind] = tmp_path_factory.mktemp(f"full_{kind}")
        _fit(runs[kind], 4, kind)
    return runs


@pytest.mark.parametrize(("kind", "stop_after"), [("supervised", 1), ("supervised", 2), ("distillation", 2)])
def test_resume_after_epoch_k_is_bit_identical_with_dropout(uninterrupted, tmp_path, kind, stop_after):
    _fit(tmp_path, stop_after, kind)  # the "killed" run: its last checkpoint is epoch stop_after - 1
    _fit(tmp_path, 4, kind, resume=True)
    _assert_same_run(uninterrupted[kind], tmp_path)


def test_dropout_makes_the_comparison_sensitive(uninterrupted, tmp_path, monkeypatch):
    """Seeding the first resumed epoch after its data iterator exists (the old order) is caught."""
    _fit(tmp_path, 2)
    monkeypatch.setattr(loop.EpochSeeder, "setup", lambda self, trainer, module, stage: None)
    _fit(tmp_path, 4, resume=True)
    with pytest.raises(AssertionError, match="differs"):
        _assert_same_run(uninterrupted["supervised"], tmp_path)


def test_resume_drops_rows_logged_after_the_checkpoint(uninterrupted, tmp_path):
    """Rows a killed process wrote after its last checkpoint are not kept twice."""
    _fit(tmp_path, 2)
    csv_path = tmp_path / METRICS_CSV
    lines = csv_path.read_text().splitlines()
    csv_path.write_text(
        "\n".join([*lines, lines[-1].replace("1,", "2,", 1), "2,9,0.5,"]) + "\n"
    )  # + a torn row
    _fit(tmp_path, 4, resume=True)
    _assert_same_run(uninterrupted["supervised"], tmp_path)
