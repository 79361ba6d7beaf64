"""The resolved RunConfig of a run folder: written once at the start (``config.json``), read by every
later step (evaluation, export, power, reports)."""

from __future__ import annotations

import json
from pathlib import Path

from skillsight.config import RunConfig, config_from_dict
from skillsight.runs.atomic import atomic_write_text

__all__ = ["load_run_config", "save_config"]


def save_config(cfg: RunConfig, path: str | Path) -> None:
    """Write the resolved config as JSON (atomic)."""
    atomic_write_text(path, json.dumps(cfg.to_dict(), indent=2, sort_keys=True))


def load_run_config(run_dir: str | Path) -> RunConfig:
    """The resolved RunConfig stored in a run folder."""
    path = Path(run_dir) / "config.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder: {path} is missing")
    return config_from_dict(json.loads(path.read_text()), source=str(path))
