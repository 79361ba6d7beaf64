"""Static matplotlib figures for the report, returned as PNG bytes (readable at 800 px page width)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import FuncFormatter, MaxNLocator

__all__ = [
    "accuracy_power_png",
    "confusion_png",
    "curves_png",
    "group_stats_png",
    "scenario_bars_png",
]

_TICK = 10  # tick label size (pt): readable when the figure is shown at its natural size
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">", "h", "p")


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def confusion_png(cm: Sequence[Sequence[int]], class_names: Sequence[str], title: str) -> bytes:
    """Row-normalised confusion matrix with counts in the cells."""
    counts = np.asarray(cm, dtype=float)
    rates = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(3.6, 3.4))
    ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            color = "black" if rates[i, j] < 0.6 else "white"
            ax.text(j, i, str(int(counts[i, j])), ha="center", va="center", color=color, fontsize=_TICK)
    short = [n.replace(" Expert", "\nExpert") for n in class_names]
    ax.set_xticks(range(len(short)), short, fontsize=_TICK - 1)
    ax.set_yticks(range(len(short)), short, fontsize=_TICK - 1)
    ax.set_xlabel("predicted", fontsize=_TICK)
    ax.set_ylabel("true", fontsize=_TICK)
    ax.set_title(title, fontsize=_TICK + 1)
    return _png(fig)


def scenario_bars_png(
    methods: Sequence[str],
    scenarios: Sequence[str],
    acc_pct: np.ndarray,
    majority_pct: Sequence[float] | None = None,
    chance_pct: float | None = None,
) -> bytes:
    """Grouped bars: accuracy (%) per scenario (x) and method (colour). ``acc_pct`` is (methods, scenarios).

    ``majority_pct`` (per scenario) is drawn as a black tick over each group, ``chance_pct`` as a line.
    """
    fig, ax = plt.subplots(figsize=(7.4, 3.8))
    width = 0.8 / max(len(methods), 1)
    x = np.arange(len(scenarios))
    for i, method in enumerate(methods):
        ax.bar(x + i * width - 0.4 + width / 2, acc_pct[i], width, label=method)
    if majority_pct is not None:
        ax.hlines(majority_pct, x - 0.42, x + 0.42, colors="black", linewidth=2, label="majority")
    if chance_pct is not None:
        ax.axhline(chance_pct, color="grey", linestyle=":", linewidth=1.2, label="chance")
    ax.set_xticks(x, [s.replace(" ", "\n") for s in scenarios], fontsize=_TICK)
    ax.tick_params(axis="y", labelsize=_TICK)
    ax.set_ylabel("top-1 accuracy (%)", fontsize=_TICK)
    ax.set_ylim(0, 100)
    ax.legend(fontsize=_TICK - 1, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.2), frameon=False)
    return _png(fig)


def accuracy_power_png(
    methods: Sequence[str],
    power_mw: Sequence[float],
    acc_pct: Sequence[float],
    majority_pct: float | None = None,
    chance_pct: float | None = None,
) -> bytes:
    """Overall accuracy vs estimated power (log x): the student's reason to exist.

    Each method has its own marker and colour, named in a legend outside the axes (labels beside the
    points overprint when two methods sit at the same power and accuracy); the majority baseline and
    chance are horizontal lines.
    """
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    colors = plt.cm.tab10(np.arange(len(methods)) % 10)
    for i, (name, p, a) in enumerate(zip(methods, power_mw, acc_pct)):
        ax.scatter([p], [a], s=60, marker=_MARKERS[i % len(_MARKERS)], color=colors[i], label=name, zorder=3)
    if majority_pct is not None:
        ax.axhline(majority_pct, color="black", linestyle="--", linewidth=1, label="majority (train)")
    if chance_pct is not None:
        ax.axhline(chance_pct, color="grey", linestyle=":", linewidth=1.2, label="chance")
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _pos: f"{value:g}")  # 40, not 4 x 10^1
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    low, high = min(power_mw), max(power_mw)
    ax.set_xlim(low / 1.6, high * 1.6)  # margins in log space: no point on the frame
    values = [*acc_pct, *(v for v in (majority_pct, chance_pct) if v is not None)]
    ax.set_ylim(max(0.0, min(values) - 8), min(100.0, max(values) + 8))
    ax.tick_params(labelsize=_TICK)
    ax.set_xlabel("estimated power (mW, log scale)", fontsize=_TICK)
    ax.set_ylabel("overall accuracy (%)", fontsize=_TICK)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=_TICK - 1, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _png(fig)


def curves_png(
    curves: Mapping[str, Mapping[str, tuple[Sequence[int], Sequence[float]]]], labels: Mapping[str, str]
) -> bytes:
    """One panel per metric (``labels``: metric -> axis label), one line per run: ``curves[run][metric]``."""
    metrics = [m for m in labels if any(m in c for c in curves.values())]
    fig, axes = plt.subplots(1, len(metrics), figsize=(3.0 * len(metrics) + 1.6, 3.0), squeeze=False)
    for ax, metric in zip(axes[0], metrics):
        for i, (run, series) in enumerate(curves.items()):
            if metric in series:
                epochs, values = series[metric]
                ax.plot(epochs, values, marker=".", label=run, color=plt.cm.tab10(i % 10))
        ax.set_title(labels[metric], fontsize=_TICK)
        ax.set_xlabel("epoch", fontsize=_TICK)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=_TICK - 1)
        ax.grid(alpha=0.3)
    axes[0][-1].legend(fontsize=_TICK - 1, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False)
    fig.tight_layout()
    return _png(fig)


def group_stats_png(stat_names: Sequence[str], groups: Sequence[str], values: np.ndarray) -> bytes:
    """Small multiples: one panel per statistic, bars per group (skill level); ``values`` (groups, stats)."""
    n = len(stat_names)
    fig, axes = plt.subplots(1, n, figsize=(1.9 * n, 2.8), squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], stat_names)):
        ax.bar(range(len(groups)), values[:, k], color=plt.cm.viridis(np.linspace(0.1, 0.9, len(groups))))
        ax.set_xticks(
            range(len(groups)), [g.replace(" Expert", "\nExp.") for g in groups], fontsize=_TICK - 2
        )
        ax.tick_params(axis="y", labelsize=_TICK - 2)
        ax.set_title(name, fontsize=_TICK)
    fig.tight_layout()
    return _png(fig)
