"""Build ``report.html`` from run folders: the method table and its plots, self-contained (inline PNGs).

The page fits an 800 px wide window without horizontal scrolling (tables wrap their cells, figures
scale to the page width) and names the split every number comes from.
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.reports.curves import CURVE_METRICS, read_curves
from skillsight.reports.plots import (
    accuracy_power_png,
    confusion_png,
    curves_png,
    group_stats_png,
    scenario_bars_png,
)
from skillsight.reports.tables import RUN_HEADER, TABLE_HEADER, RunSummary, read_run, run_rows, table_rows

__all__ = ["build_report", "gaze_stats_section"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:1100px;padding:0 1em}
table{border-collapse:collapse;font-size:12px;margin:0.5em 0;max-width:100%}
td,th{border:1px solid #ccc;padding:2px 4px;text-align:right;vertical-align:top}
td:first-child,th:first-child{text-align:left;min-width:7em;overflow-wrap:break-word}
th{background:#f4f4f4}.runs td:last-child{text-align:left;overflow-wrap:anywhere;font-size:12px}
img{margin:4px;max-width:100%;height:auto}.grid{display:flex;flex-wrap:wrap}.grid img{max-width:48%}
.note{color:#444;font-size:13px;overflow-wrap:anywhere}"""
_CLASS_NAMES = ["Novice", "Early Expert", "Intermediate Expert", "Late Expert"]


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


#: Where the long header words of the tables may break (a soft hyphen), so an 800 px window fits them.
_HYPHENATED = {"modality": "modal&shy;ity", "balanced": "bal&shy;anced", "Basketball": "Basket&shy;ball"}


def _header_cell(text: str) -> str:
    """Escaped header text with soft hyphens in the long words of :data:`_HYPHENATED`."""
    return " ".join(_HYPHENATED.get(word, word) for word in html.escape(text).split(" "))


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    head = "".join(f"<th>{_header_cell(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    cls = f' class="{css}"' if css else ""
    return f"<table{cls}><tr>{head}</tr>{body}</table>"


def gaze_stats_section(stats: dict[str, Any]) -> str:
    """Expert vs novice gaze statistics: ``{"groups": [...], "stats": [...], "values": [[...]]}``."""
    values = np.asarray(stats["values"], dtype=float)
    rows = [[g] + [f"{v:.3g}" for v in row] for g, row in zip(stats["groups"], values)]
    return (
        "<h2>Gaze statistics by skill level (training takes)</h2>"
        + _table(["level", *list(stats["stats"])], rows)
        + _img(group_stats_png(stats["stats"], stats["groups"], values), "gaze statistics by level")
    )


def _split_note(runs: list[RunSummary], split: str) -> str:
    takes = sorted({int(r.metrics.get("num_takes", 0)) for r in runs})
    counts = str(takes[0]) if len(takes) == 1 else f"{takes[0]}-{takes[-1]}"
    unlabelled = sum(int(r.metrics.get("num_unlabelled", 0)) for r in runs)
    extra = f"; {unlabelled} unlabelled takes predicted, not scored" if unlabelled else ""
    return (
        f"All numbers are on the <b>{html.escape(split)}</b> split ({counts} labelled takes per run{extra}), "
        "top-1 accuracy pooled over takes, 10 clips per take. Majority: each scenario's most frequent "
        "training label; chance: a uniform guess over the 4 levels."
    )


def _curves_section(runs: list[RunSummary]) -> list[str]:
    curves = {r.name: read_curves(r.run_dir) for r in runs}
    curves = {name: c for name, c in curves.items() if c}
    if not curves:
        return []
    return [
        "<h2>Training curves</h2>",
        '<p class="note">From each run\'s logs/metrics.csv (last value logged in each epoch).</p>',
        _img(curves_png(curves, CURVE_METRICS), "training curves"),
    ]


def build_report(
    run_dirs: Sequence[str | Path],
    out_html: str | Path,
    names: Sequence[str] | None = None,
    title: str = "skillsight report",
    extra_sections: Sequence[str] = (),
    notes: Sequence[str] = (),
    split: str = "test",
) -> Path:
    """Write a self-contained HTML report comparing the given runs on one split.

    Args:
        run_dirs: run folders with ``metrics_<split>.json`` (and power.json for the power column).
        names: display names (default: each run's name).
        extra_sections: HTML fragments appended (e.g. :func:`gaze_stats_section`).
        notes: plain-text lines shown under the table (assumptions, elapsed time).
        split: which split's metrics every run shows ("test" or "val").

    Raises:
        FileNotFoundError: a run folder, or its metrics for ``split``, is missing (the message says how
            to produce them).
    """
    runs: list[RunSummary] = [
        read_run(d, None if names is None else names[i], split) for i, d in enumerate(run_dirs)
    ]
    scenarios = sorted({s for r in runs for s in r.metrics["per_scenario_accuracy"]})
    major = runs[0].metrics["majority"]
    chance_pct = 100.0 / len(_CLASS_NAMES)
    parts = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{_split_note(runs, split)}</p>',
        _table(TABLE_HEADER + scenarios, table_rows(runs, scenarios)),
    ]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    acc = np.array(
        [[100 * r.metrics["per_scenario_accuracy"].get(s, np.nan) for s in scenarios] for r in runs]
    )
    majority_per = [100 * major["per_scenario_accuracy"].get(s, np.nan) for s in scenarios]
    parts += [
        f"<h2>Accuracy per scenario ({html.escape(split)})</h2>",
        _img(scenario_bars_png([r.name for r in runs], scenarios, acc, majority_per, chance_pct), "bars"),
    ]
    with_power = [r for r in runs if r.power_mw is not None]
    if with_power:
        parts += [
            "<h2>Accuracy vs estimated power</h2>",
            _img(
                accuracy_power_png(
                    [r.name for r in with_power],
                    [float(r.power_mw or 0.0) for r in with_power],
                    [100 * r.metrics["overall_accuracy"] for r in with_power],
                    100 * major["overall_accuracy"],
                    chance_pct,
                ),
                "accuracy vs power",
            ),
        ]
        assumptions = with_power[0].power.get("assumptions", [])
        if assumptions:
            parts.append(
                "<p class='note'>Power model assumptions: " + html.escape("; ".join(assumptions)) + "</p>"
            )
    else:
        parts.append("<p class='note'>No power.json in these runs: `skillsight power RUN` writes it.</p>")
    parts += _curves_section(runs)
    parts.append(f"<h2>Confusion matrices ({html.escape(split)} takes)</h2><div class='grid'>")
    parts += [
        _img(confusion_png(r.metrics["confusion_matrix"], _CLASS_NAMES, r.name), f"confusion {r.name}")
        for r in runs
    ]
    parts.append("</div>")
    parts += ["<h2>Runs</h2>", _table(RUN_HEADER, run_rows(runs), css="runs")]
    parts += list(extra_sections)
    doc = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(doc)
    (out_html.with_suffix(".json")).write_text(
        json.dumps(
            {"split": split, "header": TABLE_HEADER + scenarios, "rows": table_rows(runs, scenarios)},
            indent=2,
        )
    )
    return out_html
