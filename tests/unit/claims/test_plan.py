"""The benchmark plan: rows, claims, recipes (epochs, milestones) and the checks on a plan."""

from __future__ import annotations

import pytest

from skillsight.claims.plan import (
    CLAIMS,
    ROWS,
    BenchPlan,
    Condition,
    _scaled_milestones,
    full_plan,
    quick_plan,
    row_config,
)
from skillsight.exceptions import ConfigError

ROW = {r.key: r for r in ROWS}


def test_tables_hold_the_papers_rows() -> None:
    by_table = {t: [r.key for r in ROWS if t in r.tables] for t in (1, 3, 4)}
    assert by_table[1] == [
        "teacher",
        "student",
        "gaze_only",
        "timesformer",
        "gaze_crop",
        "skillformer",
        "beholder",
        "x3d_xs",
        "egodistill",
        "egotrigger",
        "majority",
    ]
    # the paper's Table 1 power beside ours (REFERENCE: SkillSight Table 1)
    assert {k: ROW[k].paper_mw for k in ("x3d_xs", "egodistill", "egotrigger", "gaze_crop", "beholder")} == {
        "x3d_xs": 88.0,
        "egodistill": 16.5,
        "egotrigger": 9.9,
        "gaze_crop": 141.4,
        "beholder": 132.4,
    }
    assert ROW["egodistill"].teacher == "timesformer" and ROW["majority"].paper_mw is None
    assert by_table[3] == [
        "teacher",
        "teacher_gaze_attention",
        "teacher_crops",
        "teacher_gaze_dynamics",
        "naive_teacher",
    ]
    assert by_table[4] == ["student", "student_no_distill", "student_no_action"]
    paper = {c.name for c in CLAIMS if c.paper}
    assert paper == {
        "teacher>timesformer",
        "teacher>gaze_only",
        "student>gaze_only",
        "student>student_no_distill",
        "teacher>teacher_gaze_attention",
        "teacher>teacher_crops",
        "teacher>teacher_gaze_dynamics",
    }


def test_full_plan_is_powered() -> None:
    plan = full_plan()
    # 51 takes per cell, 1/3 test: 17 per cell x 24 cells
    assert round(plan.takes_per_level * 0.33) * 4 * 6 >= 400
    assert len(plan.seeds) >= 3
    assert full_plan("hard", 1).condition == Condition("hard", 1)
    assert quick_plan().takes_per_level < plan.takes_per_level


@pytest.mark.parametrize(
    ("milestones", "old", "new", "expected"),
    [([22, 28], 40, 6, [3, 4]), ([30], 40, 6, [4]), ([22, 28], 40, 1, []), ([], 60, 12, [])],
)
def test_milestones_keep_their_fraction(
    milestones: list[int], old: int, new: int, expected: list[int]
) -> None:
    assert _scaled_milestones(milestones, old, new) == expected


def test_row_config_applies_branches_epochs_and_teacher(tmp_path: object) -> None:
    plan = full_plan()
    cfg = row_config(ROW["teacher_crops"], plan, "/data", seed=2)
    args = cfg.model.args
    assert (args["use_video"], args["use_crops"], args["use_gaze"], args["use_gaze_bias"]) == (
        False,
        True,
        False,
        False,
    )
    assert cfg.trainer.max_epochs == plan.video_epochs and cfg.trainer.seed == 2
    assert cfg.optim.milestones == [3, 4] and cfg.data.root == "/data"
    student = row_config(ROW["student"], plan, "/data", seed=0, teacher_run="/runs/teacher")
    assert student.trainer.max_epochs == plan.gaze_epochs and student.task.teacher_run == "/runs/teacher"
    undistilled = row_config(ROW["student_no_distill"], plan, "/data", seed=0)
    assert undistilled.task.kind == "supervised" and undistilled.model.args["use_distill_token"] is False
    assert undistilled.task.action_loss_weight == pytest.approx(0.1)  # the action token still trains


def test_row_config_refuses_what_cannot_train() -> None:
    plan = full_plan()
    with pytest.raises(ConfigError, match="not trained"):
        row_config(ROW["majority"], plan, "/data", 0)
    with pytest.raises(ConfigError, match="teacher's run folder"):
        row_config(ROW["student"], plan, "/data", 0)


def test_plan_checks_rows_and_teachers() -> None:
    with pytest.raises(ConfigError, match="unknown"):
        BenchPlan(rows=("teacher", "resnet"))
    with pytest.raises(ConfigError, match="distils from 'teacher'"):
        BenchPlan(rows=("student", "gaze_only"))
    plan = BenchPlan(rows=("teacher", "student", "gaze_only"))
    assert [c.name for c in plan.claims()] == ["teacher>gaze_only", "student>gaze_only"]


def test_egodistill_row_distils_the_timesformer_and_scales_its_pretraining() -> None:
    plan = full_plan()
    cfg = row_config(ROW["egodistill"], plan, "/data", seed=1, teacher_run="/runs/timesformer")
    assert cfg.task.kind == "distillation" and cfg.task.teacher_run == "/runs/timesformer"
    # the tiny recipe: 10 pretraining epochs for 40 of distillation; the plan's 6 -> round(1.5) = 2
    assert cfg.trainer.max_epochs == plan.video_epochs == 6 and cfg.task.motion_pretrain_epochs == 2
    quick = row_config(ROW["egodistill"], quick_plan(), "/data", seed=0, teacher_run="/runs/timesformer")
    assert quick.task.motion_pretrain_epochs == 1  # never scaled to zero (that would turn it off)
    assert row_config(ROW["x3d_xs"], plan, "/data", 0).task.motion_pretrain_epochs == 0
    with pytest.raises(ConfigError, match="distils from 'timesformer'"):
        BenchPlan(rows=("egodistill", "majority"))
