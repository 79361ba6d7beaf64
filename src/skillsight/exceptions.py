"""Package errors. Every message names the file, the field and the bad value where they exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

__all__ = [
    "CheckpointError",
    "ConfigError",
    "DataFormatError",
    "MissingDependencyError",
    "ModelArgumentError",
    "RunWriteError",
    "SkillsightError",
    "SplitLeakageError",
    "TrainingInterrupted",
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


class ModelArgumentError(ConfigError):
    """A model constructor was given an argument it does not take (the message lists the valid ones)."""


class MissingDependencyError(SkillsightError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(f"{package} is required for this feature: pip install 'skillsight[{extra}]'")


class SplitLeakageError(SkillsightError, ValueError):
    """The same item (take, player, video) appears in more than one split."""


class CheckpointError(DataFormatError):
    """A model or resume checkpoint cannot be used: unreadable, damaged, of another model, or with
    non-finite weights. The message names the file and, where one is at fault, the tensor or key.

    Args:
        path: the checkpoint file.
        reason: what is wrong and, where it helps, what to do.
        field: the tensor name or spec key at fault ("" when the whole file is).
    """

    def __init__(self, path: str | Path, reason: str, field: str = "") -> None:
        self.source = str(path)
        self.field = field
        self.value = None
        self.reason = reason
        where = self.source + (f", {field!r}" if field else "")
        Exception.__init__(self, f"{where}: {reason}")


class RunWriteError(SkillsightError, OSError):
    """A file of a run folder could not be written (disk full, read-only, quota). Writes are atomic:
    the message says which file failed and that its previous version is unchanged.

    Args:
        path: the file that was being written.
        cause: the operating-system error.
        note: what is (and is not) intact, in words.
    """

    def __init__(self, path: str | Path, cause: BaseException, note: str = "") -> None:
        self.path = str(path)
        self.errno = getattr(cause, "errno", None)
        self.strerror = getattr(cause, "strerror", None) or str(cause)
        self.filename = self.path
        detail = f"{self.strerror} (errno {self.errno})" if self.errno is not None else self.strerror
        self.message = f"could not write {self.path}: {detail}" + (f"; {note}" if note else "")
        Exception.__init__(self, self.message)

    def __str__(self) -> str:
        return self.message


class TrainingInterrupted(SkillsightError):
    """Training stopped on a signal (SIGTERM, SIGINT / Ctrl-C) after writing its resume checkpoint.

    Args:
        message: what stopped, where, and how to continue.
        signal_name: ``"SIGTERM"`` or ``"SIGINT"``.
    """

    #: the shell's convention for a process ended by a signal: 128 + the signal's number
    EXIT_CODES: ClassVar[dict[str, int]] = {"SIGINT": 130, "SIGTERM": 143}

    def __init__(self, message: str, signal_name: str) -> None:
        self.signal_name = signal_name
        self.exit_code = self.EXIT_CODES.get(signal_name, 1)
        super().__init__(message)
