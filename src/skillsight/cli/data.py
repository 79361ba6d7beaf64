"""``skillsight data ...``: generate synthetic datasets and inspect real ones."""

from __future__ import annotations

import time
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["HELP", "GazeKind", "Requirement", "app", "inspect", "synth"]

HELP = "Generate synthetic data in real on-disk layouts and inspect datasets."
app = typer.Typer(help=HELP, no_args_is_help=True)


@app.command()
def synth(
    out: Path = typer.Argument(..., help="output folder (the dataset root)"),
    takes_per_level: int = typer.Option(6, "--takes-per-level", "-n", help="takes per scenario, level (>=3)"),
    seed: int = typer.Option(0, "--seed", "-s", help="master seed (same seed -> same CSV/JSON bytes)"),
    difficulty: str = typer.Option(
        "default",
        "--difficulty",
        "-d",
        help="easy, default or hard (label noise, attribute noise and cue strength together), "
        "or a number: the attribute-noise scale alone (0 = every take of a level alike)",
    ),
    label_noise: float | None = typer.Option(
        None, "--label-noise", help="probability a label is a wrong level (default: the level's)"
    ),
    cue_strength: float | None = typer.Option(
        None, "--cue-strength", help="novice-to-expert behaviour range, (0, 1] (default: the level's)"
    ),
    exo: bool = typer.Option(False, "--exo/--no-exo", help="also render four exo views cam01..cam04"),
    audio: bool = typer.Option(
        True,
        "--audio/--no-audio",
        help="write a microphone track into the ego MP4 (contact sounds over background noise; audio "
        "models such as EgoTrigger need it)",
    ),
    size: int = typer.Option(64, "--size", help="video side in pixels (even)"),
    fps: int = typer.Option(10, "--fps", help="video frame rate (a multiple of the 10 Hz gaze rate)"),
    duration: float = typer.Option(16.0, "--duration", help="seconds per take"),
    workers: int = typer.Option(2, "--workers", "-j", help="processes writing takes"),
) -> None:
    """Write a synthetic Ego-Exo4D-layout proficiency dataset (6 scenarios x 4 levels) and read it back."""
    from skillsight.data.readers.egoexo4d import load_takes
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    console = Console(soft_wrap=True)
    start = time.perf_counter()
    root = generate_synthetic_dataset(
        out,
        takes_per_level=takes_per_level,
        seed=seed,
        difficulty=difficulty,
        label_noise=label_noise,
        cue_strength=cue_strength,
        with_exo=exo,
        with_audio=audio,
        frame_px=size,
        video_fps=fps,
        duration_s=duration,
        workers=workers,
    )
    elapsed = time.perf_counter() - start
    require = ("gaze", "gaze2d", "video", "trajectory", "calibration") + (("exo",) if exo else ())
    scan = load_takes(root, require=require)
    console.print(
        f"wrote {len(scan.takes)} takes to {root} in {elapsed:.1f} s, "
        f"{'with' if audio else 'without'} an audio track ({len(scan.skipped)} skipped when read back)"
    )


class GazeKind(str, Enum):
    """Which MPS eye-gaze files of a take to use."""

    general = "general"
    personalized = "personalized"


class Requirement(str, Enum):
    """Files a take must have to be kept (what a model needs; a gaze-only model needs only gaze)."""

    gaze = "gaze"
    gaze2d = "gaze2d"
    video = "video"
    exo = "exo"
    trajectory = "trajectory"
    calibration = "calibration"
    label = "label"


@app.command()
def inspect(
    root: Path = typer.Argument(..., help="dataset root (takes.json + annotations/)"),
    gaze: GazeKind = typer.Option(GazeKind.general, "--gaze", help="gaze files to use"),
    require: list[Requirement] = typer.Option(
        [Requirement.gaze, Requirement.video],
        "--require",
        help="files a take must have (repeat; a gaze-only model: --require gaze)",
    ),
    deep: bool = typer.Option(
        False, "--deep", help="open every video (first and last frame) and parse every CSV and calibration"
    ),
    max_listed: int = typer.Option(10, "--max-listed", help="skipped takes listed per reason (0: all)"),
) -> None:
    """Scan an Ego-Exo4D-layout dataset: counts per split, scenario and label, why takes are skipped
    (expected and found paths), what optional files are missing, and with --deep whether every file reads.

    Exits with 1 when --deep finds a file that does not read.
    """
    from skillsight.data.readers.egoexo4d import load_takes
    from skillsight.data.scan_report import format_scan_report

    console = Console(soft_wrap=True, highlight=False)
    wanted = tuple(dict.fromkeys(r.value for r in require))
    scan = load_takes(root, gaze_kind=gaze.value, require=wanted)
    console.print(_counts_table(root, scan))
    console.print(Text(format_scan_report(scan, wanted, max_per_reason=max_listed or None)))
    for line in _optional_file_lines(scan.takes):
        console.print(Text(line))
    if deep:
        problems = _deep_check(console, scan.takes)
        if problems:
            raise typer.Exit(1)


def _counts_table(root: Path, scan: Any) -> Table:
    from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS

    splits = [s for s in ("train", "val", "test") if any(t.split == s for t in scan.takes)]
    counts = Counter((t.split, t.scenario, t.label) for t in scan.takes)
    table = Table(title=f"{root}: {len(scan.takes)} takes")
    table.add_column("split")
    table.add_column("scenario")
    for name in PROFICIENCY_LABELS:
        table.add_column(name.split()[0], justify="right")  # Novice, Early, Intermediate, Late
    table.add_column("none", justify="right")
    table.add_column("tasks", justify="right")
    table.add_column("exo", justify="right")
    table.caption = "label counts (none = unlabelled), sub-tasks, exo views per take"
    for split in splits:
        for scenario in SCENARIOS:
            takes = [t for t in scan.takes if t.split == split and t.scenario == scenario]
            if not takes:
                continue
            exo = sorted({len(t.exo_cameras) for t in takes})
            table.add_row(
                split,
                scenario,
                *[str(counts[(split, scenario, i)]) for i in range(len(PROFICIENCY_LABELS))],
                str(counts[(split, scenario, None)]),
                str(len({t.task_name for t in takes})),
                str(exo[0]) if len(exo) == 1 else f"{exo[0]}-{exo[-1]}",
            )
    return table


def _optional_file_lines(takes: list[Any]) -> list[str]:
    """Counts of the optional files, then what their absence does to the models that read them."""
    from skillsight.data.take_warnings import GAZE2D_INPUTS, GAZE_INPUTS, input_warnings

    n = len(takes)
    have = {
        "ego video": sum(t.ego_camera in t.video_paths for t in takes),
        "gaze": sum(t.gaze_path is not None for t in takes),
        "2D gaze": sum(t.gaze2d_path is not None for t in takes),
        "trajectory": sum(t.trajectory_path is not None for t in takes),
        "calibration": sum(t.calibration_path is not None for t in takes),
    }
    lines = ["files of the kept takes: " + ", ".join(f"{k} {v}/{n}" for k, v in have.items())]
    lines += [f"warning: {w}" for w in input_warnings(takes, GAZE2D_INPUTS | GAZE_INPUTS)]
    no_calib = n - have["calibration"]
    if no_calib:
        lines.append(
            f"note: {no_calib} of {n} takes have no device calibration JSON (real Ego-Exo4D keeps it in the "
            "VRS file): the Aria factory CPF pose is used for the head pose"
            + ("" if have["2D gaze"] == n else ", and takes without 2D gaze get no gaze point")
        )
    return lines


def _deep_check(console: Console, takes: list[Any]) -> list[Any]:
    from rich.progress import Progress

    from skillsight.data.deep_check import check_take_files, take_files

    problems = []
    n_files = sum(len(take_files(t)) for t in takes)
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"reading {n_files} files of {len(takes)} takes", total=len(takes))
        for take in takes:
            problems += check_take_files(take)
            progress.advance(task)
    if not problems:
        console.print(f"deep check: all {n_files} files of {len(takes)} takes read")
        return problems
    console.print(f"deep check: {len(problems)} of {n_files} files do not read:")
    for problem in problems:
        console.print(Text(f"  {problem.format()}"))
    return problems
