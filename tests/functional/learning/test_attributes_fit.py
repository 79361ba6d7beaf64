"""The CrossTrainer attribute mapper (and its proficiency probe) fit 64 per-second features through
``train_mapper`` / ``train_probe``, the attribute wing's training entry points (tasks trained by the one
loop, ``training.loop.fit``, with the wing's own config dataclasses).

Features are drawn in the test; each of the 6 attributes is a fixed linear rule of them, so a mapper that
learns anything at all fits them, one that ignores its input stays at the attributes' base rates.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from skillsight.config import TrainerConfig
from skillsight.projects.attributes.config import AttributesConfig
from skillsight.projects.attributes.training import train_mapper, train_probe
from tests.functional.learning.budgets import budget

ROW = budget("attribute mapper")
PROBE = budget("proficiency probe")
N_SECONDS, DIM, N_ATTRIBUTES = 64, 24, 6
DEFAULTS = AttributesConfig()  # the wing's defaults; only the step budget is the table's


def _fit_mapper(x: np.ndarray, y: np.ndarray) -> torch.nn.Module:
    """Full batch: one optimiser step per ``mapper.steps``."""
    cfg = dataclasses.replace(DEFAULTS.mapper, steps=ROW.steps)
    trainer: TrainerConfig = dataclasses.replace(DEFAULTS.trainer, seed=0)
    return train_mapper(x, y, cfg, trainer)


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
        logits = model(torch.from_numpy(x))["logits"].numpy()
    return float(((logits > 0) == (y > 0.5)).mean())


def test_mapper_fits_its_training_seconds_within_budget() -> None:
    x, y = _subset()
    mapper = _fit_mapper(x, y)
    accuracy = _attribute_accuracy(mapper, x, y)
    assert ROW.reached(accuracy), ROW.explain(accuracy)


def test_proficiency_probe_fits_levels_of_the_representation() -> None:
    x, _ = _subset(seed=1)
    mapper = _fit_mapper(x, _subset(seed=1)[1])
    with torch.no_grad():
        h = mapper.representation(torch.from_numpy(x)).numpy()  # (N, H)
    levels = np.digitize(h @ np.random.default_rng(2).normal(size=h.shape[1]), [-1.0, 0.0, 1.0])  # 4 levels
    probe_cfg = dataclasses.replace(DEFAULTS.probe, steps=PROBE.steps)  # full batch: one step per step
    probe = train_probe(h, levels, 4, probe_cfg, DEFAULTS.trainer)
    with torch.no_grad():
        accuracy = float((probe(torch.from_numpy(h))["logits"].argmax(-1).numpy() == levels).mean())
    assert PROBE.reached(accuracy), PROBE.explain(accuracy)
