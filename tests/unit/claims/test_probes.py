"""Linear probes: a linear target gives R² near 1, noise near 0; a separable label is probed exactly."""

from __future__ import annotations

import numpy as np

from skillsight.claims.probes import logistic_probe, ridge_r2


def test_ridge_r2_of_a_linear_target_and_of_noise() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    w = rng.normal(size=(5, 3))
    y = x @ w + 0.1 * rng.normal(size=(400, 3))
    good = ridge_r2(x[:300], y[:300], x[300:], y[300:])
    assert good.score > 0.98 and good.n_test == 100
    noise = ridge_r2(x[:300], rng.normal(size=(300, 3)), x[300:], rng.normal(size=(100, 3)))
    assert -0.1 < noise.score < 0.05


def test_ridge_r2_half_explained() -> None:
    """y = x1 + e with var(x1) = var(e): R² about 0.5."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(4000, 2))
    y = (x[:, :1] + rng.normal(size=(4000, 1))).reshape(-1, 1)
    result = ridge_r2(x[:3000], y[:3000], x[3000:], y[3000:], groups=np.arange(3000) // 10)
    assert abs(result.score - 0.5) < 0.05


def test_logistic_probe_separable_and_chance() -> None:
    rng = np.random.default_rng(2)
    y = rng.integers(0, 4, 400)
    x = np.eye(4)[y] * 3 + 0.3 * rng.normal(size=(400, 4))
    assert logistic_probe(x[:300], y[:300], x[300:], y[300:], 4).score == 1.0
    chance = logistic_probe(rng.normal(size=(300, 4)), y[:300], rng.normal(size=(100, 4)), y[300:], 4)
    assert chance.score < 0.45
