"""The SkillSight claims benchmark of one condition: dataset, every row on every seed, claims, mechanism.

Layout under ``out``::

    data/<condition>/                     the synthetic dataset (generated once, reused)
    <condition>/cache/                    crop-feature cache shared by the rows
    <condition>/seed<N>/<row>/            one run folder per row and seed (train_run's layout)
    <condition>/mechanism/                the mechanism runs (sweeps) and probes
    <condition>/results.json              plan, rows, claims, mechanism, per-take predictions

Rows run in table order within a seed (teachers before the students distilled from them), seeds one
after the other; one process, so decoded videos stay in memory across rows.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillsight.claims.dataset import ensure_dataset
from skillsight.claims.plan import BenchPlan
from skillsight.claims.rows import SeedPredictions, majority_row, row_power_mw, train_row
from skillsight.claims.tables import ClaimResult, RowSummary, claim_result, row_summary
from skillsight.runs.atomic import atomic_write_text

__all__ = ["BenchResult", "run_claims_benchmark"]


class BenchResult:
    """What one condition produced: row summaries, claim results, mechanism figures, predictions."""

    def __init__(
        self,
        plan: BenchPlan,
        rows: list[RowSummary],
        claims: list[ClaimResult],
        predictions: dict[str, dict[int, SeedPredictions]],
        mechanism: dict[str, Any],
        seconds: float,
        data_root: Path,
    ) -> None:
        self.plan, self.rows, self.claims, self.predictions = plan, rows, claims, predictions
        self.mechanism, self.seconds, self.data_root = mechanism, seconds, data_root

    def row(self, key: str) -> RowSummary:
        return next(r for r in self.rows if r.key == key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "plan": self.plan.to_dict(),
            "condition": self.plan.condition.name,
            "data_root": str(self.data_root),
            "seconds": round(self.seconds, 1),
            "rows": [r.to_dict() for r in self.rows],
            "claims": [c.to_dict() for c in self.claims],
            "mechanism": self.mechanism,
            "predictions": {
                key: {str(s): p.to_dict() for s, p in per_seed.items()}
                for key, per_seed in self.predictions.items()
            },
        }


def run_claims_benchmark(
    plan: BenchPlan, out: str | Path, log: Callable[[str], None] = print, workers: int = 1
) -> BenchResult:
    """Run (or resume) the benchmark of ``plan`` under ``out``; writes ``<condition>/results.json``.

    ``workers``: processes for generating the dataset (training is one process, as the budget assumes).
    """
    import torch

    from skillsight.training.quiet import quiet_lightning

    quiet_lightning()
    torch.set_num_threads(1)
    start = time.perf_counter()
    out = Path(out)
    data_root = ensure_dataset(plan, out, workers=workers, log=log)
    cond_dir = out / plan.condition.name
    cache_root = cond_dir / "cache"
    predictions: dict[str, dict[int, SeedPredictions]] = {r.key: {} for r in plan.row_specs()}
    run_dirs: dict[tuple[str, int], Path] = {}
    for seed in plan.seeds:
        log(f"[{plan.condition.name}] seed {seed}")
        for row in plan.row_specs():
            if not row.preset:
                predictions[row.key][seed] = majority_row(data_root)
                continue
            preds, run_dir = train_row(row, plan, data_root, cond_dir / f"seed{seed}", seed, cache_root, log)
            predictions[row.key][seed] = preds
            run_dirs[(row.key, seed)] = run_dir
    first = plan.seeds[0]
    summaries = []
    for row in plan.row_specs():
        power = row_power_mw(run_dirs[(row.key, first)]) if row.preset else None
        summaries.append(row_summary(row, predictions[row.key], power))
    claims = [
        claim_result(c, predictions[c.better], predictions[c.worse], plan.n_resamples) for c in plan.claims()
    ]
    mechanism: dict[str, Any] = {}
    if plan.mechanism:
        from skillsight.claims.mechanism import run_mechanism

        mechanism = run_mechanism(plan, data_root, cond_dir, run_dirs, predictions, log)
    result = BenchResult(
        plan, summaries, claims, predictions, mechanism, time.perf_counter() - start, data_root
    )
    cond_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cond_dir / "results.json", json.dumps(result.to_dict(), indent=1, default=float))
    return result
