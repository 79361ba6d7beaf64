"""What the claims benchmark prints: the three tables, the claims with their intervals, and the
project's ``name=VALUE ref=VALUE ratio=VALUE ref_kind=KIND`` lines (reference: the majority vote of the
same run, ``ref_kind=same_run``, or the paper's figure, ``ref_kind=paper``) and ``claim_...`` lines."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from skillsight.claims.bench import BenchResult
from skillsight.reports.bench_lines import bench_line, claim_line

__all__ = ["TABLE_TITLES", "emit", "markdown_mechanism", "markdown_tables", "print_tables", "reference_lines"]

TABLE_TITLES = {
    1: "Table 1 analogue: methods",
    3: "Table 3 analogue: teacher ablations",
    4: "Table 4 analogue: student ablations",
}


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def print_tables(result: BenchResult, console: Console | None = None) -> None:
    """Print the row tables and the claim table of one condition."""
    console = console or Console(width=160)
    plan = result.plan
    n = result.rows[0].n_takes
    seeds = ", ".join(str(s) for s in plan.seeds)
    for number, title in TABLE_TITLES.items():
        rows = [r for r in result.rows if number in r.tables]
        if not rows:
            continue
        table = Table(title=f"{title} ({plan.condition.name}; {n} test takes; seeds {seeds})")
        columns = ("method", "acc %", "sd %", "per seed %", "bal. acc %", "power mW", "paper mW", "paper %")
        for col in columns:
            table.add_column(col, justify="left" if col == "method" else "right")
        for r in rows:
            table.add_row(
                r.display,
                _pct(r.mean_accuracy),
                _pct(r.accuracy_sd),
                " ".join(_pct(v) for v in r.accuracy.values()),
                _pct(r.mean_balanced_accuracy),
                "-" if r.power_mw is None else f"{r.power_mw:.1f}",
                "-" if r.paper_mw is None else f"{r.paper_mw:g}",
                "-" if r.paper_acc is None else f"{r.paper_acc:.1f}",
            )
        console.print(table)
    table = Table(title=f"Claims ({plan.condition.name}): accuracy difference on the same test takes, points")
    for col in (
        "claim",
        "diff",
        "95 % CI",
        "per seed (CI)",
        "seeds CI>0",
        "McNemar p",
        "bal. diff",
        "verdict",
    ):
        table.add_column(col, justify="left" if col in ("claim", "verdict") else "right")
    for c in result.claims:
        p = c.pooled
        per_seed = "; ".join(
            f"{100 * d.difference:+.1f} [{100 * d.ci_low:+.1f}, {100 * d.ci_high:+.1f}]"
            for d in c.per_seed.values()
        )
        table.add_row(
            c.claim.name + ("" if c.claim.paper else " (extra)"),
            f"{100 * p.difference:+.1f}",
            f"[{100 * p.ci_low:+.1f}, {100 * p.ci_high:+.1f}]",
            per_seed,
            f"{c.seeds_holding}/{len(c.per_seed)}",
            " ".join(f"{m.p_value:.3f}" for m in c.mcnemar.values()),
            f"{100 * c.pooled_balanced.difference:+.1f}",
            c.verdict,
        )
    console.print(table)


def reference_lines(result: BenchResult) -> list[str]:
    """Figure lines (:func:`~skillsight.reports.bench_lines.bench_line`) for every row, claim lines
    (:func:`~skillsight.reports.bench_lines.claim_line`) for every claim, pooled and per seed."""
    cond = result.plan.condition.label
    majority = next((r for r in result.rows if r.key == "majority"), None)
    lines = []
    for r in result.rows:
        if majority is not None and r.key != "majority":
            lines.append(
                bench_line(
                    f"skillsight_{cond}_{r.key}_acc",
                    r.mean_accuracy,
                    majority.mean_accuracy,
                    ref_kind="same_run",
                    ref_name="majority_vote",
                    bal_acc=r.mean_balanced_accuracy,
                    seeds=len(r.accuracy),
                    n=r.n_takes,
                )
            )
        if r.paper_acc is not None:
            lines.append(
                bench_line(
                    f"skillsight_{cond}_{r.key}_acc_vs_paper",
                    r.mean_accuracy,
                    r.paper_acc / 100,
                    ref_kind="paper",
                    ref_name="Ego-Exo4D",
                )
            )
        if r.power_mw is not None and r.paper_mw is not None:  # beside the paper's Table 1 figure
            lines.append(
                bench_line(
                    f"skillsight_{cond}_{r.key}_power_mw",
                    r.power_mw,
                    r.paper_mw,
                    ref_kind="paper",
                    ref_name="SkillSight_Table1",
                )
            )
        elif r.power_mw is not None:
            lines.append(bench_line(f"skillsight_{cond}_{r.key}_power_mw", r.power_mw, None, ref_kind="none"))
    for c in result.claims:
        lines.append(claim_line(f"skillsight_{cond}", c.pooled))
        lines.extend(claim_line(f"skillsight_{cond}_train_seed{s}", d) for s, d in c.per_seed.items())
    lines.append(bench_line(f"skillsight_{cond}_wall_s", result.seconds, None, ref_kind="none"))
    return lines


def emit(result: BenchResult, say: Callable[[str], None] = print) -> None:
    """Print the tables then the reference lines."""
    print_tables(result)
    for line in reference_lines(result):
        say(line)


def markdown_tables(data: dict) -> str:
    """Markdown of one condition's ``results.json`` (as a dict): the three tables and the claims."""
    rows = data["rows"]
    n = rows[0]["n_test_takes"]
    seeds = ", ".join(rows[0]["accuracy"])
    out: list[str] = []
    for number, title in TABLE_TITLES.items():
        chosen = [r for r in rows if number in r["tables"]]
        if not chosen:
            continue
        out += [
            f"**{title}** ({data['condition']}; {n} test takes; seeds {seeds})",
            "",
            "| method | acc % (mean) | sd over seeds | per seed | bal. acc % | power mW | paper mW "
            "| paper % |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in chosen:
            per_seed = " / ".join(_pct(v) for v in r["accuracy"].values())
            power = "-" if r["power_mw"] is None else f"{r['power_mw']:.1f}"
            paper_mw = r.get("paper_power_mw")  # absent in results.json written before the column existed
            paper_power = "-" if paper_mw is None else f"{paper_mw:g}"
            paper = "-" if r["paper_acc_percent"] is None else f"{r['paper_acc_percent']:.1f}"
            out.append(
                f"| {r['display']} | {_pct(r['mean_accuracy'])} | {_pct(r['accuracy_sd_over_seeds'])} | "
                f"{per_seed} | {_pct(r['mean_balanced_accuracy'])} | {power} | {paper_power} | {paper} |"
            )
        out.append("")
    out += [
        f"**Claims** ({data['condition']}): accuracy difference A - B on the same test takes, points",
        "",
        "| claim | diff | 95 % CI (pooled) | per seed | seeds with CI > 0 | bal. acc diff | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in data["claims"]:
        p, b = c["pooled_accuracy"], c["pooled_balanced_accuracy"]
        per_seed = " / ".join(f"{100 * d['difference']:+.1f}" for d in c["per_seed"].values())
        name = c["claim"] + ("" if c["paper_claim"] else " (extra)")
        out.append(
            f"| {name} | {100 * p['difference']:+.1f} | "
            f"[{100 * p['ci_low']:+.1f}, {100 * p['ci_high']:+.1f}] | "
            f"{per_seed} | {c['seeds_holding']}/{len(c['per_seed'])} | {100 * b['difference']:+.1f} | "
            f"{c['verdict']} |"
        )
    return "\n".join(out) + "\n"


def markdown_mechanism(mech: dict) -> str:
    """Markdown of a condition's mechanism figures (``results.json["mechanism"]`` or mechanism.json)."""
    out: list[str] = []
    r2 = mech.get("target_from_gaze_r2")
    if r2:
        out += [
            "**Distillation target from gaze**: ridge R² on validation clips (fitted on training clips)",
            "",
            "| target | dim | R² |",
            "|---|---|---|",
        ]
        out += [f"| {key} | {v['dim']} | {v['score']:.3f} |" for key, v in r2.items()]
        out.append("")
    labels = mech.get("branch_labels")
    if labels:
        out += ["**Label information**: validation take accuracy", "", "| input | accuracy % |", "|---|---|"]
        probes = labels["label_probe_val_accuracy"]
        out += [f"| logistic probe on {key} | {_pct(v['score'])} |" for key, v in probes.items()]
        for key, value in labels["teacher_val_accuracy_with_branch_at_mean"].items():
            out.append(f"| teacher head, {key.replace('_', ' ')} | {_pct(value)} |")
        out.append("")
    pairs = mech.get("complementarity")
    if pairs:
        out += [
            "**Complementarity** (test takes, all seeds): P(A right | B wrong), P(A right | B right)",
            "",
            "| A, B | acc A % | acc B % | A right, B wrong % | A right, B right % | A or B right % |",
            "|---|---|---|---|---|---|",
        ]
        for name, v in pairs.items():
            out.append(
                f"| {name.replace('|', ', ')} | {_pct(v['a_accuracy'])} | {_pct(v['b_accuracy'])} | "
                f"{_pct(v['p_a_right_given_b_wrong'])} | {_pct(v['p_a_right_given_b_right'])} | "
                f"{_pct(v['union_accuracy'])} |"
            )
        out.append("")
    sweeps = mech.get("sweeps")
    if sweeps:
        out += [
            "**Student gain over the undistilled student** (validation takes, seed "
            f"{sweeps['seed']}; paired bootstrap)",
            "",
            "| setting | student acc % | undistilled acc % | gain, points | 95 % CI |",
            "|---|---|---|---|---|",
        ]
        for lam, v in sweeps["lambda_dis"].items():
            out.append(
                f"| lambda_dis = {lam}, all training takes | {_pct(v['accuracy'])} | "
                f"{_pct(v['reference_accuracy'])} | {100 * v['difference']:+.1f} | "
                f"[{100 * v['ci_low']:+.1f}, {100 * v['ci_high']:+.1f}] |"
            )
        for fraction, v in sweeps["train_fraction"].items():
            takes = "all" if v.get("train_takes") is None else v["train_takes"]
            out.append(
                f"| lambda_dis = 1, training fraction {fraction} ({takes} takes) | {_pct(v['accuracy'])} | "
                f"{_pct(v['reference_accuracy'])} | {100 * v['difference']:+.1f} | "
                f"[{100 * v['ci_low']:+.1f}, {100 * v['ci_high']:+.1f}] |"
            )
        out.append("")
    return "\n".join(out)
