"""The CrossTrainer attribute mapper (and its proficiency probe) fit 64 per-second features through
``train_mapper`` / ``train_proficiency_probe``, the attribute wing's training entry points.

Features are drawn in the test; each of the 6 attributes is a fixed linear rule of them, so a mapper that
learns anything at all fits them, one that ignores its input stays at the attributes' base rates.
"""

from __future__ import annotations

import numpy as np
import torch

from skillsight.projects.attributes.mapper import train_mapper, train_proficiency_probe
from tests.functional.learning.budgets import budget

ROW = budget("attribute mapper")
N_SECONDS, DIM, N_ATTRIBUTES = 64, 24, 6


def _subset(seed: int = 0, permute: bool = False) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(N_SECONDS, DIM)) * rng.uniform(0.1, 10.0, DIM)).astype(np.float32)  # unequal scales
    w = rng.normal(size=(DIM, N_ATTRIBUTES))
    y = (x / x.std(0)) @ w > 0  # (N, K) attribute present
    if permute:
        y = y[rng.permutation(N_SECONDS)]
    return x, y.astype(np.float32)


def _attribute_accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    with torch.no_grad():
        logits = model(torch.from_numpy(x))["attribute_logits"].numpy()
    return float(((logits > 0) == (y > 0.5)).mean())


def test_mapper_fits_its_training_seconds_within_budget() -> None:
    x, y = _subset()
    mapper = train_mapper(x, y, epochs=ROW.steps)  # full batch: one optimiser step per epoch
    accuracy = _attribute_accuracy(mapper, x, y)
    assert ROW.reached(accuracy), ROW.explain(accuracy)


def test_proficiency_probe_fits_levels_of_the_representation() -> None:
    x, _ = _subset(seed=1)
    mapper = train_mapper(x, _subset(seed=1)[1], epochs=ROW.steps)
    with torch.no_grad():
        h = mapper.representation(torch.from_numpy(x)).numpy()  # (N, H)
    levels = np.digitize(h @ np.random.default_rng(2).normal(size=h.shape[1]), [-1.0, 0.0, 1.0])  # 4 levels
    probe = train_proficiency_probe(h, levels, num_classes=4)
    with torch.no_grad():
        accuracy = float((probe(torch.from_numpy(h)).argmax(-1).numpy() == levels).mean())
    assert accuracy >= 0.9, f"the linear probe fits linear levels of its input to {accuracy:.3f} only"
