"""``skillsight demo``: the end-to-end run on synthetic data (what ``make demo`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["HELP", "demo_command"]

HELP = "Generate synthetic data, train teacher, student and baselines, evaluate, and write report.html."


def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="output folder (data, runs, report)"),
    seed: int = typer.Option(0, help="seed of the data and of every run"),
    takes_per_level: int | None = typer.Option(None, help="synthetic takes per scenario and level"),
    epochs: int | None = typer.Option(None, help="override every run's epochs (quick checks)"),
) -> None:
    """Run the whole demo on CPU; prints the table and the elapsed time."""
    from skillsight.demo import run_demo

    run_demo(out, seed=seed, takes_per_level=takes_per_level, epochs=epochs)
