"""The ``skillsight`` command. Library errors become clean one-line CLI errors here, in one place."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from skillsight.exceptions import SkillsightError, TrainingInterrupted

__all__ = ["app", "main"]

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
        gaze,
        power,
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
        ("power", power, power.power_command),
        ("report", report, report.report_command),
        ("export", export, export.export_command),
        ("stream", stream, stream.stream_command),
    ):
        app.command(name=name, help=module.HELP)(command)


_add_commands()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning package errors into ``error: ...`` and exit code 2."""
    console = Console(stderr=True, soft_wrap=True)  # one line per error, never wrapped at the terminal width
    try:
        app(args=argv, standalone_mode=False)
    except TrainingInterrupted as err:  # a checkpoint was written: not a usage error
        console.print(f"[bold yellow]stopped:[/] {err}", highlight=False)
        sys.exit(err.exit_code)
    except SkillsightError as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False)
        sys.exit(2)
    except (FileNotFoundError, NotADirectoryError) as err:
        console.print(f"[bold red]error:[/] {err}", highlight=False)
        sys.exit(2)
    except typer.Exit as err:
        sys.exit(err.exit_code)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as err:  # click usage errors
        import click

        if isinstance(err, click.exceptions.ClickException):
            err.show()
            sys.exit(err.exit_code)
        raise


if __name__ == "__main__":  # pragma: no cover
    main()
