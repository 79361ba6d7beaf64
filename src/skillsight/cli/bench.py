"""``skillsight bench soccer``: reproduce SkillSight's Expert-Novice Soccer table on CPU."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["HELP", "app", "soccer_command"]

HELP = "Benchmarks on real data that print figures next to the papers' numbers."
app = typer.Typer(help=HELP, no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Benchmarks (a group, so that ``bench soccer`` keeps its name when it is the only command)."""


@app.command("soccer")
def soccer_command(
    root: Path = typer.Option(
        Path("../shared/data/expert-novice-soccer"), "--root", help="expert-novice-soccer folder"
    ),
    out_dir: Path = typer.Option(None, "--out", help="where folds, predictions.csv and results.json go"),
    quick: bool = typer.Option(
        False, "--quick", help="1 seed, 3 epochs, no inner search: a smoke run, not a result"
    ),
    jobs: int = typer.Option(2, "--jobs", help="worker processes (one torch thread each)"),
    seeds: int = typer.Option(3, "--seeds", help="seeds per fold (full mode)"),
) -> None:
    """Stratified 5-fold and leave-one-player-out: student, teacher, motion-only, gaze-only, majority."""
    from skillsight.projects.soccer.bench import (
        SoccerBenchConfig,
        format_lines,
        quick_config,
        run_soccer_benchmark,
    )

    if not root.is_dir():
        raise FileNotFoundError(
            f"--root {root} is not a folder (expected ../shared/data/expert-novice-soccer)"
        )
    if quick:
        cfg = quick_config(str(root), str(out_dir or "runs/bench_soccer_quick"), jobs=jobs)
    else:
        cfg = SoccerBenchConfig(
            root=str(root), out_dir=str(out_dir or "runs/bench_soccer"), jobs=jobs, seeds=tuple(range(seeds))
        )
    results = run_soccer_benchmark(cfg, log=typer.echo)
    for line in format_lines(results["summary"]):
        typer.echo(line)
    for name, value in results["identity_leakage_kfold"].items():
        typer.echo(f"soccer_kfold_{name}={value:.1f} ref=n/a (person recognition, no skill model)")
    typer.echo(f"soccer_bench_wall_s={results['wall_seconds']:.0f} mode={'quick' if quick else 'full'}")
