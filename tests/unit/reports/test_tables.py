"""Report tables: one split for every run, balanced accuracy, majority and chance rows, provenance."""

from __future__ import annotations

import pytest

from skillsight.reports.curves import read_curves
from skillsight.reports.tables import TABLE_HEADER, read_run, run_rows, table_rows

from ._runs import SCENARIOS, write_run


def test_rows_hold_balanced_accuracy_majority_and_chance(tmp_path) -> None:
    run = read_run(write_run(tmp_path, "student", ["eye_tracker"], 7.8, 0.5))
    rows = table_rows([run], list(SCENARIOS))
    assert TABLE_HEADER[:5] == ["method", "modality", "power mW", "overall %", "balanced %"]
    assert rows[0][:5] == ["student", "G", "7.8", "50.0", "49.0"]
    assert rows[1][0].startswith("majority") and rows[1][3] == "25.0"
    assert rows[2][0].startswith("chance") and rows[2][3] == "25.0"  # 4 classes
    info = run_rows([run])[0]
    assert info[:6] == ["student", "test", "48", "0", "3", "0123456789"]


def test_a_run_without_the_split_is_an_error_saying_how_to_get_it(tmp_path) -> None:
    folder = write_run(tmp_path, "gaze", ["eye_tracker"], None, 0.4, split="val")
    (folder / "predictions_test.csv").write_text("take_uid\n")
    with pytest.raises(FileNotFoundError, match="no test metrics") as err:
        read_run(folder, split="test")
    assert "predictions but no labels" in str(err.value) and "it has metrics for: val" in str(err.value)
    assert read_run(folder, split="val").split == "val"


def test_legacy_metrics_json_counts_only_as_the_split_it_names(tmp_path) -> None:
    folder = write_run(tmp_path, "old", ["rgb"], 35.0, 0.3)
    (folder / "metrics_test.json").rename(folder / "metrics.json")
    assert read_run(folder).metrics["overall_accuracy"] == 0.3
    with pytest.raises(FileNotFoundError):
        read_run(folder, split="val")


def test_curves_take_each_epochs_last_value_from_interleaved_rows(tmp_path) -> None:
    curves = read_curves(write_run(tmp_path, "x", ["rgb"], None, 0.3, epochs=3))
    assert curves["train/loss"] == ([0, 1, 2], pytest.approx([1.5, 1.4, 1.3]))
    assert curves["val/take_acc"] == ([0, 1, 2], pytest.approx([0.3, 0.35, 0.4]))
    assert read_curves(tmp_path / "nothing") == {}
