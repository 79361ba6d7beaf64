"""Paired claims between two rankers on the same validation pairs ("A orders more pairs than B").

The unit is one validation pair: a ranker orders it correctly when ``score[better] > score[worse]``
(ties count as wrong, as in :func:`~skillsight.projects.ranking.metrics.ranking_accuracy`). Two rankers
trained on the same fold of the same data are scored on the same pairs, so their outcomes are paired;
over several seeds and folds the difference is pooled by the shared statistics helper
(:func:`skillsight.evaluation.paired_stats.pooled_paired_bootstrap`, resampling pairs within each
seed x fold), and McNemar's exact test is run on all pairs together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from skillsight.evaluation.paired_stats import (
    McNemarResult,
    PairedDifference,
    mcnemar,
    pooled_paired_bootstrap,
)
from skillsight.exceptions import DataFormatError

__all__ = ["RankingClaim", "RunScores", "pair_outcomes", "ranking_claim"]


def pair_outcomes(scores: Mapping[str, float], pairs: Sequence[Sequence[str]]) -> np.ndarray:
    """(P,) float 1.0 where ``scores[better] > scores[worse]``, else 0.0, for ``[better, worse]`` pairs.

    Raises:
        DataFormatError: no pairs, or a pair naming a video without a score.
    """
    if not pairs:
        raise DataFormatError("pairs", "pairs", 0, "pair outcomes need at least one pair")
    missing = sorted({v for p in pairs for v in p} - set(scores))
    if missing:
        raise DataFormatError("scores", "video_id", missing[:5], f"{len(missing)} videos have no score")
    better = np.array([scores[p[0]] for p in pairs], dtype=np.float64)
    worse = np.array([scores[p[1]] for p in pairs], dtype=np.float64)
    return (better > worse).astype(np.float64)


@dataclass(frozen=True)
class RunScores:
    """One seed x fold: both rankers' scores of the fold's validation videos and its pairs.

    Attributes:
        label: e.g. ``"seed0_fold3"``.
        scores_a, scores_b: video id -> score of ranker A and of ranker B.
        pairs: the fold's ``[better, worse]`` validation pairs (the same for both).
    """

    label: str
    scores_a: Mapping[str, float]
    scores_b: Mapping[str, float]
    pairs: Sequence[Sequence[str]]


@dataclass(frozen=True)
class RankingClaim:
    """ "A ranks better than B": the pooled paired difference and McNemar's test on all pairs."""

    difference: PairedDifference
    mcnemar: McNemarResult

    def summary(self) -> str:
        """The difference's one-line summary plus McNemar's discordant counts and p-value."""
        m = self.mcnemar
        return f"{self.difference.summary()} mcnemar={m.only_a_right}:{m.only_b_right} p={m.p_value:.3g}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        m = self.mcnemar
        return {
            **self.difference.to_dict(),
            "mcnemar_only_a_right": m.only_a_right,
            "mcnemar_only_b_right": m.only_b_right,
            "mcnemar_p": m.p_value,
        }


def ranking_claim(
    runs: Sequence[RunScores],
    name_a: str,
    name_b: str,
    n_resamples: int = 2000,
    seed: int = 0,
) -> RankingClaim:
    """Pooled ranking-accuracy difference A - B over ``runs`` (mean of the per-run differences) with a
    95 % interval from resampling pairs within each run, and McNemar on the concatenated pairs.

    Raises:
        ValueError: no runs.
        DataFormatError: a run with no pairs or a missing score.
    """
    if not runs:
        raise ValueError(f"{name_a} vs {name_b}: no seed x fold runs to compare")
    outcomes_a = [pair_outcomes(r.scores_a, r.pairs) for r in runs]
    outcomes_b = [pair_outcomes(r.scores_b, r.pairs) for r in runs]
    difference = pooled_paired_bootstrap(
        outcomes_a, outcomes_b, name_a=name_a, name_b=name_b, n_resamples=n_resamples, seed=seed
    )
    test = mcnemar(np.concatenate(outcomes_a) > 0.5, np.concatenate(outcomes_b) > 0.5)
    return RankingClaim(difference, test)
