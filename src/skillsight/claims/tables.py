"""Rows aggregated over seeds, and every claim as a paired difference on the same test takes.

A claim "A > B" is the difference of overall accuracy of A and B on the same test takes, with a 95 %
percentile bootstrap interval from :mod:`skillsight.evaluation.paired_stats` (resampling takes):
per seed (``paired_bootstrap``, plus the exact McNemar test) and pooled over seeds
(``pooled_paired_bootstrap`` with ``same_units=True``: every seed scores the same test takes, so one
resample of takes serves all seeds and the interval covers both the take-to-take and the
seed-to-seed spread). The pooled balanced-accuracy difference is reported beside it. A claim holds
when its pooled interval excludes zero on the claimed side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from skillsight.claims.plan import Claim, RowSpec
from skillsight.claims.rows import SeedPredictions
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.evaluation.metrics import balanced_accuracy
from skillsight.evaluation.paired_stats import (
    McNemarResult,
    PairedDifference,
    mcnemar,
    paired_bootstrap,
    pooled_paired_bootstrap,
)
from skillsight.exceptions import ConfigError

__all__ = ["ClaimResult", "RowSummary", "claim_result", "row_summary"]

#: seed -> predictions of one row
RowPredictions = dict[int, SeedPredictions]


@dataclass(frozen=True)
class RowSummary:
    """A row over seeds: accuracy and balanced accuracy per seed and their mean, its power and the paper's."""

    key: str
    display: str
    tables: tuple[int, ...]
    accuracy: dict[int, float]
    balanced_accuracy: dict[int, float]
    power_mw: float | None
    paper_acc: float | None
    n_takes: int
    paper_mw: float | None = None

    @property
    def mean_accuracy(self) -> float:
        return float(np.mean(list(self.accuracy.values())))

    @property
    def mean_balanced_accuracy(self) -> float:
        return float(np.mean(list(self.balanced_accuracy.values())))

    @property
    def accuracy_sd(self) -> float:
        values = list(self.accuracy.values())
        return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "display": self.display,
            "tables": list(self.tables),
            "accuracy": {str(s): v for s, v in self.accuracy.items()},
            "balanced_accuracy": {str(s): v for s, v in self.balanced_accuracy.items()},
            "mean_accuracy": self.mean_accuracy,
            "accuracy_sd_over_seeds": self.accuracy_sd,
            "mean_balanced_accuracy": self.mean_balanced_accuracy,
            "power_mw": self.power_mw,
            "paper_acc_percent": self.paper_acc,
            "paper_power_mw": self.paper_mw,
            "n_test_takes": self.n_takes,
        }


def row_summary(row: RowSpec, preds: RowPredictions, power_mw: float | None) -> RowSummary:
    """Summarise one row's predictions over its seeds."""
    first = next(iter(preds.values()))
    return RowSummary(
        key=row.key,
        display=row.display,
        tables=row.tables,
        accuracy={s: p.accuracy for s, p in preds.items()},
        balanced_accuracy={s: p.balanced_accuracy for s, p in preds.items()},
        power_mw=power_mw,
        paper_acc=row.paper_acc,
        n_takes=len(first.take_uids),
        paper_mw=row.paper_mw,
    )


@dataclass(frozen=True)
class ClaimResult:
    """One claim: pooled and per-seed paired accuracy differences, McNemar per seed, pooled balanced."""

    claim: Claim
    pooled: PairedDifference
    per_seed: dict[int, PairedDifference]
    mcnemar: dict[int, McNemarResult]
    pooled_balanced: PairedDifference

    @property
    def verdict(self) -> str:
        return self.pooled.verdict

    @property
    def seeds_holding(self) -> int:
        """Seeds whose own interval excludes zero on the claimed side."""
        return sum(d.holds for d in self.per_seed.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "claim": self.claim.name,
            "paper_claim": self.claim.paper,
            "verdict": self.verdict,
            "pooled_accuracy": self.pooled.to_dict(),
            "pooled_balanced_accuracy": self.pooled_balanced.to_dict(),
            "per_seed": {str(s): d.to_dict() for s, d in self.per_seed.items()},
            "seeds_holding": self.seeds_holding,
            "seeds_positive": sum(d.difference > 0 for d in self.per_seed.values()),
            "mcnemar": {
                str(s): {"only_a_right": m.only_a_right, "only_b_right": m.only_b_right, "p_value": m.p_value}
                for s, m in self.mcnemar.items()
            },
        }


def _aligned(a: SeedPredictions, b: SeedPredictions, what: str) -> None:
    if a.take_uids != b.take_uids:
        raise ConfigError(f"{what}: the two rows were scored on different test takes")


def claim_result(
    claim: Claim, better: RowPredictions, worse: RowPredictions, n_resamples: int = 2000
) -> ClaimResult:
    """The claim "better > worse" on every seed both rows share, and pooled over those seeds.

    Raises:
        ConfigError: no shared seed, or the rows were scored on different takes.
    """
    seeds = sorted(set(better) & set(worse))
    if not seeds:
        raise ConfigError(f"claim {claim.name}: the two rows share no seed")
    for s in seeds:
        _aligned(better[s], worse[s], f"claim {claim.name}, seed {s}")
        _aligned(better[s], better[seeds[0]], f"claim {claim.name}, seeds {seeds[0]} and {s}")
    a, b = claim.better, claim.worse
    per_seed = {
        s: paired_bootstrap(
            better[s].correct, worse[s].correct, name_a=a, name_b=b, n_resamples=n_resamples, seed=s
        )
        for s in seeds
    }
    tests = {s: mcnemar(better[s].correct > 0, worse[s].correct > 0) for s in seeds}
    pooled = pooled_paired_bootstrap(
        [better[s].correct for s in seeds],
        [worse[s].correct for s in seeds],
        name_a=a,
        name_b=b,
        same_units=True,
        n_resamples=n_resamples,
    )
    n_classes = len(PROFICIENCY_LABELS)

    def balanced(p: SeedPredictions) -> Any:
        return lambda idx: balanced_accuracy(p.labels[idx], p.predicted[idx], n_classes)

    n = len(better[seeds[0]].take_uids)
    pooled_balanced = pooled_paired_bootstrap(
        [balanced(better[s]) for s in seeds],
        [balanced(worse[s]) for s in seeds],
        [n] * len(seeds),
        name_a=a,
        name_b=b,
        same_units=True,
        n_resamples=n_resamples,
    )
    return ClaimResult(claim, pooled, per_seed, tests, pooled_balanced)
