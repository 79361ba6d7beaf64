"""``skillsight train ... --per-scenario``: one model per scenario, each trained only on its takes, the test
predictions pooled into one run's predictions and metrics (the released SkillSight students' protocol)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from skillsight.cli.main import app
from skillsight.training.per_scenario import train_per_scenario


def test_per_scenario_students_train_alone_and_pool_their_test_takes(
    small_skill_dataset: Path, tmp_path: Path
):
    run = tmp_path / "per_scenario"
    args = ["train", "baseline", "--config", "tiny", "--data", str(small_skill_dataset), "--out", str(run)]
    for override in (
        "data.scenarios=[Music, Dance]",
        "trainer.max_epochs=1",
        "trainer.progress_bar=false",
        "data.num_val_clips=1",
        "data.num_test_clips=2",
    ):
        args += ["--set", override]
    result = CliRunner().invoke(app, [*args, "--per-scenario"])
    assert result.exit_code == 0, result.output
    assert "per-scenario gaze_only: 2 scenarios, pooled test accuracy" in result.output
    pooled_rows = []
    for scenario in ("Music", "Dance"):
        sub = run / f"scenario_{scenario}"
        cfg = json.loads((sub / "config.json").read_text())
        assert cfg["data"]["scenarios"] == [scenario]
        with (sub / "predictions.csv").open() as f:
            rows = list(csv.DictReader(f))
        assert rows and {r["scenario"] for r in rows} == {scenario}
        pooled_rows += rows
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["protocol"] == "per_scenario" and metrics["num_takes"] == len(pooled_rows)
    correct = np.mean([r["label"] == r["predicted"] for r in pooled_rows])
    assert metrics["overall_accuracy"] == correct  # pooled over takes (micro average)
    assert set(metrics["per_scenario_accuracy"]) == {"Music", "Dance"}
    with (run / "predictions.csv").open() as f:
        assert sorted(r["take_uid"] for r in csv.DictReader(f)) == sorted(r["take_uid"] for r in pooled_rows)
    # resuming a finished per-scenario run trains nothing again and pools the same numbers
    stamps = {s: (run / f"scenario_{s}" / "model.safetensors").stat().st_mtime_ns for s in ("Music", "Dance")}
    from skillsight.runs.run_config import load_run_config

    again = train_per_scenario(load_run_config(run), run, resume=True)
    assert again["overall_accuracy"] == metrics["overall_accuracy"]
    assert stamps == {s: (run / f"scenario_{s}" / "model.safetensors").stat().st_mtime_ns for s in stamps}
