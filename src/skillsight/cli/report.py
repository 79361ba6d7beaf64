"""``skillsight report RUNS...``: an HTML report comparing run folders."""

from __future__ import annotations

from pathlib import Path

import typer

__all__ = ["HELP", "report_command"]

HELP = (
    "Write an HTML report (table, confusion matrices, per-scenario bars, accuracy vs power) from run folders."
)


def report_command(
    runs: list[Path] = typer.Argument(..., help="run folders with metrics.json"),
    out: Path = typer.Option(Path("report.html"), "--out", "-o", help="HTML file to write"),
) -> None:
    """Build the report from the run folders' files only."""
    from skillsight.reports.build import build_report

    typer.echo(f"report: {build_report(runs, out)}")
