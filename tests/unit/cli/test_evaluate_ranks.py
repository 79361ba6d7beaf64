"""``skillsight evaluate`` under torchrun: every rank evaluates its share, only rank 0 prints the table."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from skillsight.cli.main import app

METRICS = {
    "num_takes": 2,
    "per_scenario_accuracy": {"Cooking": 0.5},
    "majority": {"per_scenario_accuracy": {"Cooking": 0.5}, "overall_accuracy": 0.5},
    "overall_accuracy": 0.5,
    "balanced_accuracy": 0.5,
}


@pytest.mark.parametrize(("rank_zero", "prints"), [(True, True), (False, False)])
def test_only_rank_zero_prints(rank_zero: bool, prints: bool, tmp_path: Path, monkeypatch) -> None:
    import skillsight.evaluation.distributed as distributed
    import skillsight.training.run_eval as run_eval

    calls: list[str] = []
    monkeypatch.setattr(run_eval, "evaluate_run", lambda run, split: calls.append(split) or METRICS)
    monkeypatch.setattr(distributed, "is_rank_zero", lambda: rank_zero)
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path), "--split", "val"])
    assert result.exit_code == 0, result.output
    assert calls == ["val"]  # every rank takes part in the (sharded) evaluation
    assert ("overall (pooled)" in result.output) is prints
