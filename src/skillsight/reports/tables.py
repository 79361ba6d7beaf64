"""Read run folders into summary rows and format the method table."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["TABLE_HEADER", "RunSummary", "modality_of", "read_run", "table_rows"]


def modality_of(sensors: list[str]) -> str:
    """Paper-style modality code from declared sensors: V (rgb), G (eye tracker), IMU, audio."""
    codes = [("rgb", "V"), ("eye_tracker", "G"), ("imu", "IMU"), ("microphone", "audio")]
    found = [code for sensor, code in codes if sensor in sensors]
    return "+".join(found) or "-"


@dataclass
class RunSummary:
    """What the report needs from one run folder."""

    name: str
    run_dir: Path
    metrics: dict[str, Any]
    power: dict[str, Any] = field(default_factory=dict)

    @property
    def modality(self) -> str:
        return modality_of(self.metrics.get("sensors", []))

    @property
    def power_mw(self) -> float | None:
        value = self.power.get("total_mw")
        return None if value is None else float(value)


def read_run(run_dir: str | Path, name: str | None = None) -> RunSummary:
    """Read ``metrics.json`` (required) and ``power.json`` (optional) of a run folder."""
    run_dir = Path(run_dir)
    metrics_path = run_dir / "metrics.json"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"{run_dir} has no metrics.json: run `skillsight evaluate {run_dir}` first")
    metrics = json.loads(metrics_path.read_text())
    power_path = run_dir / "power.json"
    power = json.loads(power_path.read_text()) if power_path.is_file() else {}
    return RunSummary(name or metrics.get("run_name") or run_dir.name, run_dir, metrics, power)


TABLE_HEADER = ["method", "modality", "power mW", "overall %"]


def table_rows(runs: list[RunSummary], scenarios: list[str]) -> list[list[str]]:
    """Rows of (method, modality, power, overall, per-scenario...) as display strings, majority last."""
    rows = []
    for run in runs:
        per = run.metrics["per_scenario_accuracy"]
        power = "-" if run.power_mw is None else f"{run.power_mw:.1f}"
        rows.append(
            [run.name, run.modality, power, f"{100 * run.metrics['overall_accuracy']:.1f}"]
            + [f"{100 * per[s]:.1f}" if s in per else "-" for s in scenarios]
        )
    if runs:
        major = runs[0].metrics["majority"]
        rows.append(
            ["majority (train, per scenario)", "-", "0", f"{100 * major['overall_accuracy']:.1f}"]
            + [f"{100 * major['per_scenario_accuracy'].get(s, float('nan')):.1f}" for s in scenarios]
        )
    return rows
