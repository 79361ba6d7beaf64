"""``skillsight data ...``: generate synthetic datasets and inspect real ones."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

__all__ = ["HELP", "app", "inspect", "synth"]

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
    size: int = typer.Option(64, "--size", help="video side in pixels (even)"),
    fps: int = typer.Option(10, "--fps", help="video frame rate (a multiple of the 10 Hz gaze rate)"),
    duration: float = typer.Option(16.0, "--duration", help="seconds per take"),
    workers: int = typer.Option(2, "--workers", "-j", help="processes writing takes"),
) -> None:
    """Write a synthetic Ego-Exo4D-layout proficiency dataset (6 scenarios x 4 levels) and read it back."""
    from skillsight.data.readers.egoexo4d import load_takes
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    console = Console()
    start = time.perf_counter()
    root = generate_synthetic_dataset(
        out,
        takes_per_level=takes_per_level,
        seed=seed,
        difficulty=difficulty,
        label_noise=label_noise,
        cue_strength=cue_strength,
        with_exo=exo,
        frame_px=size,
        video_fps=fps,
        duration_s=duration,
        workers=workers,
    )
    elapsed = time.perf_counter() - start
    require = ("gaze", "gaze2d", "video", "trajectory", "calibration") + (("exo",) if exo else ())
    scan = load_takes(root, require=require)
    console.print(
        f"wrote {len(scan.takes)} takes to {root} in {elapsed:.1f} s "
        f"({len(scan.skipped)} skipped when read back)"
    )


@app.command()
def inspect(
    root: Path = typer.Argument(..., help="dataset root (takes.json + annotations/)"),
    gaze: str = typer.Option("general", "--gaze", help="gaze files to require: general or personalized"),
) -> None:
    """Scan an Ego-Exo4D-layout dataset: counts per split, scenario and label, and the skip report."""
    from skillsight.data.readers.egoexo4d import load_takes
    from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS

    console = Console()
    scan = load_takes(root, gaze_kind=gaze)
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
    console.print(table)
    console.print(scan.format_summary(), highlight=False)
