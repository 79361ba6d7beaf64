"""Read run folders into summary rows and format the method and run tables.

A report shows ONE split for every run (``metrics_<split>.json``; ``metrics.json`` of runs written
before per-split files existed counts as the split it names). A run without that split's metrics is
an error that says how to get them, never a row silently taken from another split.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "RUN_HEADER",
    "TABLE_HEADER",
    "RunSummary",
    "modality_of",
    "read_run",
    "run_rows",
    "table_rows",
]


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
    config: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def modality(self) -> str:
        return modality_of(self.metrics.get("sensors", []))

    @property
    def power_mw(self) -> float | None:
        value = self.power.get("total_mw")
        return None if value is None else float(value)

    @property
    def split(self) -> str:
        return str(self.metrics.get("split", "test"))

    @property
    def seed(self) -> str:
        seed = self.metrics.get("seed", self.config.get("trainer", {}).get("seed"))
        return "-" if seed is None else str(seed)

    @property
    def commit(self) -> str:
        commit = self.info.get("git_commit")
        if not commit:
            return "-"
        return commit[:10] + ("+local changes" if self.info.get("git_dirty") else "")


def _metrics_file(run_dir: Path, split: str) -> dict[str, Any]:
    per_split = run_dir / f"metrics_{split}.json"
    if per_split.is_file():
        return json.loads(per_split.read_text())
    legacy = run_dir / "metrics.json"
    if legacy.is_file():
        metrics = json.loads(legacy.read_text())
        if metrics.get("split", "test") == split:
            return metrics
    others = sorted(p.stem.removeprefix("metrics_") for p in run_dir.glob("metrics_*.json"))
    hint = f"it has metrics for: {', '.join(others)} (choose with --split)" if others else ""
    unlabelled = (run_dir / f"predictions_{split}.csv").is_file()
    why = f"its {split} split has predictions but no labels; " if unlabelled else ""
    raise FileNotFoundError(
        f"{run_dir} has no {split} metrics ({why}run `skillsight evaluate {run_dir} --split {split}`"
        + (f"; {hint})" if hint else ")")
    )


def read_run(run_dir: str | Path, name: str | None = None, split: str = "test") -> RunSummary:
    """Read one split's metrics (required), ``power.json``, ``config.json`` and ``run_info.json``."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"run folder {run_dir} does not exist")
    metrics = _metrics_file(run_dir, split)

    def optional(file: str) -> dict[str, Any]:
        path = run_dir / file
        return json.loads(path.read_text()) if path.is_file() else {}

    return RunSummary(
        name or metrics.get("run_name") or run_dir.name,
        run_dir,
        metrics,
        optional("power.json"),
        optional("config.json"),
        optional("run_info.json"),
    )


TABLE_HEADER = ["method", "modality", "power mW", "overall %", "balanced %"]
RUN_HEADER = ["method", "split", "takes", "seed", "epochs", "commit", "run folder"]


def _pct(value: Any) -> str:
    return "-" if value is None else f"{100 * float(value):.1f}"


def table_rows(runs: list[RunSummary], scenarios: list[str]) -> list[list[str]]:
    """Rows (method, modality, power, overall, balanced, per-scenario...) as text; majority, chance last."""
    rows = []
    for run in runs:
        per = run.metrics["per_scenario_accuracy"]
        power = "-" if run.power_mw is None else f"{run.power_mw:.1f}"
        rows.append(
            [
                run.name,
                run.modality,
                power,
                _pct(run.metrics["overall_accuracy"]),
                _pct(run.metrics.get("balanced_accuracy")),
            ]
            + [_pct(per[s]) if s in per else "-" for s in scenarios]
        )
    if runs:
        major = runs[0].metrics["majority"]
        rows.append(
            [
                "majority (train, per scenario)",
                "-",
                "0",
                _pct(major["overall_accuracy"]),
                _pct(major.get("balanced_accuracy")),
            ]
            + [_pct(major["per_scenario_accuracy"].get(s)) for s in scenarios]
        )
        num_classes = len(runs[0].metrics.get("confusion_matrix", [])) or 4
        chance = _pct(1 / num_classes)
        rows.append(["chance (uniform guess)", "-", "0", chance, chance] + [chance] * len(scenarios))
    return rows


def run_rows(runs: list[RunSummary]) -> list[list[str]]:
    """Rows of (method, split, takes, seed, epochs, commit, run folder): what each number came from."""
    return [
        [
            run.name,
            run.split,
            str(run.metrics.get("num_takes", "-")),
            run.seed,
            str(run.config.get("trainer", {}).get("max_epochs", "-")),
            run.commit,
            str(run.run_dir),
        ]
        for run in runs
    ]
