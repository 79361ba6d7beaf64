"""``skillsight evaluate RUN [--split val]``: 10-clip take-level evaluation of a run folder."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from skillsight.cli.splits import Split

__all__ = ["HELP", "evaluate_command"]

HELP = "Evaluate a run folder on a labelled split (10 clips per take, pooled and per-scenario accuracy)."
console = Console(soft_wrap=True)


def evaluate_command(
    run: Path = typer.Argument(..., help="run folder written by `skillsight train`"),
    split: Split = typer.Option(Split.test, "--split", help="which split to score"),
) -> None:
    """Evaluate RUN's best model; writes RUN/predictions_<split>.csv and RUN/metrics_<split>.json."""
    from skillsight.evaluation.distributed import is_rank_zero
    from skillsight.training.run_eval import evaluate_run

    metrics = evaluate_run(run, split=split.value)
    if not is_rank_zero():  # under torchrun every rank evaluates its share; rank 0 reports the whole
        return
    table = Table(title=f"{run} ({split.value} split, {metrics['num_takes']} labelled takes)")
    table.add_column("scenario")
    table.add_column("accuracy %", justify="right")
    table.add_column("majority %", justify="right")
    for name, acc in metrics["per_scenario_accuracy"].items():
        table.add_row(
            name, f"{100 * acc:.1f}", f"{100 * metrics['majority']['per_scenario_accuracy'][name]:.1f}"
        )
    table.add_row(
        "overall (pooled)",
        f"{100 * metrics['overall_accuracy']:.1f}",
        f"{100 * metrics['majority']['overall_accuracy']:.1f}",
        style="bold",
    )
    console.print(table)
    console.print(f"balanced accuracy: {100 * metrics['balanced_accuracy']:.1f}%", highlight=False)
    if metrics.get("num_unlabelled"):
        console.print(f"{metrics['num_unlabelled']} unlabelled takes predicted, not scored", highlight=False)
    console.print(f"wrote {run / f'metrics_{split.value}.json'}", highlight=False)
