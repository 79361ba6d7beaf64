"""HTML fragment for the report: attribute metrics and per-take coaching feedback of an attribute run.

Reads ``<run>/eval_<split>.json`` written by :func:`skillsight.projects.attributes.pipeline.evaluate`
(no torch import here). Pass the result to :func:`skillsight.reports.build.build_report` as an extra section.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["feedback_section", "feedback_section_from_run"]

_FIGURES: tuple[tuple[str, str, str], ...] = (
    ("attribute IoU@0.7", "attribute_iou@0.7", "baseline_attribute_iou@0.7"),
    ("attribute micro F1", "micro_f1", "baseline_micro_f1"),
    ("feedback BLEU-4", "bleu4", "baseline_bleu4"),
    ("feedback ROUGE-L", "rouge_l", "baseline_rouge_l"),
    ("proficiency accuracy", "proficiency_accuracy", "baseline_proficiency_accuracy"),
)


def _fmt(v: Any) -> str:
    return f"{100 * float(v):.1f}" if isinstance(v, (int, float)) and math.isfinite(v) else "n/a"


def feedback_section(
    metrics: dict[str, Any],
    outputs: Sequence[dict[str, Any]],
    title: str = "Skill attributes and feedback",
    max_takes: int = 6,
) -> str:
    """HTML: a metric table (model vs most-frequent baseline, in %) and the feedback of some takes.

    Args:
        metrics: the ``metrics`` dict of an evaluation.
        outputs: per-take dicts with ``take_uid``, ``scenario``, ``feedback`` (formatted lines), ``source``.
        max_takes: how many takes' feedback to show.
    """
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{_fmt(metrics.get(k))}</td><td>{_fmt(metrics.get(b))}</td></tr>"
        for name, k, b in _FIGURES
    )
    scope = []
    if metrics.get("train_scenarios"):
        scope.append("trained on " + ", ".join(metrics["train_scenarios"]))
    if metrics.get("scenarios"):
        scope.append("evaluated on " + ", ".join(metrics["scenarios"]))
    note = (
        f'<p class="note">{html.escape("; ".join(scope))} ({metrics.get("n_takes", "?")} takes, '
        f"{metrics.get('n_windows', '?')} commented windows). "
        "Baseline: most frequent training attributes.</p>"
    )
    takes = []
    for out in list(outputs)[:max_takes]:
        lines = "".join(
            f"<li>{html.escape(line.lstrip('- '))}</li>"
            for line in str(out["feedback"]).splitlines()
            if line.strip()
        )
        takes.append(
            f"<h3>{html.escape(str(out.get('scenario', '')))} &middot; {html.escape(str(out['take_uid']))}"
            f' <span class="note">({html.escape(str(out.get("source", "")))})</span></h3><ul>{lines}</ul>'
        )
    return (
        f"<h2>{html.escape(title)}</h2>"
        f"<table><tr><th>metric (%)</th><th>model</th><th>baseline</th></tr>{rows}</table>"
        + note
        + "".join(takes)
    )


def feedback_section_from_run(run_dir: str | Path, split: str = "test", max_takes: int = 6) -> str:
    """:func:`feedback_section` of ``<run_dir>/eval_<split>.json``."""
    path = Path(run_dir) / f"eval_{split}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist: run `skillsight attributes eval {run_dir}` first")
    result = json.loads(path.read_text(encoding="utf-8"))
    return feedback_section(result["metrics"], result["outputs"], max_takes=max_takes)
