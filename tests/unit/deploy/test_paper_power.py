"""The paper's power figure printed beside ours: the right row for each registered model."""

from __future__ import annotations

from typer.testing import CliRunner

from skillsight.deploy.paper_power import paper_power_for, paper_power_line


def test_each_baseline_finds_its_paper_row() -> None:
    assert paper_power_for("x3d_xs_tiny") == ("X3D-XS", 88.0)
    assert paper_power_for("egodistill") == ("EgoDistill", 16.5)
    assert paper_power_for("egotrigger_tiny") == ("EgoTrigger", 9.9)
    assert paper_power_for("gaze_crop_video") == ("EgoExoLearn", 141.4)
    assert paper_power_for("beholder_gaze_pool_tiny") == ("Beholder", 132.4)
    assert paper_power_for("test_x3d") is None and paper_power_for("naive_teacher") is None


def test_power_cli_prints_the_paper_figure_beside_ours() -> None:
    from skillsight.cli.main import app

    result = CliRunner().invoke(app, ["power", "egodistill_tiny"])
    assert result.exit_code == 0, result.output
    assert "paper figure: EgoDistill 16.5 mW" in result.output and "imu" in result.output


def test_the_line_gives_the_paper_figure_or_why_there_is_none() -> None:
    assert paper_power_line("x3d_xs", 91.24) == (
        "paper figure: X3D-XS 88.0 mW (SkillSight Table 1; its N, B and T are not published) vs ours 91.2 mW"
    )
    assert paper_power_line("naive_teacher", 1224.35) == (
        "paper figure: none (SkillSight reports the naive end-to-end teacher in its teacher ablation, "
        "accuracy only); ours 1224.3 mW"
    )
    assert paper_power_line("attention_rnn", 3.0).startswith(
        "paper figure: none (SkillSight Table 1 has no row for attention_rnn)"
    )
