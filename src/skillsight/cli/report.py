"""``skillsight report RUNS... [--split val]``: an HTML report comparing run folders on one split."""

from __future__ import annotations

from pathlib import Path

import typer

from skillsight.cli.splits import Split

__all__ = ["HELP", "report_command"]

HELP = (
    "Write an HTML report (tables, per-scenario bars, accuracy vs power, training curves, confusion "
    "matrices) from run folders."
)


def report_command(
    runs: list[Path] = typer.Argument(..., help="run folders with metrics_<split>.json"),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write"),
    split: Split = typer.Option(Split.test, "--split", help="which split's metrics to show"),
) -> None:
    """Build the report from the run folders' files only."""
    from skillsight.reports.build import build_report

    typer.echo(f"report: {build_report(runs, out, split=split.value)}")
