"""Build ``report.html`` from run folders: the method table and its plots, self-contained (inline PNGs)."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.reports.plots import accuracy_power_png, confusion_png, group_stats_png, scenario_bars_png
from skillsight.reports.tables import TABLE_HEADER, RunSummary, read_run, table_rows

__all__ = ["build_report", "gaze_stats_section"]

_STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:first-child,th:first-child{text-align:left}img{margin:4px}.grid{display:flex;flex-wrap:wrap}
.note{color:#555;font-size:13px}"""


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def gaze_stats_section(stats: dict[str, Any]) -> str:
    """Expert vs novice gaze statistics: ``{"groups": [...], "stats": [...], "values": [[...]]}``."""
    values = np.asarray(stats["values"], dtype=float)
    rows = [[g] + [f"{v:.3g}" for v in row] for g, row in zip(stats["groups"], values)]
    return (
        "<h2>Gaze statistics by skill level (training takes)</h2>"
        + _table(["level", *list(stats["stats"])], rows)
        + _img(group_stats_png(stats["stats"], stats["groups"], values), "gaze statistics by level")
    )


def build_report(
    run_dirs: Sequence[str | Path],
    out_html: str | Path,
    names: Sequence[str] | None = None,
    title: str = "skillsight report",
    extra_sections: Sequence[str] = (),
    notes: Sequence[str] = (),
) -> Path:
    """Write a self-contained HTML report comparing the given runs.

    Args:
        run_dirs: run folders with metrics.json (and power.json for the power column).
        names: display names (default: each run's name).
        extra_sections: HTML fragments appended (e.g. :func:`gaze_stats_section`).
        notes: plain-text lines shown under the table (assumptions, elapsed time).
    """
    runs: list[RunSummary] = [
        read_run(d, None if names is None else names[i]) for i, d in enumerate(run_dirs)
    ]
    scenarios = sorted({s for r in runs for s in r.metrics["per_scenario_accuracy"]})
    parts = [f"<h1>{html.escape(title)}</h1>", _table(TABLE_HEADER + scenarios, table_rows(runs, scenarios))]
    parts += [f'<p class="note">{html.escape(n)}</p>' for n in notes]
    acc = np.array(
        [[100 * r.metrics["per_scenario_accuracy"].get(s, np.nan) for s in scenarios] for r in runs]
    )
    parts += [
        "<h2>Accuracy per scenario</h2>",
        _img(scenario_bars_png([r.name for r in runs], scenarios, acc), "bars"),
    ]
    with_power = [r for r in runs if r.power_mw is not None]
    if with_power:
        parts += [
            "<h2>Accuracy vs estimated power</h2>",
            _img(
                accuracy_power_png(
                    [r.name for r in with_power],
                    [r.power_mw for r in with_power if r.power_mw is not None],  # all of them
                    [100 * r.metrics["overall_accuracy"] for r in with_power],
                ),
                "scatter",
            ),
        ]
        assumptions = with_power[0].power.get("assumptions", [])
        if assumptions:
            parts.append(
                "<p class='note'>Power model assumptions: " + html.escape("; ".join(assumptions)) + "</p>"
            )
    class_names = ["Novice", "Early Expert", "Intermediate Expert", "Late Expert"]
    parts.append("<h2>Confusion matrices (test takes)</h2><div class='grid'>")
    parts += [
        _img(confusion_png(r.metrics["confusion_matrix"], class_names, r.name), f"confusion {r.name}")
        for r in runs
    ]
    parts.append("</div>")
    parts += list(extra_sections)
    doc = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    out_html = Path(out_html)
    out_html.parent.mkdir(parents=True, exist_ok=True)
    out_html.write_text(doc)
    (out_html.with_suffix(".json")).write_text(
        json.dumps({"header": TABLE_HEADER + scenarios, "rows": table_rows(runs, scenarios)}, indent=2)
    )
    return out_html
