"""The ``skillsight`` command. Library errors become clean one-line CLI errors here, in one place."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from skillsight.exceptions import SkillsightError, TrainingInterrupted

__all__ = ["DEBUG_ENV", "app", "error_message", "main", "print_error"]

app = typer.Typer(
    name="skillsight",
    help="Skill assessment from egocentric video and eye gaze; gaze-only students for smart glasses.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _add_commands() -> None:
    """Attach command groups (modules exposing ``app``) and single commands (``*_command``)."""
    from skillsight.cli import (
        attributes,
        bench,
        data,
        demo,
        evaluate,
        export,
        export_predictions,
        gaze,
        power,
        predict,
        rank,
        report,
        stream,
        train,
        weights,
    )

    for name, module in (
        ("data", data),
        ("gaze", gaze),
        ("rank", rank),
        ("bench", bench),
        ("attributes", attributes),
        ("weights", weights),
    ):
        app.add_typer(module.app, name=name, help=module.HELP)
    for name, module, command in (
        ("demo", demo, demo.demo_command),
        ("train", train, train.train_command),
        ("evaluate", evaluate, evaluate.evaluate_command),
        ("predict", predict, predict.predict_command),
        ("export-predictions", export_predictions, export_predictions.export_predictions_command),
        ("power", power, power.power_command),
        ("report", report, report.report_command),
        ("export", export, export.export_command),
        ("stream", stream, stream.stream_command),
    ):
        app.command(name=name, help=module.HELP)(command)


_add_commands()


DEBUG_ENV = "SKILLSIGHT_DEBUG"
#: Exit codes: 2 for anything the user can fix (usage, config, data, files), 1 for an internal error.
USAGE_EXIT_CODE = 2
INTERNAL_EXIT_CODE = 1


def _click_modules() -> list[Any]:
    """The click copies in use: typer >= 0.29 bundles its own (``typer._click``); others use click."""
    modules = []
    for name in ("typer._click", "click"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


def _is_click(err: BaseException, attr: str) -> bool:
    """Whether ``err`` is ``<click>.exceptions.<attr>`` of any click copy that defines it."""
    classes = [getattr(m.exceptions, attr, None) for m in _click_modules()]
    return any(isinstance(err, c) for c in classes if isinstance(c, type))


def _yaml_message(err: Exception) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    where = "" if mark is None else f" at line {mark.line + 1}, column {mark.column + 1} of {mark.name}"
    return f"invalid YAML{where}: {problem}"


def _os_message(err: OSError) -> str:
    if err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err)


def error_message(err: BaseException) -> tuple[str, int]:
    """The one-line message and exit code a CLI user sees for ``err`` (any exception).

    Usage errors of either click, package errors, file errors, YAML and safetensors errors are the user's
    to fix (exit 2); anything else is an internal error (exit 1) whose message says how to get the
    traceback.
    """
    if _is_click(err, "UsageError"):
        ctx = getattr(err, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        text = " ".join(err.format_message().split()).removeprefix("Value error, ")  # type: ignore[attr-defined]
        text = text.replace("Value error, ", "").rstrip(".")
        return f"{text}{hint}", USAGE_EXIT_CODE
    if _is_click(err, "ClickException"):
        return err.format_message(), int(getattr(err, "exit_code", 1)) or 1  # type: ignore[attr-defined]
    if isinstance(err, SkillsightError):
        return str(err), USAGE_EXIT_CODE
    if isinstance(err, OSError):
        return _os_message(err), USAGE_EXIT_CODE
    if type(err).__module__.startswith("yaml"):
        return _yaml_message(err), USAGE_EXIT_CODE  # type: ignore[arg-type]
    if type(err).__name__ == "SafetensorError":
        return f"cannot read a safetensors weights file: {err}", USAGE_EXIT_CODE
    if isinstance(err, json.JSONDecodeError):
        return f"invalid JSON: {err}", USAGE_EXIT_CODE
    return (
        f"internal error ({type(err).__name__}: {err}); rerun with {DEBUG_ENV}=1 for the traceback",
        INTERNAL_EXIT_CODE,
    )


def print_error(message: str) -> None:
    """``error: message`` on stderr, never wrapped (paths stay copyable) and never read as rich markup."""
    console = Console(stderr=True, soft_wrap=True, highlight=False)
    first, *rest = message.strip().splitlines() or [""]
    console.print(Text.assemble(("error: ", "bold red"), first))
    for line in rest:
        console.print(Text(line))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; every exception becomes one ``error: ...`` line and an exit code.

    ``SKILLSIGHT_DEBUG=1`` re-raises instead, with the traceback (for developers).
    """
    try:
        code = app(args=argv, prog_name="skillsight", standalone_mode=False)
    except SystemExit:
        raise
    except TrainingInterrupted as err:  # a checkpoint was written: not a usage error, 128 + signal number
        Console(stderr=True, soft_wrap=True, highlight=False).print(
            Text.assemble(("stopped: ", "bold yellow"), str(err))
        )
        sys.exit(err.exit_code)
    except Exception as err:
        if os.environ.get(DEBUG_ENV, "") not in ("", "0"):
            raise
        if _is_click(err, "NoArgsIsHelpError"):  # a group called bare: its help, as click shows it
            err.show()  # type: ignore[attr-defined]
            sys.exit(USAGE_EXIT_CODE)
        if isinstance(err, typer.Abort) or _is_click(err, "Abort"):
            print_error("aborted")
            sys.exit(INTERNAL_EXIT_CODE)
        message, exit_code = error_message(err)
        print_error(message)
        sys.exit(exit_code)
    if code == 130:  # typer turns Ctrl-C into Exit(130)
        print_error("interrupted")
    if isinstance(code, int) and code:
        sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
