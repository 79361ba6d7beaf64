"""``skillsight bench``: ``soccer`` reproduces SkillSight's Expert-Novice Soccer table on CPU; ``skillsight``
runs the powered synthetic benchmark of SkillSight's Tables 1, 3 and 4 with paired confidence intervals."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["HELP", "app", "skillsight_command", "soccer_command"]

HELP = "Benchmarks that print figures next to a reference (same run or the papers' numbers)."
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


@app.command("skillsight")
def skillsight_command(
    quick: bool = typer.Option(
        False, "--quick", help="144 takes, 2 seeds, 1-2 epochs: a smoke run, not a result"
    ),
    difficulty: str = typer.Option(
        "default", "--difficulty", help="synthetic difficulty: easy, default or hard"
    ),
    generator_seed: int = typer.Option(
        None, "--generator-seed", help="dataset seed (default: 0, or 1 with --difficulty hard)"
    ),
    seeds: int = typer.Option(3, "--seeds", help="training seeds (full mode)"),
    out_dir: Path = typer.Option(None, "--out", help="datasets, run folders and results.json go here"),
    mechanism: bool = typer.Option(
        True, "--mechanism/--no-mechanism", help="also measure why claims hold or not (probes, sweeps)"
    ),
    workers: int = typer.Option(1, "--workers", help="processes generating the dataset"),
) -> None:
    """SkillSight's Tables 1, 3 and 4 on synthetic data: accuracy, balanced accuracy, power, and every
    paper claim as a paired difference on the same >= 400 test takes with a 95 % bootstrap interval."""
    import dataclasses

    from skillsight.claims.bench import run_claims_benchmark
    from skillsight.claims.plan import full_plan, quick_plan
    from skillsight.claims.report import emit
    from skillsight.data.synthetic.difficulty import DIFFICULTY_LEVELS

    if difficulty not in DIFFICULTY_LEVELS:
        raise typer.BadParameter(
            f"{difficulty!r} is not one of {sorted(DIFFICULTY_LEVELS)}", param_hint="--difficulty"
        )
    gseed = generator_seed if generator_seed is not None else (1 if difficulty == "hard" else 0)
    plan = quick_plan(difficulty, gseed) if quick else full_plan(difficulty, gseed, seeds)
    plan = dataclasses.replace(plan, mechanism=mechanism)
    out = out_dir or Path("runs/bench_skillsight_quick" if quick else "runs/bench_skillsight")
    result = run_claims_benchmark(plan, out, log=typer.echo, workers=workers)
    emit(result, typer.echo)
    typer.echo(f"results: {out / plan.condition.name / 'results.json'} mode={'quick' if quick else 'full'}")
