"""Paired bootstrap and McNemar: intervals that mean what they say."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binomtest

from skillsight.evaluation.metrics import balanced_accuracy
from skillsight.evaluation.paired_stats import (
    mcnemar,
    paired_bootstrap,
    pooled_paired_bootstrap,
)


def test_identical_methods_give_a_zero_interval_and_no_claim() -> None:
    correct = np.array([1, 0, 1, 1, 0] * 20, dtype=float)
    d = paired_bootstrap(correct, correct, name_a="a", name_b="b")
    assert (d.difference, d.ci_low, d.ci_high) == (0.0, 0.0, 0.0)
    assert d.verdict == "not shown" and d.runs_better == 0


def test_a_clear_gain_holds_and_its_mirror_is_reversed() -> None:
    rng = np.random.default_rng(1)
    a = (rng.random(400) < 0.8).astype(float)
    b = (rng.random(400) < 0.6).astype(float)
    d = paired_bootstrap(a, b, name_a="teacher", name_b="gaze_only")
    assert d.difference == pytest.approx(a.mean() - b.mean())
    assert d.ci_low < d.difference < d.ci_high
    assert d.holds and d.verdict == "holds"
    assert paired_bootstrap(b, a).verdict == "reversed"
    assert d.summary().startswith("teacher-gaze_only diff=+")
    assert d.to_dict()["verdict"] == "holds"


def test_errors_lower_is_better() -> None:
    rng = np.random.default_rng(2)
    err_a = rng.normal(5.0, 1.0, 300)
    err_b = err_a + rng.normal(0.5, 0.3, 300)
    d = paired_bootstrap(err_a, err_b, higher_is_better=False)
    assert d.difference < 0 and d.holds and d.runs_better == 1


def test_interval_width_shrinks_like_one_over_root_n() -> None:
    rng = np.random.default_rng(3)
    widths = []
    for n in (100, 1600):
        a = (rng.random(n) < 0.7).astype(float)
        b = (rng.random(n) < 0.7).astype(float)
        d = paired_bootstrap(a, b, n_resamples=1000)
        widths.append(d.ci_high - d.ci_low)
    assert widths[0] / widths[1] == pytest.approx(4.0, rel=0.25)


def test_false_claims_under_no_effect_are_near_the_nominal_rate() -> None:
    """Two methods with the same 70 % accuracy: about 5 % of the 95 % intervals exclude zero."""
    rng = np.random.default_rng(4)
    claims = 0
    trials = 200
    for t in range(trials):
        a = (rng.random(200) < 0.7).astype(float)
        b = (rng.random(200) < 0.7).astype(float)
        claims += paired_bootstrap(a, b, n_resamples=400, seed=t).verdict != "not shown"
    assert 2 <= claims <= 22  # binomial(200, 0.05): mean 10, this band holds with p > 0.999


def test_a_metric_function_such_as_balanced_accuracy() -> None:
    y = np.array([0] * 90 + [1] * 10)
    pred_a = y.copy()
    pred_b = np.zeros(100, dtype=int)  # majority: 90 % accuracy, 50 % balanced accuracy
    d = paired_bootstrap(
        lambda i: balanced_accuracy(y[i], pred_a[i], 2),
        lambda i: balanced_accuracy(y[i], pred_b[i], 2),
        n_units=100,
    )
    assert d.difference == pytest.approx(0.5)
    with pytest.raises(ValueError, match="n_units is required"):
        paired_bootstrap(lambda i: 0.0, lambda i: 0.0)


def test_pooling_seeds_averages_differences_and_counts_the_runs() -> None:
    rng = np.random.default_rng(5)
    runs_a, runs_b = [], []
    for gain in (0.2, 0.1, -0.05):
        b = (rng.random(300) < 0.6).astype(float)
        a = np.where(rng.random(300) < abs(gain), 1.0 if gain > 0 else 0.0, b)
        runs_a.append(a)
        runs_b.append(b)
    d = pooled_paired_bootstrap(runs_a, runs_b, same_units=True)
    per_run = [a.mean() - b.mean() for a, b in zip(runs_a, runs_b, strict=True)]
    assert d.difference == pytest.approx(np.mean(per_run))
    assert d.n_runs == 3 and d.runs_better == sum(x > 0 for x in per_run) == 2
    assert d.n_units == 300
    stratified = pooled_paired_bootstrap(runs_a, runs_b)
    assert stratified.n_units == 900 and stratified.difference == pytest.approx(d.difference)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="must be equal"):
        paired_bootstrap([1.0, 0.0], [1.0])
    with pytest.raises(ValueError, match="same, non-zero number of runs"):
        pooled_paired_bootstrap([], [])
    with pytest.raises(ValueError, match="one size"):
        pooled_paired_bootstrap([[1.0], [1.0, 0.0]], [[0.0], [1.0, 1.0]], same_units=True)
    with pytest.raises(ValueError, match="confidence"):
        paired_bootstrap([1.0], [0.0], confidence=1.5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mcnemar_matches_the_exact_binomial_test(seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.random(80) < 0.75, rng.random(80) < 0.6
    result = mcnemar(a, b)
    n01, n10 = int((a & ~b).sum()), int((~a & b).sum())
    assert (result.only_a_right, result.only_b_right) == (n01, n10)
    assert result.p_value == pytest.approx(binomtest(n01, n01 + n10, 0.5).pvalue)
    assert mcnemar(a, a).p_value == 1.0
