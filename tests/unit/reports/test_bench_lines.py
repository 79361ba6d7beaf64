"""The benchmark line format: parseable, with the reference's origin always stated."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from skillsight.evaluation.paired_stats import paired_bootstrap
from skillsight.reports.bench_lines import bench_line, claim_line

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"


def _fields(line: str) -> dict[str, str]:
    return dict(field.split("=", 1) for field in line.split(" "))


def test_a_line_parses_into_its_fields() -> None:
    line = bench_line("x_ms", 3.0, 2.0, ref_kind="same_run", seeds=3, spread=0.123456)
    assert _fields(line) == {
        "x_ms": "3",
        "ref": "2",
        "ratio": "1.5",
        "ref_kind": "same_run",
        "seeds": "3",
        "spread": "0.1235",
    }


def test_no_reference_and_zero_reference_say_n_a() -> None:
    assert _fields(bench_line("x", 1.0, None, ref_kind="none"))["ratio"] == "n/a"
    assert _fields(bench_line("x", 1.0, 0.0, ref_kind="same_run"))["ratio"] == "n/a"
    assert _fields(bench_line("x", float("nan"), 1.0, ref_kind="paper"))["x"] == "n/a"


@pytest.mark.parametrize(
    ("ref", "kind", "match"),
    [(None, "same_run", "does not fit"), (1.0, "none", "does not fit"), (1.0, "measured", "ref_kind must")],
)
def test_a_reference_without_its_origin_is_refused(ref: float | None, kind: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        bench_line("x", 1.0, ref, ref_kind=kind)  # type: ignore[arg-type]


def test_names_with_spaces_are_refused() -> None:
    with pytest.raises(ValueError, match="white space"):
        bench_line("a b", 1.0, None, ref_kind="none")


def test_a_claim_line_carries_difference_interval_runs_and_verdict() -> None:
    a = np.array([1.0, 1.0, 0.0, 1.0] * 50)
    d = paired_bootstrap(a, np.zeros(200), name_a="teacher", name_b="gaze_only")
    fields = _fields(claim_line("table1", d).replace(",", ";"))
    assert fields["claim_table1_teacher_vs_gaze_only"] == "+0.750"
    assert fields["verdict"] == "holds" and fields["runs"] == "1/1" and fields["n"] == "200"


def test_no_benchmark_script_formats_its_own_reference() -> None:
    """Every figure goes through bench_line (which states the reference's origin): a script with an
    f-string holding ``ref=`` is how unlabelled references crept in before."""
    offenders = []
    for script in sorted(BENCHMARKS.glob("bench_*.py")):
        for node in ast.walk(ast.parse(script.read_text())):
            if isinstance(node, ast.JoinedStr) and any(
                isinstance(part, ast.Constant) and "ref=" in str(part.value) for part in node.values
            ):
                offenders.append(f"{script.name}:{node.lineno}")
    assert offenders == []
