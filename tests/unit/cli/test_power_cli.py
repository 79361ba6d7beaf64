"""``skillsight power`` prints MACs, bytes, sensors, total and its assumptions for a model name."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from skillsight.cli.main import app, main


def test_power_of_the_paper_size_student_is_printed_with_its_assumptions() -> None:
    result = CliRunner().invoke(app, ["power", "skillsight_student"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    # 4 x 768 encoder over 16 steps + heads + the 14 -> 768 missing-channel embedding (0.17 MMAC)
    assert "421.474" in text and "MMAC/window" in text
    assert "eye_tracker 7.8 mW" in text and "rgb" not in text.split("assumptions:")[0]
    assert "total P 9.0" in text and "assumptions:" in text


def test_power_of_the_tiny_teacher_counts_camera_eyes_and_crop_extractor() -> None:
    result = CliRunner().invoke(app, ["power", "skillsight_teacher_tiny"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "sensor rgb 35.0 mW" in text and "sensor eye_tracker 7.8 mW" in text
    assert "frozen crop extractor is counted" in text


def test_unknown_model_name_is_a_clean_error(capsys: pytest.CaptureFixture[str]) -> None:
    # The real entry point (the console script calls main), so its error translator runs: exit code 2
    # and an "error: ..." message naming the bad name and the valid ones, no traceback.
    with pytest.raises(SystemExit) as exc:
        main(["power", "no_such_model"])
    assert exc.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err  # one line, never wrapped at the terminal width
    assert lines[0].startswith("error: unknown model 'no_such_model'; valid: ")
    assert "valid: attention_rnn, " in lines[0] and " skillsight_student," in lines[0]


def test_a_missing_run_folder_and_a_misspelt_name_say_so(capsys) -> None:
    from skillsight.cli.main import main

    for argv, expected in (
        (["power", "runs/nope"], "error: run folder runs/nope does not exist"),
        (["power", "skilsight_student"], "(did you mean skillsight_student, "),
    ):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        err = capsys.readouterr().err
        assert exc.value.code == 2 and expected in err and len(err.strip().splitlines()) == 1, err


def test_the_naive_teacher_is_listed_with_no_paper_figure_and_says_why() -> None:
    result = CliRunner().invoke(app, ["power", "naive_teacher_tiny"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "sensor rgb 35.0 mW" in text and "sensor eye_tracker 7.8 mW" in text
    assert "paper figure: none (SkillSight reports the naive end-to-end teacher in its teacher" in text


def test_a_model_without_a_paper_row_says_none() -> None:
    result = CliRunner().invoke(app, ["power", "test_x3d"])
    assert result.exit_code == 0, result.output
    assert "paper figure: none (SkillSight Table 1 has no row for test_x3d); ours " in result.output


# one forward of ViT-B/16 at 448 px on 16 frames: ~2 CPU-minutes (5 min on a busy 2-core machine)
@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_power_of_the_paper_size_naive_teacher_row() -> None:
    """Camera + eye tracker + the paper-size backbone (the teacher's ViT-B/16 TimeSformer at 448 px, 16
    frames, with the heat-map channel in its patch embedding); the paper gives no figure for it."""
    result = CliRunner().invoke(app, ["power", "naive_teacher"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "N 1705151.770 MMAC/window" in text  # measured once with FlopCounterMode (8 s window, batch 1)
    assert "sensor rgb 35.0 mW" in text and "sensor eye_tracker 7.8 mW" in text
    assert "total P 1224.35" in text
    assert "paper figure: none (SkillSight reports the naive end-to-end teacher" in text
    assert "ours 1224.4 mW" in text
