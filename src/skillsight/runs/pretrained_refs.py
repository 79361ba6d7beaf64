"""Pretrained-weight folders a run was built from, kept so the run folder still loads after it moves.

A model argument whose name ends in ``pretrained_dir`` or ``weights_dir`` (``video_pretrained_dir``,
``pretrained_dir``, ``crop_weights_dir``, ...) names a local Hugging Face folder. When a run starts,
each such folder is hashed (SHA-256 over its files' relative paths and bytes) and recorded in
``<run>/pretrained.json``:

* a folder up to :data:`COPY_LIMIT_MB` is COPIED into ``<run>/pretrained/<argument>/`` and the model's
  arguments name that copy relative to the run (``pretrained/video_pretrained_dir``): the run folder is
  self-contained and loads wherever it is moved;
* a bigger one is referenced by its path and its hash. When the path no longer exists, the same
  folder is looked for again, verified by hash: at the same place relative to the run folder (the
  run and its weights moved together), then under each folder of ``SKILLSIGHT_WEIGHTS_PATH``
  (``os.pathsep``-separated) by folder name. Not finding it is an error naming the path and the hash.

:func:`resolve_model_args` is what :func:`skillsight.runs.checkpoint.load_model` applies to a stored spec.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

from skillsight.exceptions import ConfigError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "COPY_LIMIT_MB",
    "PRETRAINED_FILE",
    "SEARCH_PATH_ENV",
    "folder_sha256",
    "pretrained_arguments",
    "record_pretrained",
    "resolve_model_args",
]

#: Folders up to this size are copied into the run folder.
COPY_LIMIT_MB = 64.0
#: Where a run records its pretrained folders.
PRETRAINED_FILE = "pretrained.json"
#: Extra folders searched (by folder name, verified by hash) for a moved weights folder.
SEARCH_PATH_ENV = "SKILLSIGHT_WEIGHTS_PATH"
_SUFFIXES = ("pretrained_dir", "weights_dir")
_COPY_DIR = "pretrained"


def _is_reference(key: str, value: Any) -> bool:
    return isinstance(value, str) and bool(value) and key.endswith(_SUFFIXES)


def pretrained_arguments(args: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{dotted argument: folder}`` for every weights-folder argument, nested dicts included."""
    out: dict[str, str] = {}
    for key, value in args.items():
        if isinstance(value, dict):
            out.update(pretrained_arguments(value, f"{prefix}{key}."))
        elif _is_reference(key, value):
            out[f"{prefix}{key}"] = value
    return out


def _replace(args: dict[str, Any], dotted: str, value: str) -> dict[str, Any]:
    head, _, rest = dotted.partition(".")
    out = dict(args)
    out[head] = _replace(args[head], rest, value) if rest else value
    return out


def folder_sha256(folder: str | Path) -> tuple[str, int]:
    """(SHA-256 over the sorted relative paths and bytes of every file, total bytes) of a folder."""
    folder = Path(folder)
    digest = hashlib.sha256()
    total = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
                total += len(block)
    return digest.hexdigest(), total


def record_pretrained(
    args: dict[str, Any], run_dir: str | Path, copy_limit_mb: float = COPY_LIMIT_MB
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Hash (and copy, when small) every weights folder of ``args``; write ``<run>/pretrained.json``.

    A folder that is gone since an earlier start of the same run (a resume after a move) is taken from
    the run's copy or found again by its recorded hash.

    Returns:
        ``(build_args, stored_args)``: arguments to build the model with now (folders that exist) and
        the ones its checkpoint stores (copies named relative to the run folder).

    Raises:
        ConfigError: a named folder does not exist and was not recorded by this run before.
    """
    run_dir = Path(run_dir)
    refs = pretrained_arguments(args)
    if not refs:
        return args, args
    previous_path = run_dir / PRETRAINED_FILE
    previous = json.loads(previous_path.read_text()) if previous_path.is_file() else {}
    record: dict[str, Any] = {}
    build, stored = args, args
    for dotted, value in refs.items():
        source = Path(value)
        if not source.is_dir() and dotted in previous:
            copy = previous[dotted].get("copy")
            source = run_dir / copy if copy else (_find_again(previous[dotted], run_dir) or source)
        if not source.is_dir():
            raise ConfigError(f"model.args.{dotted}: {value!r} is not a local folder")
        source = source.resolve()
        sha, size = folder_sha256(source)
        entry: dict[str, Any] = {"path": str(source), "sha256": sha, "bytes": size, "copy": None}
        entry["relative_to_run"] = os.path.relpath(source, run_dir.resolve())
        if dotted in previous and previous[dotted].get("copy") and Path(value) != source:
            entry["path"] = previous[dotted]["path"]  # keep the original location on record
        if size <= copy_limit_mb * 2**20:
            copy_rel = f"{_COPY_DIR}/{dotted}"
            target = (run_dir / copy_rel).resolve()
            if source != target:
                if target.exists():
                    shutil.rmtree(target)
                shutil.copytree(source, target)
            entry["copy"] = copy_rel
            build = _replace(build, dotted, str(target))
            stored = _replace(stored, dotted, copy_rel)
        else:
            build = _replace(build, dotted, str(source))
            stored = _replace(stored, dotted, str(source))
        record[dotted] = entry
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(previous_path, json.dumps(record, indent=2, sort_keys=True))
    return build, stored


def _find_again(entry: dict[str, Any], run_dir: Path) -> Path | None:
    candidates = [run_dir / entry.get("relative_to_run", "")] if entry.get("relative_to_run") else []
    name = Path(entry["path"]).name
    for folder in os.environ.get(SEARCH_PATH_ENV, "").split(os.pathsep):
        if folder:
            candidates += [Path(folder) / name, Path(folder)]
    for candidate in candidates:
        if candidate.is_dir() and folder_sha256(candidate)[0] == entry["sha256"]:
            return candidate
    return None


def resolve_model_args(args: dict[str, Any], run_dir: str | Path) -> dict[str, Any]:
    """``args`` with each weights folder made loadable from ``run_dir`` (see the module docstring).

    Relative references (copies) resolve against the run folder; a missing absolute one is found again
    by hash. Arguments of runs without ``pretrained.json`` are returned unchanged.

    Raises:
        ConfigError: a recorded folder is neither where it was nor found again, naming path and hash.
    """
    run_dir = Path(run_dir)
    refs = pretrained_arguments(args)
    if not refs:
        return args
    path = run_dir / PRETRAINED_FILE
    record = json.loads(path.read_text()) if path.is_file() else {}
    for dotted, value in refs.items():
        if not Path(value).is_absolute():
            if (run_dir / value).is_dir():
                args = _replace(args, dotted, str(run_dir / value))
            continue
        if Path(value).is_dir() or dotted not in record:
            continue
        found = _find_again(record[dotted], run_dir)
        if found is None:
            entry = record[dotted]
            raise ConfigError(
                f"{run_dir}: model.args.{dotted} names {value}, which is gone "
                f"(sha256 {entry['sha256'][:16]}..., {entry['bytes'] / 2**20:.0f} MiB); put the folder back, "
                f"or add the folder holding it to {SEARCH_PATH_ENV}"
            )
        args = _replace(args, dotted, str(found))
    return args
