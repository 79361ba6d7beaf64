"""Values checked against their declared type, allowed set and range, for any config dataclass.

A field's annotation decides what it accepts (``Literal`` lists the allowed values, ``int | None``
accepts null, ``tuple[int, int]`` two integers, ...); a range is declared in the field's metadata with
:func:`bounded`. Cross-field rules live in a section's ``check()`` method, called by :func:`validate`
once every override has been applied (one ``--set`` at a time may pass through states that are only
valid once the next one is applied).

Example:
    >>> from dataclasses import dataclass, field
    >>> from typing import Literal
    >>> @dataclass
    ... class Optim:
    ...     optimizer: Literal["sgd", "adamw"] = "adamw"
    ...     lr: float = field(default=1e-3, metadata=bounded(gt=0))
    >>> coerce_field(Optim, "optimizer", "adam", "--set optimizer=adam")
    Traceback (most recent call last):
    ...
    skillsight.exceptions.ConfigError: --set optimizer=adam: 'adam' is not allowed; valid: 'sgd', 'adamw'
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union

from skillsight.exceptions import ConfigError

__all__ = ["bounded", "coerce_field", "coerce_value", "field_types", "validate"]

_RANGE_KEY = "skillsight_range"


def bounded(
    ge: float | None = None, gt: float | None = None, le: float | None = None, lt: float | None = None
) -> dict[str, Any]:
    """Field metadata declaring a numeric range: ``field(default=1e-3, metadata=bounded(gt=0))``."""
    return {_RANGE_KEY: {"ge": ge, "gt": gt, "le": le, "lt": lt}}


_FIELD_TYPES: dict[type, dict[str, Any]] = {}


def field_types(schema: type) -> dict[str, Any]:
    """Resolved annotations of a dataclass's fields (``from __future__`` strings evaluated), cached."""
    if schema not in _FIELD_TYPES:
        hints = typing.get_type_hints(schema)
        _FIELD_TYPES[schema] = {f.name: hints[f.name] for f in dataclasses.fields(schema)}
    return _FIELD_TYPES[schema]


def coerce_field(schema: type, name: str, value: Any, where: str) -> Any:
    """``value`` as field ``name`` of ``schema`` takes it (type, allowed set, range), else ConfigError."""
    result = coerce_value(value, field_types(schema)[name], where)
    check_range(schema, name, result, where)
    return result


def _shown(choices: tuple[Any, ...]) -> str:
    return ", ".join(repr(c) for c in choices)


def coerce_value(value: Any, hint: Any, where: str) -> Any:
    """Cast a YAML/JSON/CLI value to ``hint``; ConfigError naming ``where`` and the value otherwise."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return value
    if origin is Literal:
        for choice in args:  # YAML reads 32 for "32" and "true" for True: compare on the choice's type
            if value == choice and type(value) is type(choice):
                return choice
            if isinstance(choice, str) and not isinstance(value, (dict, list)) and str(value) == choice:
                return choice
        raise ConfigError(f"{where}: {value!r} is not allowed; valid: {_shown(args)}")
    if origin in (Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if value is None or (isinstance(value, str) and value.lower() in {"null", "none"}):
            if len(options) < len(args):
                return None
            raise ConfigError(f"{where}: a value is required, got {value!r}")
        errors = []
        for option in options:
            try:
                return coerce_value(value, option, where)
            except ConfigError as err:
                errors.append(str(err).removeprefix(f"{where}: "))
        raise ConfigError(f"{where}: {'; or '.join(errors)}")
    if hint is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
            return value.lower() in {"true", "1"}
        raise ConfigError(f"{where}: expected true/false, got {value!r}")
    if hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        try:  # YAML 1.1 reads "1e-3" (no dot) as a string
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: expected a number, got {value!r}") from None
    if hint is str:
        if isinstance(value, (dict, list, tuple)) or value is None:
            raise ConfigError(f"{where}: expected a string, got {value!r}")
        return str(value)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        if origin is list:
            return [coerce_value(v, args[0] if args else Any, f"{where}[{i}]") for i, v in enumerate(value)]
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(coerce_value(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
        if args and len(value) != len(args):
            raise ConfigError(f"{where}: expected {len(args)} values, got {value!r}")
        return tuple(coerce_value(v, a, f"{where}[{i}]") for i, (v, a) in enumerate(zip(value, args or ())))
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping, got {value!r}")
        value_hint = args[1] if len(args) == 2 else Any
        return {str(k): coerce_value(v, value_hint, f"{where}.{k}") for k, v in value.items()}
    if dataclasses.is_dataclass(hint):
        name = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{where}: expected a mapping of {name} keys, got {value!r}")
    return value


def check_range(schema: type, name: str, value: Any, where: str) -> None:
    """ConfigError if ``value`` is outside the range declared by field ``name``'s :func:`bounded`."""
    spec = next(f for f in dataclasses.fields(schema) if f.name == name).metadata.get(_RANGE_KEY)
    if spec is None or value is None:
        return
    values = value if isinstance(value, (list, tuple)) else [value]
    for v in values:
        for key, ok, words in (
            ("ge", lambda x, b: x >= b, ">="),
            ("gt", lambda x, b: x > b, ">"),
            ("le", lambda x, b: x <= b, "<="),
            ("lt", lambda x, b: x < b, "<"),
        ):
            bound = spec[key]
            if bound is not None and not ok(v, bound):
                raise ConfigError(f"{where}: must be {words} {bound:g}, got {v!r}")


def validate(cfg: Any, source: str = "config", prefix: str = "") -> Any:
    """Check every field of a config tree (types, allowed sets, ranges) and each section's ``check()``.

    Returns ``cfg`` unchanged; raises ConfigError naming ``source`` and the dotted key.
    """
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        where = f"{source}: {prefix}{f.name}"
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            validate(value, source, f"{prefix}{f.name}.")
            continue
        coerced = coerce_value(value, field_types(type(cfg))[f.name], where)
        check_range(type(cfg), f.name, coerced, where)
        if coerced != value or type(coerced) is not type(value):
            object.__setattr__(cfg, f.name, coerced)  # e.g. an int where a float is declared
    check = getattr(cfg, "check", None)
    if callable(check):
        try:
            check()
        except ConfigError as err:
            raise ConfigError(f"{source}: {prefix}{err}" if prefix else f"{source}: {err}") from None
    return cfg
