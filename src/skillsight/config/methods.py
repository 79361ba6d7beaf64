"""One registry of config *methods*: each method (SkillSight, PriviGaze, ranking, soccer, attributes) has
a typed dataclass root and its own named presets.

A method registers once (``register_method("ranking", RankingConfig)``) and gets the preset registry
its presets register into; :func:`skillsight.config.load_config` resolves ``--config PRESET|FILE`` and
``--set`` the same way for every method, and :mod:`skillsight.runs.run_config` writes and reads the
resolved config of a run folder the same way. Method schemas may live in their wing (e.g.
``projects/ranking/config.py``): the wing registers them when it is imported.

Example:
    >>> from dataclasses import dataclass
    >>> @dataclass
    ... class ToyConfig:
    ...     epochs: int = 3
    >>> presets = register_method("doctest_toy", ToyConfig)
    >>> _ = presets.register("toy_long")(lambda: ToyConfig(epochs=30))
    >>> get_method("doctest_toy").presets.create("toy_long").epochs
    30
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from skillsight.exceptions import ConfigError
from skillsight.registry import Registry

__all__ = ["ConfigMethod", "get_method", "method_names", "method_of", "register_method"]


@dataclass(frozen=True)
class ConfigMethod:
    """A method's config root and its presets."""

    name: str
    schema: type
    presets: Registry[Any]


_METHODS: dict[str, ConfigMethod] = {}
_BY_SCHEMA: dict[type, ConfigMethod] = {}


def register_method(name: str, schema: type) -> Registry[Any]:
    """Register ``schema`` (a dataclass) as method ``name``; returns the registry its presets go into."""
    if not dataclasses.is_dataclass(schema):
        raise ConfigError(f"config method {name!r}: {schema!r} is not a dataclass")
    if name in _METHODS or schema in _BY_SCHEMA:
        raise ConfigError(f"config method {name!r} ({schema.__name__}) is registered twice")
    method = ConfigMethod(name, schema, Registry(f"{name} preset"))
    _METHODS[name] = _BY_SCHEMA[schema] = method
    return method.presets


def get_method(name: str) -> ConfigMethod:
    """The method registered as ``name``; ConfigError listing the registered ones otherwise."""
    try:
        return _METHODS[name]
    except KeyError:
        raise ConfigError(f"unknown config method {name!r}; valid: {', '.join(method_names())}") from None


def method_names() -> list[str]:
    """Registered method names, sorted."""
    return sorted(_METHODS)


def method_of(cfg: Any) -> ConfigMethod:
    """The registered method whose schema ``cfg`` is an instance of."""
    method = _BY_SCHEMA.get(type(cfg))
    if method is None:
        raise ConfigError(
            f"{type(cfg).__name__} is not a registered config schema; registered: "
            + ", ".join(f"{m.name} ({m.schema.__name__})" for m in _BY_SCHEMA.values())
        )
    return method
