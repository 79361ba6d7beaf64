"""Pairwise ranking evaluation: score each video once, then count correctly ordered pairs.

Ranking accuracy is the share of annotated pairs whose better video scores strictly higher (a tie
counts as wrong). With 4-fold cross-validation the figure is reported per fold and as the mean
(and population standard deviation) over folds. Scoring uses the test protocol (last frame of each
segment) with the model in eval mode, so it is deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from skillsight.exceptions import DataFormatError
from skillsight.models import model_inputs
from skillsight.projects.ranking.pairs import SkillPair

__all__ = ["attention_mass", "fold_summary", "ranking_accuracy", "score_videos"]


def ranking_accuracy(scores: dict[str, float], pairs: Sequence[SkillPair]) -> float:
    """Share of pairs with ``scores[better] > scores[worse]``.

    Raises:
        DataFormatError: no pairs, or a pair naming a video without a score.
    """
    if not pairs:
        raise DataFormatError("pairs", "pairs", 0, "ranking accuracy needs at least one pair")
    missing = sorted({v for p in pairs for v in (p.better, p.worse)} - set(scores))
    if missing:
        raise DataFormatError(
            "scores", "video_id", missing[:5], f"{len(missing)} videos of the pairs have no score"
        )
    better = np.array([scores[p.better] for p in pairs], dtype=np.float64)
    worse = np.array([scores[p.worse] for p in pairs], dtype=np.float64)
    return float(np.mean(better > worse))


def fold_summary(per_fold: dict[int, float]) -> dict[str, object]:
    """``{"per_fold": {k: acc}, "mean": m, "std": s, "n_folds": n}`` over the given folds."""
    if not per_fold:
        raise DataFormatError("folds", "per_fold", per_fold, "no fold results to summarise")
    values = np.array([per_fold[k] for k in sorted(per_fold)], dtype=np.float64)
    return {
        "per_fold": {int(k): float(per_fold[k]) for k in sorted(per_fold)},
        "mean": float(values.mean()),
        "std": float(values.std()),
        "n_folds": len(values),
    }


@torch.no_grad()
def score_videos(
    model: nn.Module, videos: Dataset, batch_size: int = 4, keep_attention: Iterable[str] = ()
) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Score every video of a :class:`skillsight.projects.ranking.dataset.VideoDataset` once.

    Args:
        model: model returning ``score`` (B,) and optionally ``attention`` (B, N, h, w).
        videos: the video dataset (items hold the model inputs and ``video_id``).
        batch_size: videos per forward.
        keep_attention: ids whose attention maps to return.

    Returns:
        (video id -> score, video id -> attention (N, h, w) float32 for ``keep_attention``).
    """
    was_training = model.training
    model.eval()
    keep = set(keep_attention)
    names = model_inputs(model)
    device = next(model.parameters()).device  # score where the model lives (GPU after GPU training)
    scores: dict[str, float] = {}
    maps: dict[str, np.ndarray] = {}
    try:
        for batch in DataLoader(videos, batch_size=batch_size, shuffle=False, num_workers=0):
            out = model(**{name: batch[name].to(device) for name in names})
            for i, vid in enumerate(batch["video_id"]):
                scores[vid] = float(out["score"][i])
                if vid in keep and "attention" in out:
                    maps[vid] = out["attention"][i].float().cpu().numpy()
    finally:
        model.train(was_training)
    return scores, maps


def attention_mass(attention: np.ndarray, region: np.ndarray) -> float:
    """Mean over steps of the attention weight falling in a region.

    Args:
        attention: (N, h, w) maps, each summing to 1.
        region: (h, w) bool mask of the relevant cells.
    """
    attention = np.asarray(attention, dtype=np.float64)
    if attention.ndim != 3 or attention.shape[1:] != region.shape:
        raise DataFormatError(
            "attention", "shape", attention.shape, f"expected (N, {region.shape[0]}, {region.shape[1]})"
        )
    return float((attention * region[None]).sum(axis=(1, 2)).mean())
