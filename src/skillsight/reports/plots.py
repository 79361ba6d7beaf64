"""Static matplotlib figures for the report, returned as PNG bytes."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["accuracy_power_png", "confusion_png", "group_stats_png", "scenario_bars_png"]


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def confusion_png(cm: Sequence[Sequence[int]], class_names: Sequence[str], title: str) -> bytes:
    """Row-normalised confusion matrix with counts in the cells."""
    counts = np.asarray(cm, dtype=float)
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(3.6, 3.2))
    ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            ax.text(
                j,
                i,
                str(int(counts[i, j])),
                ha="center",
                va="center",
                color="black" if rates[i, j] < 0.6 else "white",
            )
    short = [n.replace(" Expert", "\nExpert") for n in class_names]
    ax.set_xticks(range(len(short)), short, fontsize=7)
    ax.set_yticks(range(len(short)), short, fontsize=7)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=9)
    return _png(fig)


def scenario_bars_png(methods: Sequence[str], scenarios: Sequence[str], acc_pct: np.ndarray) -> bytes:
    """Grouped bars: accuracy (%) per scenario (x) and method (colour); ``acc_pct`` (methods, scenarios)."""
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(scenarios)), 3.4))
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(scenarios))
    for i, method in enumerate(methods):
        ax.bar(x + i * width - 0.4 + width / 2, acc_pct[i], width, label=method)
    ax.set_xticks(x, scenarios, fontsize=8)
    ax.set_ylabel("top-1 accuracy (%)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize=7, ncol=3)
    return _png(fig)


def accuracy_power_png(methods: Sequence[str], power_mw: Sequence[float], acc_pct: Sequence[float]) -> bytes:
    """Overall accuracy vs estimated power (log x): the student's reason to exist."""
    fig, ax = plt.subplots(figsize=(5, 3.4))
    ax.scatter(power_mw, acc_pct)
    for name, p, a in zip(methods, power_mw, acc_pct):
        ax.annotate(name, (p, a), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("estimated power (mW, log scale)")
    ax.set_ylabel("overall accuracy (%)")
    return _png(fig)


def group_stats_png(stat_names: Sequence[str], groups: Sequence[str], values: np.ndarray) -> bytes:
    """Small multiples: one panel per statistic, bars per group; ``values`` is (groups, stats)."""
    n = len(stat_names)
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.6), squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], stat_names)):
        ax.bar(range(len(groups)), values[:, k], color=plt.cm.viridis(np.linspace(0.1, 0.9, len(groups))))
        ax.set_xticks(range(len(groups)), [g.replace(" Expert", "\nExp.") for g in groups], fontsize=6)
        ax.set_title(name, fontsize=8)
    fig.tight_layout()
    return _png(fig)
