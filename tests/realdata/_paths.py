"""Where the real data lives for tests: ``<repo>/../shared/data`` (skip with the reason if absent).

Import from a test in tests/realdata with ``from _paths import shared_data_dir`` (pytest puts this
folder on ``sys.path`` because it has no ``__init__.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["SHARED_DATA", "shared_data_dir"]

SHARED_DATA: Path = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def shared_data_dir(*parts: str) -> Path:
    """``../shared/data[/parts...]``; calls ``pytest.skip`` naming the path when it is absent."""
    path = SHARED_DATA.joinpath(*parts).resolve()
    if not path.exists():
        pytest.skip(f"real data {path} is absent (it ships beside the repository as ../shared/data)")
    return path
