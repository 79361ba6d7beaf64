"""Every registered model belongs to exactly one row of the learning table, and every row is tested."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from skillsight.catalog import all_model_names
from skillsight.models._factory import MODELS
from tests.functional.learning.budgets import BUDGETS

HERE = Path(__file__).parent


def test_every_registered_model_has_exactly_one_row() -> None:
    """Every model the catalog lists (the spine's and every wing's) has its row; toys that test modules
    register (their factory lives under ``tests``) are not the package's models."""
    claimed = Counter(name for row in BUDGETS for name in row.models)
    registered = {n for n in all_model_names() if not MODELS.get(n).__module__.startswith("tests")}
    missing = sorted(registered - set(claimed))
    assert not missing, f"models without a learning-table row (add one to budgets.py): {missing}"
    unknown = sorted(set(claimed) - registered)
    assert not unknown, f"rows name models that are not registered: {unknown}"
    twice = sorted(name for name, n in claimed.items() if n > 1)
    assert not twice, f"models claimed by two rows: {twice}"


def test_every_row_trains_a_variant_of_its_family_and_a_test_names_it() -> None:
    """A row no test module names (as a string literal) would be a promise nobody checks."""
    literals = {
        node.value
        for path in HERE.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }
    for row in BUDGETS:
        assert row.variant in row.models or not row.models, (
            f"{row.family}: {row.variant} is not one of its models"
        )
        assert row.steps > 0 and row.bar > 0
        assert row.family in literals, f"no test names the row {row.family!r}"
