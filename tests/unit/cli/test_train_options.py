"""``skillsight train`` refuses options that do not apply and bad config values before loading anything."""

from __future__ import annotations

import pytest

from skillsight.cli.main import main


def _error(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert exc.value.code == 2 and len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["train", "teacher", "--baseline", "timesformer"],
            "--baseline applies to `skillsight train baseline`",
        ),
        (["train", "teacher", "--teacher", "runs/t"], "--teacher applies to `train student`"),
        (
            ["train", "baseline", "--baseline", "timesformer", "--config", "teacher_tiny"],
            "--config teacher_tiny is a preset of teacher, not of baseline timesformer (its presets: "
            "timesformer_paper, timesformer_tiny)",
        ),
        (
            ["train", "baseline", "--config", "student_tiny"],
            "is a student preset; train it with `skillsight train student`",
        ),
        (["train", "baseline", "--teacher", "runs/t"], "--teacher applies to distillation runs"),
        (["train", "student"], "give its run folder with --teacher RUN"),
        (
            ["train", "teacher", "--set", "optim.optimizer=adam"],
            "optim.optimizer: 'adam' is not allowed; valid: 'sgd', 'adamw'",
        ),
        (["train", "teacher", "--set", "trainer.max_epochs=0"], "trainer.max_epochs: must be >= 1, got 0"),
        (["train", "teacher", "--set", "optim.nope=1"], "unknown key 'optim.nope'; valid:"),
        (
            ["train", "teacher", "--config", "no_such_preset"],
            "unknown skillsight preset 'no_such_preset'; valid: ",
        ),
    ],
)
def test_refused_before_any_data_is_read(argv: list[str], expected: str, capsys, tmp_path) -> None:
    out = tmp_path / "run"
    line = _error([*argv, "--out", str(out), "--data", str(tmp_path / "no_such_dataset")], capsys)
    assert expected in line
    assert not out.exists()


def test_bad_yaml_names_the_file_and_line(capsys, tmp_path) -> None:
    config = tmp_path / "mine.yaml"
    config.write_text("preset: teacher_tiny\noptim: [lr: 1\n")
    line = _error(["train", "teacher", "--config", str(config), "--out", str(tmp_path / "r")], capsys)
    assert f"{config}: not valid YAML (line 3, column" in line
