"""The claims benchmark's machinery on a tiny setting: rows on every seed, claims through paired_stats,
mechanism figures, the JSON of per-take predictions, and resuming without retraining.

Not a timed or accuracy test: 24 takes, one epoch per row, 2 clips per take (about 1-2 minutes of CPU).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from skillsight.claims.bench import run_claims_benchmark
from skillsight.claims.plan import BenchPlan, Condition
from skillsight.claims.report import reference_lines
from skillsight.evaluation.paired_stats import pooled_paired_bootstrap

ROWS = ("teacher", "student", "gaze_only", "student_no_distill", "majority")


@pytest.fixture(scope="module")
def tiny_bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[BenchPlan, Path, object]:
    plan = BenchPlan(
        Condition("default", 0),
        takes_per_level=3,
        scenarios=("Basketball", "Cooking"),
        seeds=(0, 1),
        video_epochs=1,
        gaze_epochs=1,
        rows=ROWS,
        sweep_lambdas=(3.0,),
        sweep_fractions=(),
        n_resamples=200,
        extra_overrides=("data.num_test_clips=2", "data.num_val_clips=1"),
    )
    out = tmp_path_factory.mktemp("claims")
    lines: list[str] = []
    result = run_claims_benchmark(plan, out, log=lines.append)
    return plan, out, result


def test_rows_are_scored_on_the_same_test_takes_for_every_seed(tiny_bench: tuple) -> None:
    plan, out, _ = tiny_bench
    data = json.loads((out / "default_seed0" / "results.json").read_text())
    assert [r["key"] for r in data["rows"]] == [r.key for r in plan.row_specs()]  # table order
    assert set(ROWS) == {r["key"] for r in data["rows"]}
    uids = data["predictions"]["teacher"]["0"]["take_uids"]
    assert len(uids) == 8  # 2 scenarios x 4 levels x 1 test take
    for key in ROWS:
        for seed in ("0", "1"):
            entry = data["predictions"][key][seed]
            assert entry["take_uids"] == uids
            right = np.mean(np.array(entry["labels"]) == np.array(entry["predicted"]))
            assert entry["accuracy"] == pytest.approx(right)
            assert np.allclose(np.sum(entry["probabilities"], axis=1), 1.0, atol=1e-3)
    powers = {r["key"]: r["power_mw"] for r in data["rows"]}
    assert powers["majority"] is None
    assert powers["teacher"] > powers["student"] > 7.8  # the student's 7.8 mW eye tracker plus compute


def test_majority_row_is_the_scenarios_training_majority(tiny_bench: tuple) -> None:
    from skillsight.config import DataConfig
    from skillsight.training.skill_data import load_skill_data

    _, _, result = tiny_bench
    data = load_skill_data(DataConfig(root=str(result.data_root)))
    majority = result.predictions["majority"][0]
    for scenario, predicted in zip(majority.scenarios, majority.predicted, strict=True):
        counts = Counter(t.label for t in data.train if t.scenario == scenario)
        top = max(counts.values())
        assert predicted == min(label for label, n in counts.items() if n == top)


def test_claims_are_paired_stats_on_the_rows_predictions(tiny_bench: tuple) -> None:
    _, _, result = tiny_bench
    claims = {c.claim.name: c for c in result.claims}
    assert set(claims) == {
        "teacher>gaze_only",
        "student>gaze_only",
        "student>student_no_distill",
        "student_no_distill>gaze_only",
    }
    claim = claims["student>gaze_only"]
    a = [result.predictions["student"][s].correct for s in (0, 1)]
    b = [result.predictions["gaze_only"][s].correct for s in (0, 1)]
    direct = pooled_paired_bootstrap(
        a, b, same_units=True, name_a="student", name_b="gaze_only", n_resamples=200
    )
    assert claim.pooled == direct
    assert claim.pooled.difference == pytest.approx(np.mean([x.mean() - y.mean() for x, y in zip(a, b)]))
    assert set(claim.per_seed) == {0, 1} and claim.pooled.n_runs == 2
    for seed, d in claim.per_seed.items():
        assert d.difference == pytest.approx(a[seed].mean() - b[seed].mean())
        m = claim.mcnemar[seed]
        assert m.only_a_right == int(((a[seed] > 0) & (b[seed] == 0)).sum())
    lines = reference_lines(result)
    assert f"claim_skillsight_default_gen0_student_vs_gaze_only={claim.pooled.difference:+.3f}" in " ".join(
        lines
    )
    teacher = [line for line in lines if line.startswith("skillsight_default_gen0_teacher_acc=")]
    assert len(teacher) == 1 and "ref_kind=same_run ref_name=majority_vote" in teacher[0]
    assert any(line.startswith("skillsight_default_gen0_teacher_acc_vs_paper=") for line in lines)


def test_mechanism_figures_are_measured(tiny_bench: tuple) -> None:
    _, _, result = tiny_bench
    mech = result.mechanism
    r2 = mech["target_from_gaze_r2"]
    assert {"features", "video_embedding", "crop_embedding", "gaze_embedding"} <= set(r2)
    assert r2["features"]["n_train"] == 16 and r2["features"]["n_test"] == 16  # 8 takes x 2 clips
    assert r2["features"]["dim"] == sum(
        r2[k]["dim"] for k in ("video_embedding", "crop_embedding", "gaze_embedding")
    )
    probes = mech["branch_labels"]["label_probe_val_accuracy"]
    assert {"video_embedding", "gaze_statistics", "features"} <= set(probes)
    assert all(0.0 <= p["score"] <= 1.0 for p in probes.values())
    pairs = mech["complementarity"]
    assert pairs["teacher|gaze_only"]["n"] == 16  # 8 test takes x 2 seeds
    sweeps = mech["sweeps"]["lambda_dis"]
    assert set(sweeps) == {"1", "3"} and sweeps["3"]["n_units"] == 8  # validation takes


def test_a_finished_benchmark_is_read_back_not_retrained(tiny_bench: tuple) -> None:
    plan, out, result = tiny_bench
    markers = sorted((out / "default_seed0").glob("seed*/*/claims_row.json"))
    assert len(markers) == 2 * 4 + 1  # 4 trained rows x 2 seeds + the lambda sweep run
    stamps = [m.stat().st_mtime_ns for m in markers]
    again = run_claims_benchmark(plan, out, log=lambda _: None)
    assert [m.stat().st_mtime_ns for m in markers] == stamps
    assert [r.accuracy for r in again.rows] == [r.accuracy for r in result.rows]


def test_markdown_renders_the_tables_claims_and_mechanism(tiny_bench: tuple) -> None:
    from skillsight.claims.report import markdown_mechanism, markdown_tables

    _, out, result = tiny_bench
    text = markdown_tables(json.loads((out / "default_seed0" / "results.json").read_text()))
    assert "Table 1 analogue" in text and "Table 4 analogue" in text and "Table 3 analogue" in text
    teacher = result.row("teacher")
    assert f"| SkillSight-T (teacher) | {100 * teacher.mean_accuracy:.1f} |" in text
    assert "| student>gaze_only |" in text
    mech = markdown_mechanism(result.mechanism)
    assert "lambda_dis = 3" in mech and "| features |" in mech


def test_the_new_table1_baselines_run_with_paper_power_beside_ours(tmp_path: Path) -> None:
    """EgoDistill distils the same seed's TimeSformer run; EgoTrigger reads the benchmark dataset's audio;
    both are scored on the same test takes as the other rows, with the paper's power beside ours."""
    rows = ("student", "teacher", "timesformer", "egodistill", "egotrigger", "majority")
    plan = BenchPlan(
        Condition("default", 0),
        takes_per_level=3,
        scenarios=("Basketball",),
        seeds=(0,),
        video_epochs=1,
        gaze_epochs=1,
        rows=rows,
        mechanism=False,
        n_resamples=100,
        extra_overrides=("data.num_test_clips=2", "data.num_val_clips=1"),
    )
    result = run_claims_benchmark(plan, tmp_path, log=lambda _: None)
    data = json.loads((tmp_path / "default_seed0" / "results.json").read_text())
    uids = data["predictions"]["teacher"]["0"]["take_uids"]
    assert all(data["predictions"][k]["0"]["take_uids"] == uids for k in rows)
    seed_dir = tmp_path / "default_seed0" / "seed0"
    distilled = json.loads((seed_dir / "egodistill" / "config.json").read_text())
    assert distilled["task"]["teacher_run"] == str(seed_dir / "timesformer")
    assert distilled["task"]["motion_pretrain_epochs"] == 1
    assert (seed_dir / "egodistill" / "motion_pretrain" / "model.safetensors").is_file()
    assert "audio" not in (seed_dir / "egotrigger" / "data_scan.txt").read_text()  # no take dropped
    by_key = {r["key"]: r for r in data["rows"]}
    assert by_key["egodistill"]["paper_power_mw"] == 16.5 and by_key["egotrigger"]["paper_power_mw"] == 9.9
    lines = reference_lines(result)
    power = [line for line in lines if line.startswith("skillsight_default_gen0_egotrigger_power_mw=")]
    assert len(power) == 1 and "ref=9.9 " in power[0] and "ref_kind=paper" in power[0]
    claims = {c.claim.name for c in result.claims}
    assert {"student>egodistill", "student>egotrigger"} <= claims
