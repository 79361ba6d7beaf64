"""Paired comparisons of two methods on the same test units: bootstrap intervals and McNemar's test.

A claim "A beats B" is the difference of a metric of A and of B on the *same* test units (takes,
pairs, images), with a 95 % interval from resampling those units, never two means side by side.
Every benchmark of the project reports its claims through this module, so that one rule holds:

* ``paired_bootstrap``: one run (one seed, one fold): resample units with replacement, recompute the
  metric of A and of B on the same resample, take percentiles of the difference.
* ``pooled_paired_bootstrap``: several runs (seeds, folds) at once. Each resample draws units within
  every run (stratified: a run's test set keeps its size) and averages the per-run differences, so the
  interval covers both the take-to-take and the run-to-run spread. When every run scores the same
  units in the same order (one test split, several training seeds) pass ``same_units=True``: the same
  draw is then used for all runs, keeping the correlation between seeds on a hard take.
* ``mcnemar``: exact (binomial) McNemar test on paired right/wrong outcomes of one run.

The metric is a function of index arrays, so accuracy, balanced accuracy, a mean angular error or a
ranking accuracy all go through the same code. numpy only.

>>> import numpy as np
>>> a = np.array([1, 1, 1, 0, 1, 1, 1, 1] * 25, dtype=float)   # per-take right (1) / wrong (0)
>>> b = np.array([1, 0, 1, 0, 1, 0, 1, 1] * 25, dtype=float)
>>> d = paired_bootstrap(a, b, name_a="teacher", name_b="gaze_only", seed=0)
>>> round(d.difference, 3), d.holds
(0.25, True)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

__all__ = [
    "McNemarResult",
    "PairedDifference",
    "mcnemar",
    "mean_metric",
    "paired_bootstrap",
    "pooled_paired_bootstrap",
]

#: metric(indices) -> value, computed on the units selected by an int index array (with repeats).
IndexMetric = Callable[[np.ndarray], float]


@dataclass(frozen=True)
class PairedDifference:
    """metric(A) - metric(B) on the same units, with a percentile bootstrap interval.

    Attributes:
        name_a, name_b: the two methods (the claim reads "name_a > name_b").
        difference: the observed difference (pooled: the mean of the per-run differences).
        ci_low, ci_high: the two-sided interval at ``confidence``.
        confidence: e.g. 0.95.
        n_units: test units per run (their sum over runs when pooled).
        n_runs: 1 for one run; the number of seeds x folds when pooled.
        runs_positive: in how many runs the observed difference is > 0 (1 or 0 for one run).
        higher_is_better: False for errors (then the claim "A better" needs a negative difference).
    """

    name_a: str
    name_b: str
    difference: float
    ci_low: float
    ci_high: float
    confidence: float
    n_units: int
    n_runs: int
    runs_positive: int
    higher_is_better: bool = True

    @property
    def holds(self) -> bool:
        """True when the interval excludes zero on the side of "A better than B"."""
        return self.ci_low > 0 if self.higher_is_better else self.ci_high < 0

    @property
    def reversed(self) -> bool:
        """True when the interval excludes zero on the side of "B better than A"."""
        return self.ci_high < 0 if self.higher_is_better else self.ci_low > 0

    @property
    def runs_better(self) -> int:
        """Runs in which A did better than B (the sign the claim wants)."""
        return self.runs_positive if self.higher_is_better else self.n_runs - self.runs_positive

    @property
    def verdict(self) -> str:
        """ "holds", "reversed" or "not shown" (the interval contains zero)."""
        return "holds" if self.holds else "reversed" if self.reversed else "not shown"

    def summary(self, digits: int = 3) -> str:
        """One line, e.g. ``teacher-gaze_only diff=+0.031 ci95=[+0.010, +0.052] runs=3/3 holds``."""
        level = round(self.confidence * 100)
        return (
            f"{self.name_a}-{self.name_b} diff={self.difference:+.{digits}f} "
            f"ci{level}=[{self.ci_low:+.{digits}f}, {self.ci_high:+.{digits}f}] "
            f"runs={self.runs_better}/{self.n_runs} n={self.n_units} {self.verdict}"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields plus the verdict."""
        return {**asdict(self), "verdict": self.verdict, "runs_better": self.runs_better}


@dataclass(frozen=True)
class McNemarResult:
    """Exact McNemar test of paired right/wrong outcomes.

    Attributes:
        only_a_right: units A got right and B wrong.
        only_b_right: units B got right and A wrong.
        p_value: two-sided exact binomial p-value of the discordant counts (1.0 when there are none).
    """

    only_a_right: int
    only_b_right: int
    p_value: float


def mean_metric(values: np.ndarray) -> IndexMetric:
    """The metric "mean of a per-unit value" (accuracy from 0/1 correctness, a mean error)."""
    array = np.asarray(values, dtype=np.float64)
    return lambda idx: float(array[idx].mean())


def _as_metric(values_or_metric: np.ndarray | Sequence[float] | IndexMetric) -> IndexMetric:
    if callable(values_or_metric):
        return values_or_metric
    return mean_metric(np.asarray(values_or_metric, dtype=np.float64))


def _check_confidence(confidence: float, n_resamples: int) -> None:
    if not 0.5 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0.5, 1); got {confidence}")
    if n_resamples < 100:
        raise ValueError(f"n_resamples must be >= 100 for a percentile interval; got {n_resamples}")


def _interval(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(samples, [tail, 100.0 - tail])
    return float(low), float(high)


def paired_bootstrap(
    a: np.ndarray | Sequence[float] | IndexMetric,
    b: np.ndarray | Sequence[float] | IndexMetric,
    n_units: int | None = None,
    *,
    name_a: str = "A",
    name_b: str = "B",
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    higher_is_better: bool = True,
) -> PairedDifference:
    """Difference metric(A) - metric(B) on one run's units, with a paired percentile bootstrap.

    Args:
        a, b: per-unit values of A and B, (N,) (their mean is the metric), or metrics of an index
            array (e.g. ``lambda idx: balanced_accuracy(y[idx], pred_a[idx], 2)``).
        n_units: N; required when ``a`` and ``b`` are metric functions, else read from the arrays.
        name_a, name_b: method names for the report.
        n_resamples: bootstrap resamples (>= 100).
        confidence: interval level.
        seed: seed of the resampling (the same seed gives the same interval).
        higher_is_better: False for errors.

    Returns:
        The observed difference and its interval.

    Raises:
        ValueError: on unequal lengths, no units or a bad confidence.
    """
    return pooled_paired_bootstrap(
        [a],
        [b],
        [n_units] if n_units is not None else None,
        name_a=name_a,
        name_b=name_b,
        n_resamples=n_resamples,
        confidence=confidence,
        seed=seed,
        higher_is_better=higher_is_better,
    )


def _units_of(values: object, given: int | None, run: int) -> int:
    if given is not None:
        return int(given)
    if callable(values):
        raise ValueError(f"run {run}: n_units is required when the metric is a function")
    return int(np.asarray(values).shape[0])


def pooled_paired_bootstrap(
    runs_a: Sequence[np.ndarray | Sequence[float] | IndexMetric],
    runs_b: Sequence[np.ndarray | Sequence[float] | IndexMetric],
    n_units: Sequence[int] | None = None,
    *,
    name_a: str = "A",
    name_b: str = "B",
    same_units: bool = False,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    higher_is_better: bool = True,
) -> PairedDifference:
    """Mean over runs (seeds, folds) of metric(A) - metric(B), with a stratified paired bootstrap.

    Args:
        runs_a, runs_b: one entry per run, each as in :func:`paired_bootstrap`.
        n_units: units per run; required for metric functions.
        name_a, name_b: method names.
        same_units: every run scores the same units in the same order: draw one index resample for all.
        n_resamples, confidence, seed, higher_is_better: as in :func:`paired_bootstrap`.

    Returns:
        The pooled difference, its interval and in how many runs A - B > 0.

    Raises:
        ValueError: on no runs, unequal lengths or runs of different sizes with ``same_units``.
    """
    _check_confidence(confidence, n_resamples)
    if len(runs_a) != len(runs_b) or not runs_a:
        raise ValueError(
            f"need the same, non-zero number of runs for A and B; got {len(runs_a)} and {len(runs_b)}"
        )
    sizes: list[int] = []
    metrics: list[tuple[IndexMetric, IndexMetric]] = []
    for run, (values_a, values_b) in enumerate(zip(runs_a, runs_b, strict=True)):
        given = None if n_units is None else n_units[run]
        size_a, size_b = _units_of(values_a, given, run), _units_of(values_b, given, run)
        if size_a != size_b or size_a == 0:
            raise ValueError(f"run {run}: A has {size_a} units and B {size_b}; they must be equal and > 0")
        sizes.append(size_a)
        metrics.append((_as_metric(values_a), _as_metric(values_b)))
    if same_units and len(set(sizes)) != 1:
        raise ValueError(f"same_units=True needs runs of one size; got sizes {sizes}")

    pairs = zip(metrics, sizes, strict=True)
    observed = np.array([ma(np.arange(n)) - mb(np.arange(n)) for (ma, mb), n in pairs])
    rng = np.random.default_rng(seed)
    samples = np.empty(n_resamples)
    for r in range(n_resamples):
        shared = rng.integers(0, sizes[0], sizes[0]) if same_units else None
        total = 0.0
        for (ma, mb), n in zip(metrics, sizes, strict=True):
            idx = shared if shared is not None else rng.integers(0, n, n)
            total += ma(idx) - mb(idx)
        samples[r] = total / len(metrics)
    low, high = _interval(samples, confidence)
    return PairedDifference(
        name_a=name_a,
        name_b=name_b,
        difference=float(observed.mean()),
        ci_low=low,
        ci_high=high,
        confidence=confidence,
        n_units=int(sum(sizes)) if not same_units else sizes[0],
        n_runs=len(metrics),
        runs_positive=int((observed > 0).sum()),
        higher_is_better=higher_is_better,
    )


def mcnemar(correct_a: np.ndarray | Sequence[bool], correct_b: np.ndarray | Sequence[bool]) -> McNemarResult:
    """Exact two-sided McNemar test on paired right/wrong outcomes, (N,) each.

    Raises:
        ValueError: on unequal lengths.
    """
    a, b = np.asarray(correct_a, dtype=bool), np.asarray(correct_b, dtype=bool)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"correct_a {a.shape} and correct_b {b.shape} must be equal-length 1-D arrays")
    only_a, only_b = int((a & ~b).sum()), int((~a & b).sum())
    discordant = only_a + only_b
    if discordant == 0:
        return McNemarResult(only_a, only_b, 1.0)
    smaller = min(only_a, only_b)
    tail = sum(math.comb(discordant, k) for k in range(smaller + 1)) / 2.0**discordant
    return McNemarResult(only_a, only_b, float(min(1.0, 2.0 * tail)))
