"""The ``>>>`` examples in the package's docstrings run and print what they show.

Every module under ``src/skillsight`` whose source holds a ``>>>`` prompt is found by scanning the
files, so a new example is tested without being listed here. Examples that cannot run stand alone
belong in literal ``::`` blocks instead.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pytest

import skillsight

PACKAGE_DIR = Path(skillsight.__file__).parent


def _modules_with_examples() -> list[str]:
    names = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if ">>>" in path.read_text(encoding="utf-8"):
            parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


MODULES = _modules_with_examples()


def test_the_package_has_docstring_examples() -> None:
    assert {"skillsight.registry", "skillsight.data.cache"} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{name} has '>>>' in its source but doctest found no example"
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctest examples fail in {name}"
