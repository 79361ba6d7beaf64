"""Where a run's code came from: the git commit (and whether the tree had local changes) and versions.

Written once per run as ``run_info.json`` so a report can say which code produced each number. Outside
a git checkout (an installed wheel) the commit is ``null`` and the package version says it.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

from skillsight.runs.atomic import atomic_write_text

__all__ = ["RUN_INFO_FILE", "code_provenance", "read_run_info", "write_run_info"]

RUN_INFO_FILE = "run_info.json"


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args],
            cwd=Path(__file__).resolve().parent,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def code_provenance() -> dict[str, Any]:
    """``{"git_commit", "git_dirty", "skillsight_version", "python", "torch"}`` of this process."""
    commit = _git("rev-parse", "HEAD")
    status = _git("status", "--porcelain", "--untracked-files=no") if commit else None
    versions: dict[str, str | None] = {}
    for package in ("skillsight", "torch"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "git_commit": commit,
        "git_dirty": None if status is None else bool(status),
        "skillsight_version": versions["skillsight"],
        "torch": versions["torch"],
        "python": platform.python_version(),
    }


def write_run_info(run_dir: str | Path, **extra: Any) -> Path:
    """Write ``run_info.json`` (code provenance plus ``extra`` fields) into ``run_dir``."""
    path = Path(run_dir) / RUN_INFO_FILE
    atomic_write_text(path, json.dumps({**code_provenance(), **extra}, indent=2, sort_keys=True))
    return path


def read_run_info(run_dir: str | Path) -> dict[str, Any]:
    """``run_info.json`` of a run, or ``{}`` for runs written before it existed."""
    path = Path(run_dir) / RUN_INFO_FILE
    return json.loads(path.read_text()) if path.is_file() else {}
