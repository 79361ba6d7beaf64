"""``skillsight predict RUN --split test``: per-take predictions of a split, labelled or not."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.console import Console

from skillsight.cli.splits import Split

__all__ = ["HELP", "predict_command"]

HELP = (
    "Predict every take of a split (no labels needed): per-take logits and probabilities into the run folder."
)
console = Console(soft_wrap=True)


def predict_command(
    run: Path = typer.Argument(..., help="run folder written by `skillsight train`"),
    split: Split = typer.Option(Split.test, "--split", help="which split to predict"),
) -> None:
    """Write RUN/predictions_<split>.csv: take uid and name, scenario, label if any, logits, probabilities."""
    from skillsight.data.records import PROFICIENCY_LABELS
    from skillsight.evaluation.evaluate import split_file_names
    from skillsight.training.run_eval import predict_run

    preds = predict_run(run, split=split.value)
    counts = Counter(int(p) for p in preds.predicted)
    spread = ", ".join(f"{name} {counts.get(i, 0)}" for i, name in enumerate(PROFICIENCY_LABELS))
    labelled = int(preds.labelled.sum())
    console.print(
        f"{split.value}: {len(preds.take_uids)} takes predicted ({labelled} labelled); predicted {spread}",
        highlight=False,
    )
    console.print(f"wrote {run / split_file_names(split.value)[0]}", highlight=False)
