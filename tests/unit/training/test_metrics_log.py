"""metrics.csv: rows with sorted columns as Lightning's CSVLogger writes them, continued after the rows a
resume checkpoint counted, appended while the columns stay, rewritten whole when a column appears."""

from __future__ import annotations

from skillsight.training.metrics_log import MetricsCsvLogger, read_metric_rows, rows_to_keep


def test_rows_columns_and_a_new_column(tmp_path):
    path = tmp_path / "logs" / "metrics.csv"
    log = MetricsCsvLogger(path)
    log.log_metrics({"train/loss": 0.5, "epoch": 0}, step=3)
    assert log.flush() == 1
    log.log_metrics({"train/loss": 0.25, "epoch": 1}, step=7)
    log.log_metrics({"val/acc": 0.75, "epoch": 1}, step=7)  # a new column: the file is rewritten
    assert log.flush() == 3
    assert path.read_text().splitlines() == [
        "epoch,step,train/loss,val/acc",
        "0,3,0.5,",
        "1,7,0.25,",
        "1,7,,0.75",
    ]


def test_a_resumed_log_continues_after_the_counted_rows_only(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss,step\n0,1.0,3\n1,0.5,7\n2,0.2,11\n2,0.1,1")  # 2 counted, then a torn row
    kept = rows_to_keep(path, counted=2, legacy_last_epoch=None)
    assert kept == [{"epoch": "0", "loss": "1.0", "step": "3"}, {"epoch": "1", "loss": "0.5", "step": "7"}]
    log = MetricsCsvLogger(path, keep_rows=kept)
    assert path.read_text().count("\n") == 4, "nothing is changed before the first write"
    log.log_metrics({"loss": 0.3, "epoch": 2}, step=11)
    assert log.flush() == 3
    assert [r["loss"] for r in read_metric_rows(path)] == ["1.0", "0.5", "0.3"]


def test_first_format_checkpoints_keep_the_rows_of_their_epochs(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_text("epoch,loss,step\n0,1.0,3\n1,0.5,7\n2,0.2,11\n")
    assert [r["epoch"] for r in rows_to_keep(path, counted=None, legacy_last_epoch=1)] == ["0", "1"]
