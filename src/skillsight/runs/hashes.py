"""Content hashes of run-folder files (tie an export or a cache entry to the exact weights)."""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["weights_sha256"]


def weights_sha256(run_dir: str | Path) -> str:
    """SHA-256 of a run's ``model.safetensors`` (ties an export to the weights it came from)."""
    digest = hashlib.sha256()
    with open(Path(run_dir) / "model.safetensors", "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
