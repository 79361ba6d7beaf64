"""metrics.csv (one row per epoch) and steps.csv: values of one epoch join one row, rows are written once
complete, continued after the rows a resume checkpoint counted, rewritten whole when a column appears."""

from __future__ import annotations

import csv

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.models import create_model
from skillsight.training.loop import METRICS_CSV, STEPS_CSV, fit
from skillsight.training.metrics_log import MetricsCsvLogger, read_metric_rows, rows_to_keep
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import SupervisedTask
from tests.unit.training._toy import ToyDataset


def test_values_of_one_epoch_join_one_row_written_once_complete(tmp_path):
    path = tmp_path / "logs" / "metrics.csv"
    log = MetricsCsvLogger(path)
    log.log_metrics({"train/loss": 0.9, "epoch": 0}, step=0)  # a step value: steps.csv
    log.epoch_phase = True
    log.log_metrics({"val/acc": 0.5, "epoch": 0}, step=3)
    log.save()
    assert not path.exists(), "the epoch's row waits for its training means"
    log.log_metrics({"train/loss": 0.5, "epoch": 0}, step=3)
    log.log_metrics({"val/acc": 0.75, "epoch": 1}, step=7)  # a new epoch closes epoch 0's row
    log.save()
    assert path.read_text().splitlines() == ["epoch,step,train/loss,val/acc", "0,3,0.5,0.5"]
    log.log_metrics({"train/loss": 0.25, "lr": 0.1, "epoch": 1}, step=7)  # a new column
    assert log.flush() == {"metrics_rows": "2", "steps_rows": "1"}
    assert path.read_text().splitlines() == [
        "epoch,step,lr,train/loss,val/acc",
        "0,3,,0.5,0.5",
        "1,7,0.1,0.25,0.75",
    ]
    assert (tmp_path / "logs" / "steps.csv").read_text().splitlines() == ["epoch,step,train/loss", "0,0,0.9"]


def test_a_resumed_log_continues_after_the_counted_rows_only(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss,step\n0,1.0,3\n1,0.5,7\n2,0.2,11\n2,0.1,1")  # 2 counted, then a torn row
    kept = rows_to_keep(path, counted=2, legacy_last_epoch=None)
    assert kept == [{"epoch": "0", "loss": "1.0", "step": "3"}, {"epoch": "1", "loss": "0.5", "step": "7"}]
    log = MetricsCsvLogger(path, keep_rows=kept)
    assert path.read_text().count("\n") == 4, "nothing is changed before the first write"
    log.epoch_phase = True
    log.log_metrics({"loss": 0.3, "epoch": 2}, step=11)
    assert log.flush()["metrics_rows"] == "3"
    assert [r["loss"] for r in read_metric_rows(path)] == ["1.0", "0.5", "0.3"]


def test_first_format_checkpoints_keep_the_rows_of_their_epochs(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss,step\n0,1.0,3\n1,0.5,7\n2,0.2,11\n")
    assert [r["epoch"] for r in rows_to_keep(path, counted=None, legacy_last_epoch=1)] == ["0", "1"]


def test_a_fit_writes_one_row_per_epoch_with_train_val_and_lr_and_one_row_per_logged_step(tmp_path):
    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True)  # 4 batches
    val = make_loader(ToyDataset(32, seed=1), batch_size=16, shuffle=False)
    optim = OptimConfig(lr=0.1, schedule="cosine", warmup_ratio=0.5)  # 4 steps: 2 of warm-up
    cfg = TrainerConfig(max_epochs=2, progress_bar=False, log_every_n_steps=1, accumulate_grad_batches=2)
    fit(SupervisedTask(create_model("test_toy_gaze_classifier"), optim), train, val, tmp_path, cfg)
    with (tmp_path / METRICS_CSV).open() as handle:
        epochs = list(csv.DictReader(handle))
    assert [r["epoch"] for r in epochs] == ["0", "1"], "one row per epoch"
    assert all(r["train/loss"] and r["val/take_acc"] and r["val/loss"] and r["lr"] for r in epochs)
    assert [r["step"] for r in epochs] == ["1", "3"], "the last optimiser step's index (2 per epoch)"
    with (tmp_path / STEPS_CSV).open() as handle:
        steps = list(csv.DictReader(handle))
    assert [int(r["step"]) for r in steps] == [0, 1, 2, 3]
    # warm-up 0.05, 0.1, then cosine over the last 2 of 4 steps: 0.1, 0.05
    assert [float(r["lr"]) for r in steps] == [0.05, 0.1, 0.1, 0.05]
    assert float(epochs[1]["lr"]) == float(steps[-1]["lr"]), "an epoch row holds its last step's rate"
