"""The stream's running estimate equals averaging the windows' logits, as a take is scored offline."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.deploy.running_estimate import RunningEstimate


def test_running_estimate_is_the_softmax_of_the_mean_logit() -> None:
    logits = np.random.default_rng(0).normal(size=(7, 4)) * 3
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    est = RunningEstimate(["Novice", "Early Expert", "Intermediate Expert", "Late Expert"])
    assert est.probabilities is None and "no window" in est.format()
    for i, p in enumerate(probs):
        est.add(p)
        est.add(None)  # a skipped window does not count
        mean = logits[: i + 1].mean(0)
        expected = np.exp(mean - mean.max()) / np.exp(mean - mean.max()).sum()
        np.testing.assert_allclose(est.probabilities, expected, rtol=1e-12)
    assert est.windows == 7
    assert est.label == est.class_names[int(logits.mean(0).argmax())]
    assert est.format().startswith(f"recording so far: {est.label} ") and "(7 windows)" in est.format()


def test_a_zero_probability_does_not_poison_the_estimate() -> None:
    est = RunningEstimate()
    est.add(np.array([1.0, 0.0, 0.0, 0.0]))
    est.add(np.array([0.25, 0.25, 0.25, 0.25]))
    assert np.isfinite(est.probabilities).all() and est.label == "0"
    assert est.probabilities.sum() == pytest.approx(1.0)
