"""The demo's claim lines: paired differences on the same takes with an interval, never two means."""

from __future__ import annotations

from pathlib import Path

from skillsight.demo import CLAIMS, claim_lines, demo_steps, take_correctness


def _runs(n: int, right: dict[str, int]) -> dict[str, dict[str, bool]]:
    return {name: {f"t{i:03d}": i < k for i in range(n)} for name, k in right.items()}


def test_claims_name_demo_runs_and_report_each_verdict() -> None:
    folders = {step.folder for step in demo_steps()}
    assert {name for pair in CLAIMS for name in pair} <= folders
    lines = claim_lines(_runs(48, {"teacher": 40, "timesformer": 12, "gaze_only": 40, "student": 38}))
    assert lines[0].startswith("teacher 83.3% vs timesformer 25.0%: +58.3 points, 95 % CI [+")
    assert lines[0].endswith("over 48 paired takes: holds")
    assert lines[1].endswith("+0.0 points, 95 % CI [+0.0, +0.0] over 48 paired takes: not shown")  # a tie
    assert lines[2].endswith("not shown")  # two takes of 48 are inside the interval


def test_correctness_is_read_per_take_from_predictions(tmp_path: Path) -> None:
    (tmp_path / "predictions.csv").write_text("take_uid,label,predicted\na,1,1\nb,2,0\n")
    assert take_correctness(tmp_path) == {"a": True, "b": False}
