"""Every CLI error is ONE line on stderr and an exit code, never a traceback (issue 18 item 1).

The command tree is walked, so a new command is covered without being listed: each leaf command is run
(in-process, through ``skillsight.cli.main.main``, the console entry point) with a missing value, an
unknown option and a malformed value.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Any

import pytest
import typer

from skillsight.cli.main import app, main


def _leaves() -> list[tuple[list[str], Any]]:
    root = typer.main.get_command(app)
    out: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        subs = getattr(command, "commands", {})
        if not subs and path:
            out.append((path, command))
        for name, sub in subs.items():
            walk(sub, [*path, name])

    walk(root, [])
    return out


LEAVES = _leaves()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    captured = capsys.readouterr()
    code = exc.value.code if isinstance(exc.value.code, int) else 1
    return code, captured.out, captured.err


def _assert_one_line_error(code: int, err: str, usage: bool = True) -> str:
    assert "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1, f"expected one error line, got:\n{err}"
    assert lines[0].startswith("error: "), lines[0]
    assert code == (2 if usage else code) and code != 0, (code, err)
    return lines[0]


def _option_taking_a_value(command: Any) -> str | None:
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "is_flag", False):
            longest = max(param.opts, key=len)
            if longest.startswith("--"):
                return longest
    return None


def _required_arguments(command: Any, skip: Any = None) -> list[str]:
    """A plausible value for every required argument and option (so that only the tested one is wrong)."""
    argv: list[str] = []
    for param in command.params:
        if not param.required or param is skip:
            continue
        annotation = param.type_descriptor.annotation
        value = "1"
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            value = next(iter(annotation)).value
        if param.param_type_name == "argument":
            argv.append(value)
        else:
            argv += [max(param.opts, key=len), value]
    return argv


def _malformed(command: Any) -> list[str] | None:
    """argv with one typed parameter given a value of the wrong type (int/float: 'abc', choice: 'nope')."""
    for param in command.params:
        annotation = param.type_descriptor.annotation
        bad = None
        if annotation in (int, float):
            bad = "abc"
        elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            bad = "nope"
        if bad is None:
            continue
        rest = _required_arguments(command, skip=param)
        if param.param_type_name == "argument":
            return [bad, *rest]
        return [*rest, max(param.opts, key=len), bad]
    return None


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_unknown_option_is_one_line(path: list[str], command: Any, capsys) -> None:
    code, _, err = _run([*path, "--no-such-option"], capsys)
    line = _assert_one_line_error(code, err)
    assert "--no-such-option" in line and f"skillsight {' '.join(path)} --help" in line


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_missing_argument_or_value_is_one_line(path: list[str], command: Any, capsys) -> None:
    required = [p for p in command.params if p.required]
    if required:  # the first required parameter left out
        code, _, err = _run(path, capsys)
        line = _assert_one_line_error(code, err)
        assert "Missing" in line
    option = _option_taking_a_value(command)
    if option is not None:  # an option given without its value
        code, _, err = _run([*path, *_required_arguments(command), option], capsys)
        line = _assert_one_line_error(code, err)
        assert option in line and "requires an argument" in line
    assert required or option, f"{path} has neither a required parameter nor an option with a value"


@pytest.mark.parametrize(("path", "command"), LEAVES, ids=[" ".join(p) for p, _ in LEAVES])
def test_malformed_value_is_one_line(path: list[str], command: Any, capsys, tmp_path: Path) -> None:
    argv = _malformed(command)
    if argv is None:  # only paths and strings: a path that does not exist must fail the same way
        argv = [str(tmp_path / "does-not-exist") if a == "1" else a for a in _required_arguments(command)]
        code, _, err = _run([*path, *argv], capsys)
        _assert_one_line_error(code, err)
        return
    code, _, err = _run([*path, *argv], capsys)
    line = _assert_one_line_error(code, err)
    assert "Invalid value" in line


def test_no_such_command_and_the_debug_switch(capsys, monkeypatch) -> None:
    code, _, err = _run(["nosuchcmd"], capsys)
    assert "No such command 'nosuchcmd'" in _assert_one_line_error(code, err)
    monkeypatch.setenv("SKILLSIGHT_DEBUG", "1")  # developers get the exception itself
    with pytest.raises(Exception, match="No such command"):
        main(["nosuchcmd"])
