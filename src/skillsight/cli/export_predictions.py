"""``skillsight export-predictions EGO_RUN [EXO_RUN...] --out FILE``: the Ego-Exo4D leaderboard file."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

from skillsight.cli.splits import Split

__all__ = ["HELP", "PredictionFormat", "export_predictions_command"]

HELP = (
    "Write the Ego-Exo4D demonstrator-proficiency leaderboard file from run folders' predictions "
    "(ego run first, then 0, 1 or 4 exo-view runs)."
)
console = Console(soft_wrap=True)


class PredictionFormat(str, Enum):
    """Submission formats."""

    egoexo4d = "egoexo4d"  # what the official Ego-Exo4D evaluation script reads


def export_predictions_command(
    runs: list[Path] = typer.Argument(
        ..., help="ego run folder, then optional exo-view run folders (1 or 4)"
    ),
    fmt: PredictionFormat = typer.Option(PredictionFormat.egoexo4d, "--format", help="submission format"),
    takes: Path | None = typer.Option(
        None,
        "--takes",
        help="the official list of take names (JSON list, or one per line); default: every predicted take",
    ),
    out: Path = typer.Option(..., "--out", "-o", help="JSON file to write"),
    split: Split = typer.Option(
        Split.test, "--split", help="which split's predictions (predictions_<split>.csv)"
    ),
    ground_truth_out: Path | None = typer.Option(
        None,
        "--ground-truth-out",
        help="also write the official ground-truth file of these takes (labelled splits, e.g. val)",
    ),
) -> None:
    """Read each run's predictions_<split>.csv; write videos, ego_model_predictions, exo_model_predictions."""
    from skillsight.evaluation.egoexo4d_format import (
        OFFICIAL_NUM_EXO_VIEWS,
        write_ground_truth,
        write_predictions,
    )
    from skillsight.evaluation.evaluate import split_file_names
    from skillsight.evaluation.leaderboard import (
        exo_fill_note,
        ground_truth_of,
        leaderboard_predictions,
        read_take_list,
    )
    from skillsight.evaluation.predictions_file import read_predictions_csv

    name = split_file_names(split.value)[0]
    preds = []
    for run in runs:
        path = run / name
        if not path.is_file():
            raise FileNotFoundError(
                f"{path} does not exist: run `skillsight predict {run} --split {split.value}` first"
            )
        preds.append(read_predictions_csv(path))
    ego = preds[0]
    videos = read_take_list(takes) if takes is not None else (ego.take_names or ego.take_uids)
    entry = leaderboard_predictions(videos, ego, preds[1:], sources=[str(r / name) for r in runs])
    truth = ground_truth_of(videos, ego, str(runs[0] / name)) if ground_truth_out is not None else None
    write_predictions(out, entry, OFFICIAL_NUM_EXO_VIEWS)
    console.print(
        f"wrote {out}: {len(videos)} takes ({fmt.value} format, split {split.value})", highlight=False
    )
    console.print(f"ego: {runs[0]}; {exo_fill_note(len(runs) - 1)}", highlight=False)
    if ground_truth_out is not None and truth is not None:
        write_ground_truth(ground_truth_out, truth)
        console.print(f"wrote {ground_truth_out}: the labels of the {len(videos)} takes", highlight=False)
