"""``skillsight power RUN|MODEL``: the power model's estimate, with its assumptions."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "power_command"]

HELP = "Estimate power (mW) of a run's model or a registered model name, printing every assumption."
console = Console()


def power_command(
    target: str = typer.Argument(
        ..., help="a run folder or a registered model name (e.g. skillsight_student)"
    ),
    window_s: float = typer.Option(
        8.0, "--window-s", help="inference window T in seconds (16 frames at 2 fps = 8 s)"
    ),
) -> None:
    """Print MACs, bytes moved, sensor duty cycles and the total power of one inference window."""
    from skillsight.catalog import load_all_models
    from skillsight.deploy.power import estimate_deployed_power
    from skillsight.models import create_model
    from skillsight.runs.checkpoint import load_model

    path = Path(target)
    if path.is_dir():
        model = load_model(path / "model")
    else:
        load_all_models()
        model = create_model(target)
    from skillsight.deploy.paper_power import paper_power_for

    report = estimate_deployed_power(model, window_s=window_s)
    console.print(report.format(), highlight=False)
    paper = paper_power_for(str(getattr(model, "model_name", "")))
    if paper is not None:
        method, mw = paper
        console.print(
            f"paper figure: {method} {mw} mW (SkillSight Table 1; its N, B and T are not published) "
            f"vs ours {report.total_mw:.1f} mW",
            highlight=False,
        )
