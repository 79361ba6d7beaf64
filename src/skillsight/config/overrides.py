"""Merge YAML/JSON files, nested dicts and ``--set a.b=c`` overrides onto a config, type-checked.

Unknown keys and values of the wrong type raise :class:`~skillsight.exceptions.ConfigError` naming
the source, the key and the value.
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import yaml

from skillsight.config.presets import PRESETS
from skillsight.config.schema import RunConfig
from skillsight.exceptions import ConfigError

__all__ = ["apply_overrides", "config_from_dict", "load_config"]


def config_from_dict(
    data: dict[str, Any], base: RunConfig | None = None, source: str = "config"
) -> RunConfig:
    """Merge a nested dict onto ``base`` (defaults when None); unknown keys raise ConfigError."""
    cfg = dataclasses.replace(base) if base is not None else RunConfig()
    cfg = _merge_into(cfg, data, source, prefix="")
    return cfg


def _merge_into(obj: Any, data: dict[str, Any], source: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {prefix or 'top level'} must be a mapping, got {data!r}")
    names = {f.name: f for f in fields(obj)}
    updates: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"{source}: unknown key {prefix + key!r}; valid: {', '.join(sorted(names))}")
        current = getattr(obj, key)
        if is_dataclass(current) and not isinstance(current, type):
            updates[key] = _merge_into(dataclasses.replace(current), value, source, f"{prefix}{key}.")
        elif key == "args" and isinstance(current, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"{source}: {prefix}args must be a mapping, got {value!r}")
            updates[key] = {**current, **value}
        else:
            updates[key] = _coerce(value, current, f"{source}: {prefix}{key}")
    return dataclasses.replace(obj, **updates)


def _coerce(value: Any, current: Any, where: str) -> Any:
    """Cast a YAML/CLI value to the type of the current default (bool/int/float/str/list)."""
    if isinstance(current, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if isinstance(current, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(current, int) and not isinstance(current, bool):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if isinstance(current, float):
        try:  # YAML 1.1 reads "1e-3" (no dot) as a string
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if isinstance(current, list) and not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {value!r}")
    return value


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply ``a.b=c`` overrides (values parsed as YAML, so ``x=[1,2]`` and ``y=true`` work)."""
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        path, raw = item.split("=", 1)
        try:
            value = yaml.safe_load(raw)
        except yaml.YAMLError as err:
            raise ConfigError(f"override {item!r}: value is not valid YAML ({err})") from None
        nested: dict[str, Any] = {}
        node = nested
        keys = path.strip().split(".")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        cfg = config_from_dict(nested, base=cfg, source=f"--set {item}")
    return cfg


def load_config(name_or_path: str, overrides: list[str] | None = None) -> RunConfig:
    """A preset name (see PRESETS) or a YAML/JSON file; a file may name a preset under ``preset:``."""
    path = Path(name_or_path)
    if name_or_path in PRESETS:
        cfg = PRESETS.create(name_or_path)
    elif path.suffix in {".yaml", ".yml", ".json"}:
        if not path.is_file():
            raise ConfigError(f"config file {path} does not exist")
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: top level must be a mapping")
        preset = data.pop("preset", None)
        base = PRESETS.create(preset) if preset else None
        cfg = config_from_dict(data, base=base, source=str(path))
    else:
        PRESETS.get(name_or_path)  # raises ConfigError listing the presets
        raise AssertionError("unreachable")
    return apply_overrides(cfg, overrides or [])
