"""Merge YAML/JSON files, nested dicts and ``--set a.b=c`` overrides onto any config dataclass, checked.

Every method resolves its config the same way (:func:`load_config`): a preset name of the method or a
YAML/JSON file (which may name a ``preset:`` to start from), then the ``--set`` overrides in order, then
:func:`~skillsight.config.validation.validate` on the result. Unknown keys, values of the wrong type,
values outside their allowed set or range raise :class:`~skillsight.exceptions.ConfigError` naming the
source, the dotted key and the value (and the valid choices).
"""

from __future__ import annotations

import dataclasses
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import yaml

from skillsight.config.methods import get_method
from skillsight.config.validation import coerce_field, validate
from skillsight.exceptions import ConfigError

__all__ = ["SCHEMA_KEY", "apply_overrides", "config_from_dict", "load_config"]

#: key of a saved config.json naming its method (written by skillsight.runs.run_config.save_config)
SCHEMA_KEY = "config_schema"


def config_from_dict(
    data: dict[str, Any], base: Any = None, source: str = "config", schema: type | None = None
) -> Any:
    """Merge a nested dict onto ``base`` (else onto ``schema``'s defaults); unknown keys raise ConfigError.

    Args:
        data: nested mapping of section -> key -> value.
        base: the config to start from (copied, never changed).
        source: named in error messages (a file, ``--set x=y``).
        schema: the dataclass to build when ``base`` is None (the SkillSight RunConfig by default).
    """
    if base is None:
        base = (schema or get_method("skillsight").schema)()
    return _merge_into(base, data, source, prefix="")


def _merge_into(obj: Any, data: Any, source: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: {prefix.rstrip('.') or 'top level'} must be a mapping, got {data!r}")
    names = {f.name for f in fields(obj)}
    updates: dict[str, Any] = {}
    for key, value in data.items():
        if key not in names:
            raise ConfigError(f"{source}: unknown key {prefix + key!r}; valid: {', '.join(sorted(names))}")
        current = getattr(obj, key)
        if is_dataclass(current) and not isinstance(current, type):
            updates[key] = _merge_into(dataclasses.replace(current), value, source, f"{prefix}{key}.")
            continue
        where = f"{source}: {prefix}{key}"
        if isinstance(current, dict) and isinstance(value, dict):  # mappings (model.args) merge key by key
            value = {**current, **value}
        updates[key] = coerce_field(type(obj), key, value, where)
    return _replace(obj, updates)


def _replace(obj: Any, updates: dict[str, Any]) -> Any:
    """``dataclasses.replace`` without ``__post_init__`` checks of intermediate states (see validation)."""
    new = dataclasses.replace(obj)
    for key, value in updates.items():
        object.__setattr__(new, key, value)
    return new


def apply_overrides(cfg: Any, overrides: list[str]) -> Any:
    """Apply ``a.b=c`` overrides in order (values parsed as YAML, so ``x=[1,2]`` and ``y=true`` work)."""
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
        if not all(keys):
            raise ConfigError(f"override {item!r}: empty key in {path!r}")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        cfg = config_from_dict(nested, base=cfg, source=f"--set {item}")
    return cfg


def _read_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        reason = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise ConfigError(f"{path}: not valid YAML{where}: {reason}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping")
    return data


def load_config(name_or_path: str, overrides: list[str] | None = None, method: str = "skillsight") -> Any:
    """A preset of ``method`` or a YAML/JSON file, then ``overrides``, validated.

    A file may name a preset to start from under ``preset:``; a run folder's ``config.json`` carries its
    method under ``config_schema`` and is refused for another method.

    Raises:
        ConfigError: unknown preset (listing the method's presets), missing or malformed file, unknown
            key, bad value, or a file of another method.
    """
    entry = get_method(method)
    path = Path(name_or_path)
    if name_or_path in entry.presets:
        cfg, source = entry.presets.create(name_or_path), f"preset {name_or_path}"
    elif path.suffix in {".yaml", ".yml", ".json"}:
        data = _read_file(path)
        stored = data.pop(SCHEMA_KEY, method)
        if stored != method:
            raise ConfigError(f"{path} is a {stored!r} config, not a {method!r} one")
        preset = data.pop("preset", None)
        if preset is not None and preset not in entry.presets:
            entry.presets.get(str(preset))  # raises, listing the method's presets
        base = entry.presets.create(preset) if preset else entry.schema()
        cfg, source = config_from_dict(data, base=base, source=str(path)), str(path)
    else:
        entry.presets.get(name_or_path)  # raises ConfigError listing the presets
        raise AssertionError("unreachable")
    cfg = apply_overrides(cfg, overrides or [])
    return validate(cfg, source if not overrides else f"{source} with --set {' '.join(overrides)}")
