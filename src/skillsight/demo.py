"""The end-to-end demo (what ``make demo`` runs): synthetic data -> teacher -> distilled student ->
baselines -> evaluation -> power -> one table and ``report.html``.

Everything runs on CPU at the tiny configs; each step reuses the library exactly as a user would
(``train_run``, ``evaluate_run``, ``estimate_power``, ``build_report``), and every run folder can be
inspected or re-evaluated afterwards with the CLI.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from skillsight.config import RunConfig, load_config
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.evaluation.paired_stats import paired_bootstrap

__all__ = [
    "CLAIMS",
    "DemoStep",
    "claim_lines",
    "demo_steps",
    "gaze_statistics_by_level",
    "run_demo",
    "write_power",
]

WINDOW_S = 8.0  # 16 frames at 2 fps


@dataclass
class DemoStep:
    """One trained method of the demo table."""

    name: str  # display name
    folder: str  # run folder name under the demo output
    preset: str
    overrides: tuple[str, ...] = ()


def demo_steps() -> list[DemoStep]:
    """The methods of the demo, teacher first (the student distils from it)."""
    return [
        DemoStep("SkillSight-T (teacher)", "teacher", "teacher_tiny"),
        DemoStep("SkillSight-S (student)", "student", "student_tiny", ("task.teacher_run={out}/teacher",)),
        DemoStep("Gaze-only", "gaze_only", "gaze_only_tiny"),
        DemoStep("TimeSformer (video-only)", "timesformer", "timesformer_tiny"),
        DemoStep("Gaze-crop video", "gaze_crop", "gaze_crop_tiny"),
        DemoStep("SkillFormer (ego)", "skillformer_ego", "skillformer_ego_tiny"),
        DemoStep("SkillFormer (ego+exos)", "skillformer_egoexos", "skillformer_egoexos_tiny"),
    ]


#: The paper's claims the demo checks, as (better, worse) run folder names.
CLAIMS: tuple[tuple[str, str], ...] = (
    ("teacher", "timesformer"),
    ("teacher", "gaze_only"),
    ("student", "gaze_only"),
)


def take_correctness(run_dir: Path) -> dict[str, bool]:
    """take_uid -> whether the run's test prediction is right, from its ``predictions.csv``."""
    with (Path(run_dir) / "predictions.csv").open(newline="") as handle:
        return {row["take_uid"]: row["label"] == row["predicted"] for row in csv.DictReader(handle)}


def claim_lines(correct: dict[str, dict[str, bool]]) -> list[str]:
    """One line per claim: the paired accuracy difference on the takes both runs scored, its 95 %
    bootstrap interval (:mod:`skillsight.evaluation.paired_stats`) and the verdict.

    Args:
        correct: run folder name -> take_uid -> right (True) or wrong.
    """
    lines = []
    for better, worse in CLAIMS:
        takes = sorted(set(correct[better]) & set(correct[worse]))
        a = np.array([correct[better][t] for t in takes], dtype=float)
        b = np.array([correct[worse][t] for t in takes], dtype=float)
        d = paired_bootstrap(a, b, name_a=better, name_b=worse)
        lines.append(
            f"{better} {100 * a.mean():.1f}% vs {worse} {100 * b.mean():.1f}%: "
            f"{100 * d.difference:+.1f} points, 95 % CI [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}] "
            f"over {len(takes)} paired takes: {d.verdict}"
        )
    return lines


def write_power(run_dir: Path, window_s: float = WINDOW_S) -> dict:
    """Estimate the power of a run's model for one window and save it as ``power.json``."""
    from skillsight.deploy.power import estimate_deployed_power
    from skillsight.runs.atomic import atomic_write_text
    from skillsight.runs.checkpoint import load_model

    model = load_model(run_dir / "model")
    report = estimate_deployed_power(model, window_s=window_s)
    data = report.to_dict()
    atomic_write_text(run_dir / "power.json", json.dumps(data, indent=2, default=str))
    return data


def gaze_statistics_by_level(data_root: Path) -> dict:
    """Mean per-take gaze features (events, depth) of the training takes, per skill level."""
    from skillsight.data.readers.aria import read_gaze_csv
    from skillsight.data.readers.egoexo4d import load_takes
    from skillsight.gaze.features import gaze_features

    wanted = {
        "fixation_rate_per_s": "fixations /s",
        "fixation_duration_mean_ms": "fixation ms",
        "saccade_amplitude_mean_deg": "saccade deg",
        "depth_mean_m": "depth m",
    }
    per_level: dict[int, list[list[float]]] = {i: [] for i in range(len(PROFICIENCY_LABELS))}
    for take in load_takes(data_root).takes:
        if take.split != "train" or take.gaze_path is None or take.label is None:
            continue
        feats = gaze_features(read_gaze_csv(take.gaze_path))
        per_level[take.label].append([float(feats[k]) for k in wanted])
    values = [
        np.nanmean(np.asarray(v), axis=0).tolist() if v else [np.nan] * len(wanted)
        for v in per_level.values()
    ]
    return {"groups": list(PROFICIENCY_LABELS), "stats": list(wanted.values()), "values": values}


def run_demo(
    out: str | Path,
    seed: int = 0,
    takes_per_level: int | None = None,
    log: Callable[[str], None] | None = None,
    epochs: int | None = None,
) -> Path:
    """Run the whole demo into ``out``; returns the report path. Prints the table and the elapsed time."""
    from skillsight.data.synthetic.takes import generate_synthetic_dataset
    from skillsight.reports.build import build_report, gaze_stats_section
    from skillsight.reports.tables import TABLE_HEADER, read_run, table_rows
    from skillsight.training.skill_run import train_run

    console = Console()
    say = log or (lambda msg: console.print(msg, highlight=False))
    out = Path(out)
    start = time.perf_counter()
    data_root = out / "data"
    kwargs: dict[str, Any] = {} if takes_per_level is None else {"takes_per_level": takes_per_level}
    say(f"[1/4] generating the synthetic Ego-Exo4D-layout dataset in {data_root}")
    generate_synthetic_dataset(data_root, seed=seed, with_exo=True, **kwargs)  # exo views: SkillFormer
    say(f"      done in {time.perf_counter() - start:.0f} s")
    folders, names = [], []
    previous = [out / step.folder for step in demo_steps() if (out / step.folder).exists()]
    if previous:  # the demo owns these folders; training refuses to overwrite a run's checkpoints
        say(f"      removing the previous demo runs in {out}: {', '.join(p.name for p in previous)}")
        for folder in previous:
            shutil.rmtree(folder)
    for step in demo_steps():
        overrides = [o.format(out=out) for o in step.overrides] + [
            f"data.root={data_root}",
            f"trainer.seed={seed}",
        ]
        if epochs is not None:
            overrides.append(f"trainer.max_epochs={epochs}")
        cfg: RunConfig = load_config(step.preset, overrides)
        say(f"[2/4] training {step.name} ({step.preset}, {cfg.trainer.max_epochs} epochs)")
        t0 = time.perf_counter()
        run_dir = train_run(
            cfg, out / step.folder, cache_root=out / "cache", log=lambda line: say(f"      {line}")
        )
        write_power(run_dir)
        say(f"      {step.name}: {time.perf_counter() - t0:.0f} s")
        folders.append(run_dir)
        names.append(step.name)
    say("[3/4] gaze statistics by skill level")
    stats = gaze_statistics_by_level(data_root)
    elapsed = time.perf_counter() - start
    runs = [read_run(f, n) for f, n in zip(folders, names)]
    scenarios = sorted({s for r in runs for s in r.metrics["per_scenario_accuracy"]})
    table = Table(
        title=f"skillsight demo (synthetic, seed {seed}; test takes: {runs[0].metrics['num_takes']})"
    )
    for col in TABLE_HEADER + scenarios:
        table.add_column(col, justify="left" if col == "method" else "right")
    for row in table_rows(runs, scenarios):
        table.add_row(*row)
    Console(width=max(console.width, 140)).print(table)  # never squeeze method names into '…'
    correct = {folder.name: take_correctness(folder) for folder in folders}
    for line in claim_lines(correct):
        say(f"claim: {line}")
    say("[4/4] writing the report")
    notes = [
        f"Power: estimate from the power model for one {WINDOW_S:.0f} s window (see assumptions below).",
        f"Elapsed: {elapsed:.0f} s on this machine.",
    ]
    report = build_report(
        folders,
        out / "report.html",
        names=names,
        title="skillsight demo (synthetic data)",
        extra_sections=[gaze_stats_section(stats)],
        notes=notes,
    )
    say(f"report: {report}")
    say(f"elapsed: {time.perf_counter() - start:.0f} s")
    return report
