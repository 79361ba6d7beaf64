"""Package errors. Every message names the file, the field and the bad value where they exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "DataFormatError",
    "MissingDependencyError",
    "SkillsightError",
    "SplitLeakageError",
]


class SkillsightError(Exception):
    """Base class of every error this package raises on purpose."""


class DataFormatError(SkillsightError, ValueError):
    """A file or record does not have the expected content.

    Args:
        source: file path (or record id) the bad value came from.
        field: column, key or field name that is wrong ("" when the whole file is wrong).
        value: the offending value (shortened in the message).
        reason: what is wrong, in words.
    """

    def __init__(self, source: str | Path, field: str, value: Any, reason: str) -> None:
        self.source = str(source)
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        where = f"{self.source}" + (f", field {field!r}" if field else "")
        super().__init__(f"{where}: {reason} (value: {shown})")


class ConfigError(SkillsightError, ValueError):
    """A configuration value, registry name or CLI override is invalid."""


class MissingDependencyError(SkillsightError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is required for this feature: pip install 'skillsight[{extra}]'")


class SplitLeakageError(SkillsightError, ValueError):
    """The same item (take, player, video) appears in more than one split."""
