"""Every command and sub-command of ``skillsight`` answers ``--help`` (issue 2: --help on every command)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from skillsight.cli.main import app


def _command_paths() -> list[list[str]]:
    """All command paths, e.g. ['demo'], ['data', 'synth'], found by walking the click tree."""
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, path: list[str]) -> None:
        if path:
            paths.append(path)
        for name, sub in getattr(command, "commands", {}).items():  # groups have sub-commands
            walk(sub, [*path, name])

    walk(root, [])
    return paths


def test_the_expected_commands_are_registered() -> None:
    top = {path[0] for path in _command_paths()}
    expected = {
        "demo",
        "train",
        "evaluate",
        "power",
        "report",
        "export",
        "stream",
        "data",
        "gaze",
        "rank",
        "bench",
        "attributes",
    }
    assert expected <= top


@pytest.mark.parametrize("path", _command_paths(), ids=lambda p: " ".join(p))
def test_help_works(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_bench_skillsight_refuses_an_unknown_difficulty() -> None:
    result = CliRunner().invoke(app, ["bench", "skillsight", "--difficulty", "medium"])
    assert result.exit_code == 2
    assert "medium" in result.output and "hard" in result.output
