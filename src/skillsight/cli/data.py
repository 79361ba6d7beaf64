"""``skillsight data ...``: generate synthetic datasets and inspect real ones."""

from __future__ import annotations

import typer

__all__ = ["app", "HELP"]

HELP = "Generate synthetic data in real on-disk layouts and inspect datasets."
app = typer.Typer(help=HELP, no_args_is_help=True)
