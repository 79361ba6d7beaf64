"""The resolved config of a run folder, for every method: written once at the start (``config.json``),
read by every later step (evaluation, export, power, reports, resume).

``config.json`` is the config as a nested dict plus ``config_schema``, the method it belongs to, so a
ranking run folder is never read as a SkillSight one (folders written before the key existed are read
as the method asked for).

The stored config is what the folder's checkpoints were trained with, so :func:`save_config` refuses
to replace it by a different one: a new run into a folder of another config, or ``--resume`` with a
changed recipe (a resumed run would silently mix two recipes). Only the keys of
:data:`RESUMABLE_CHANGES` may change on resume (train longer, show progress, load with more workers).
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

__all__ = [
    "CONFIG_JSON",
    "RESUMABLE_CHANGES",
    "changed_keys",
    "check_config",
    "load_run_config",
    "save_config",
]

CONFIG_JSON = "config.json"

#: dotted keys (matched by their last two parts, e.g. ``trainer.max_epochs`` in any method's config)
#: that may differ between a stopped run and its ``--resume``: they change how long or how visibly it
#: trains, not what it learns.
RESUMABLE_CHANGES: frozenset[str] = frozenset(
    {
        "trainer.max_epochs",
        "trainer.progress_bar",
        "trainer.log_every_n_steps",
        "trainer.tensorboard",
        "data.num_workers",
        "data.pin_memory",
    }
)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}{key}."))
        return out
    return {prefix[:-1]: value}


def changed_keys(stored: dict[str, Any], given: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """Dotted key -> (stored, given) for every leaf that differs between two config dicts."""
    old, new = _flat(stored), _flat(given)
    return {k: (old.get(k), new.get(k)) for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)}


def _resumable(key: str) -> bool:
    return ".".join(key.split(".")[-2:]) in RESUMABLE_CHANGES


def _describe(changes: dict[str, tuple[Any, Any]], limit: int = 5) -> str:
    shown = [f"{k}: {old!r} stored, {new!r} given" for k, (old, new) in list(changes.items())[:limit]]
    more = f" (and {len(changes) - limit} more)" if len(changes) > limit else ""
    return "; ".join(shown) + more


def check_config(cfg: Any, path: str | Path, resume: bool = False) -> None:
    """Refuse, before anything is written, a config that :func:`save_config` would refuse.

    Call it before a run copies or writes anything into its folder (e.g. pretrained weights), so a
    refused ``--resume`` leaves the folder as it was.

    Raises:
        ConfigError: the folder already holds another config (not resuming), or resuming would change
            a key outside :data:`RESUMABLE_CHANGES`.
    """
    path = Path(path)
    if not path.is_file():
        return
    try:
        stored = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ConfigError(f"{path}: not valid JSON (line {err.lineno}): {err.msg}") from None
    changes = changed_keys(stored if isinstance(stored, dict) else {}, _as_json(cfg))
    if resume:
        blocking = {k: v for k, v in changes.items() if not _resumable(k)}
        if blocking:
            raise ConfigError(
                f"--resume would change the recipe of {path.parent}: {_describe(blocking)}. Resume "
                f"with the stored config (only {', '.join(sorted(RESUMABLE_CHANGES))} may change) or "
                "train into another folder (nothing was overwritten)"
            )
    elif changes:
        raise ConfigError(
            f"{path.parent} already holds a run of another config ({_describe(changes)}); pass "
            "--resume with the same config to continue it, or choose another output folder "
            "(nothing was overwritten)"
        )


def _as_json(cfg: Any) -> dict[str, Any]:
    """The resolved config as the JSON object ``config.json`` holds (method name first)."""
    data: dict[str, Any] = json.loads(
        json.dumps({SCHEMA_KEY: method_of(cfg).name, **dataclasses.asdict(cfg)})
    )
    return data


def save_config(cfg: Any, path: str | Path, resume: bool = False) -> None:
    """Write the resolved config of any registered method as JSON (atomic), naming its method.

    Args:
        cfg: the resolved config.
        path: ``<run>/config.json``.
        resume: the run continues a stopped one in the same folder.

    Raises:
        ConfigError: as :func:`check_config`; nothing is written then.
    """
    check_config(cfg, path, resume)
    atomic_write_text(Path(path), json.dumps(_as_json(cfg), indent=2, sort_keys=True))


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
