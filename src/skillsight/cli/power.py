"""``skillsight power RUN|MODEL``: the power model's estimate with its assumptions (runs: RUN/power.json)."""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "power_command"]

HELP = (
    "Estimate power (mW) of a run's model (written to RUN/power.json for `skillsight report`) or of a "
    "registered model name, printing every assumption."
)
console = Console(soft_wrap=True)


def _model_for(target: str):  # -> (model, run folder or None)
    from skillsight.catalog import load_all_models
    from skillsight.exceptions import ConfigError
    from skillsight.models import list_models
    from skillsight.models._factory import create_model
    from skillsight.runs.checkpoint import load_model

    path = Path(target)
    if path.is_dir():
        if not (path / "model.safetensors").is_file():
            raise ConfigError(f"{path} is not a trained run folder ({path / 'model.safetensors'} is missing)")
        return load_model(path / "model"), path
    load_all_models()
    names = list_models()
    if target in names:
        return create_model(target), None
    if "/" in target or "\\" in target or target.startswith("."):
        raise FileNotFoundError(f"run folder {target} does not exist")
    close = difflib.get_close_matches(target, names, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (and no run folder of that name exists)"
    raise ConfigError(f"unknown model {target!r}; valid: {', '.join(names)}{hint}")


def power_command(
    target: str = typer.Argument(
        ..., help="a run folder or a registered model name (e.g. skillsight_student)"
    ),
    window_s: float = typer.Option(
        8.0, "--window-s", help="inference window T in seconds (16 frames at 2 fps = 8 s)"
    ),
) -> None:
    """Print MACs, bytes moved, sensor duty cycles and the total power of one inference window."""
    from skillsight.deploy.paper_power import paper_power_line
    from skillsight.deploy.power import estimate_deployed_power
    from skillsight.runs.atomic import atomic_write_text

    model, run_dir = _model_for(target)
    report = estimate_deployed_power(model, window_s=window_s)
    console.print(report.format(), highlight=False)
    name = str(getattr(model, "model_name", type(model).__name__))
    console.print(paper_power_line(name, report.total_mw), highlight=False)
    if run_dir is not None:
        atomic_write_text(run_dir / "power.json", json.dumps(report.to_dict(), indent=2, default=str))
        console.print(f"wrote {run_dir / 'power.json'}", highlight=False)
