"""Atomic file writes: a temporary file in the destination folder, fsync, one rename, fsync of the folder.

A kill at any moment leaves either the old file or the new one, never a torn one. Temporary files are
named ``.<name>.<host>.<pid>.<token>.tmp`` beside their destination (never in /tmp, so the rename stays
on one filesystem); :func:`remove_stale_temp_files` deletes those a killed process left behind, and
only those: the name must match this pattern, the host must be this one and the process must be gone.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import warnings
from collections.abc import Callable
from pathlib import Path

from skillsight.exceptions import RunWriteError

__all__ = [
    "atomic_write_bytes",
    "atomic_write_file",
    "atomic_write_text",
    "fsync_dir",
    "remove_stale_temp_files",
    "temp_path_for",
]

_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:40] or "host"
_TEMP_NAME = re.compile(
    r"^\.(?P<name>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})\.tmp$"
)


# The operating-system steps of a write, as module attributes so tests can fail or interrupt each one.
_replace = os.replace


def temp_path_for(path: str | Path) -> Path:
    """A fresh temporary path beside ``path`` that :func:`remove_stale_temp_files` recognises."""
    path = Path(path)
    return path.with_name(f".{path.name}.{_HOST}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def fsync_dir(folder: str | Path) -> None:
    """Make a rename inside ``folder`` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_file(path: str | Path, write: Callable[[Path], None], note: str = "") -> Path:
    """Let ``write(tmp)`` create the file at a temporary path, then fsync and rename it onto ``path``.

    Args:
        path: destination; its folder is created if needed.
        write: writes the complete file at the path it is given.
        note: added to the error message on failure (what is intact); by default it says that
            ``path`` is unchanged.

    Raises:
        RunWriteError: the write, fsync or rename failed (disk full, read-only, ...); the temporary file
            is removed and ``path`` keeps its previous content.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RunWriteError(path, err, "its folder could not be created") from err
    tmp = temp_path_for(path)
    try:
        write(tmp)
        _fsync_file(tmp)
        _replace(tmp, path)
    except BaseException as err:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        if isinstance(err, OSError) and not isinstance(err, RunWriteError):
            previous = "the previous version is unchanged" if path.exists() else "no previous version existed"
            raise RunWriteError(path, err, note or previous) from err
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_write_file`)."""

    def write(tmp: Path) -> None:
        with open(tmp, "xb") as handle:
            handle.write(data)

    atomic_write_file(path, write)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Atomically write UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True  # possibly a write in progress in another thread of this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def remove_stale_temp_files(folder: str | Path, name: str | None = None) -> list[Path]:
    """Delete temporary files that an interrupted atomic write left in ``folder``; returns them.

    Only names of the form written by :func:`temp_path_for` are touched (optionally only those for
    destination ``name``), and only when they were written on this host by a process that no longer
    exists: a write in progress, or one on another node of a shared filesystem, is never disturbed.
    """
    folder = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(folder.iterdir())
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.match(entry.name)
        if match is None or (name is not None and match["name"] != name):
            continue
        if match["host"] != _HOST or _process_alive(int(match["pid"])):
            continue
        try:
            if entry.is_file():
                entry.unlink()
                removed.append(entry)
        except OSError:
            continue
    if removed:
        shown = ", ".join(p.name for p in removed[:3]) + (" ..." if len(removed) > 3 else "")
        warnings.warn(
            f"removed {len(removed)} temporary file(s) left in {folder} by an interrupted save: {shown}",
            stacklevel=2,
        )
    return removed
