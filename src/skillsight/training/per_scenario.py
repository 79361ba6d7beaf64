"""One model per scenario, results pooled: the released SkillSight code's student protocol.

The SkillSight paper trains ONE teacher on every scenario but one student per scenario (the student sees
gaze only, and a gaze pattern means different things in cooking and in basketball). A per-scenario run::

    RUN/per_scenario.json            the scenarios, their run folders, and the pooled test scores
    RUN/scenario_<name>/             an ordinary run folder (train_run with data.scenarios=[name])
    RUN/predictions.csv              every scenario's test predictions, one row per take
    RUN/metrics.json                 overall (pooled over all test takes, micro average), balanced and
                                     per-scenario accuracy, as a joint run reports them

Each scenario trains with the same config (``data.scenarios`` replaced), seed, teacher run and shared
feature cache (``RUN/cache``); a stopped run resumes scenario by scenario (``resume=True``: finished
scenarios are kept, the interrupted one continues from its checkpoint).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.evaluation.evaluate import score_predictions
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.run_config import save_config
from skillsight.training.skill_data import load_skill_data
from skillsight.training.skill_run import train_run

__all__ = ["pool_scenario_runs", "train_per_scenario"]


def _scenarios(cfg: RunConfig) -> list[str]:
    """The configured scenarios, or every scenario with training takes (in the data's order)."""
    if cfg.data.scenarios:
        return list(cfg.data.scenarios)
    data = load_skill_data(cfg.data)
    present = {t.scenario for t in data.train}
    return [s for s in data.scenarios if s in present]


def train_per_scenario(
    cfg: RunConfig,
    run_dir: str | Path,
    resume: bool = False,
    cache_root: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Train ``cfg`` once per scenario into ``run_dir/scenario_<name>`` and pool their test predictions.

    Args:
        cfg: the run's config; ``data.scenarios`` (empty: every scenario with training takes) lists the
            scenarios, each trained alone.
        run_dir: the per-scenario run folder.
        resume: keep finished scenarios and resume the interrupted one.
        cache_root: feature cache shared by the scenarios (default ``run_dir/cache``).
        log: receives each scenario's result line and the pooled one.

    Returns:
        The pooled metrics written to ``run_dir/metrics.json``.
    """
    run_dir = Path(run_dir)
    scenarios = _scenarios(cfg)
    if not scenarios:
        raise ConfigError(f"{cfg.data.root}: no scenario has training takes")
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.json", resume=resume)
    cache = Path(cache_root) if cache_root else run_dir / "cache"
    runs: dict[str, Path] = {}
    for scenario in scenarios:
        sub = replace(cfg, name=f"{cfg.name}_{scenario}", data=replace(cfg.data, scenarios=[scenario]))
        sub_dir = run_dir / f"scenario_{scenario}"
        finished = (sub_dir / "predictions.csv").is_file()
        if not (resume and finished):
            train_run(sub, sub_dir, resume=resume and sub_dir.exists(), cache_root=cache, log=log)
        runs[scenario] = sub_dir
    metrics = pool_scenario_runs(runs, run_dir)
    if log is not None:
        log(
            f"per-scenario {cfg.name}: {len(runs)} scenarios, pooled test accuracy "
            f"{metrics['overall_accuracy']:.3f} over {metrics['num_takes']} takes ({run_dir})"
        )
    return metrics


def _read_predictions(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataFormatError(path, "", None, "the scenario's run has no test predictions (no test takes?)")
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def pool_scenario_runs(runs: dict[str, Path], run_dir: str | Path) -> dict[str, Any]:
    """Pool the ``predictions.csv`` of each scenario's run into ``run_dir``'s predictions and metrics.

    Raises:
        DataFormatError: a run without predictions, a row of another scenario, or a take in two runs.
    """
    run_dir = Path(run_dir)
    rows: list[dict[str, str]] = []
    header: list[str] | None = None
    for scenario, sub_dir in runs.items():
        path = sub_dir / "predictions.csv"
        scored = _read_predictions(path)
        for row in scored:
            if row["scenario"] != scenario:
                raise DataFormatError(path, "scenario", row["scenario"], f"a {scenario!r} run scored it")
        if scored and header is None:
            header = list(scored[0])
        rows.extend(scored)
    if not rows:
        raise DataFormatError(run_dir, "predictions.csv", 0, "no scenario run scored any test take")
    uids = [r["take_uid"] for r in rows]
    if len(set(uids)) != len(uids):
        raise DataFormatError(
            run_dir, "take_uid", sorted({u for u in uids if uids.count(u) > 1})[:5], "in two runs"
        )
    labels = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    predicted = np.array([int(r["predicted"]) for r in rows], dtype=np.int64)
    metrics = score_predictions(labels, predicted, [r["scenario"] for r in rows], len(PROFICIENCY_LABELS))
    metrics["protocol"] = "per_scenario"
    metrics["runs"] = {s: p.name for s, p in runs.items()}
    columns = header or []
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([r.get(c, "") for c in columns] for r in rows)
    atomic_write_text(run_dir / "predictions.csv", table.getvalue())
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
    index = {
        "scenarios": list(runs),
        "runs": metrics["runs"],
        "overall_accuracy": metrics["overall_accuracy"],
    }
    atomic_write_text(run_dir / "per_scenario.json", json.dumps(index, indent=2))
    return metrics
