"""The demo's claim lines: margins in points, ties and losses reported as not holding."""

from __future__ import annotations

from skillsight.demo import CLAIMS, claim_lines, demo_steps


def test_claims_name_demo_runs_and_report_each_verdict() -> None:
    folders = {step.folder for step in demo_steps()}
    assert {name for pair in CLAIMS for name in pair} <= folders
    lines = claim_lines({"teacher": 0.5, "timesformer": 0.25, "gaze_only": 0.5, "student": 0.4375})
    assert lines[0] == "teacher 50.0% vs timesformer 25.0%: +25.0 points, holds"
    assert lines[1].endswith("+0.0 points, DOES NOT HOLD")  # a tie is not a win
    assert lines[2].endswith("-6.2 points, DOES NOT HOLD")
