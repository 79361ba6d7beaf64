"""The resolved config of a run folder, for every method: written once at the start (``config.json``),
read by every later step (evaluation, export, power, reports, resume).

``config.json`` is the config as a nested dict plus ``config_schema``, the method it belongs to, so a
ranking run folder is never read as a SkillSight one (folders written before the key existed are read
as the method asked for).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from skillsight.config import config_from_dict, get_method, method_of, validate
from skillsight.config.overrides import SCHEMA_KEY
from skillsight.exceptions import ConfigError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["CONFIG_JSON", "load_run_config", "save_config"]

CONFIG_JSON = "config.json"


def save_config(cfg: Any, path: str | Path) -> None:
    """Write the resolved config of any registered method as JSON (atomic), naming its method."""
    data = {SCHEMA_KEY: method_of(cfg).name, **dataclasses.asdict(cfg)}
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True))


def load_run_config(run_dir: str | Path, method: str = "skillsight") -> Any:
    """The resolved config stored in a run folder, as ``method``'s schema (RunConfig for SkillSight).

    Raises:
        FileNotFoundError: the folder has no config.json.
        ConfigError: the file belongs to another method, or holds an unknown key or a bad value.
    """
    path = Path(run_dir) / CONFIG_JSON
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder: {path} is missing")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    stored = data.pop(SCHEMA_KEY, method)
    if stored != method:
        raise ConfigError(f"{run_dir} is a {stored!r} run folder, not a {method!r} one ({path})")
    schema = get_method(method).schema
    return validate(config_from_dict(data, source=str(path), schema=schema), str(path))
