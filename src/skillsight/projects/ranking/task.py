"""Pairwise ranking task (Li et al. 2019; Doughty et al. 2018): a Siamese pair with shared weights.

Both videos of a pair go through the same model (one forward on the concatenated batch, so batch
statistics see both), and the margin ranking loss

    L = sum over pairs of max(0, margin - S(better) + S(worse)),   margin = 0.5

pushes the better video's score above the worse one's. Optimiser (the one loop's OptimConfig): the
paper's SGD, momentum 0.9, lr 1e-3, weight decay 1e-3 (lr 5e-4 for its infant data).

Two additions for the Doughty et al. 2018 baseline (two-stream TSN):

* pairs annotated as showing *no* skill difference add the similarity loss
  ``mu * sum max(0, |S(a) - S(b)| - margin)`` (a batch ``{"ranked": ..., "similar": ...}``);
* a model that returns ``stream_scores`` (B, S) (independent streams) is trained with the sum of
  the losses of each stream's score, i.e. each stream as if it were trained alone; pairwise
  accuracy is logged on the fused ``score``.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from skillsight.config import OptimConfig
from skillsight.models import model_inputs
from skillsight.training.task_base import OptimisedTask

__all__ = ["RankingTask", "margin_ranking_loss", "ranking_loss_scores", "siamese_scores", "similarity_loss"]


def margin_ranking_loss(
    score_better: torch.Tensor,
    score_worse: torch.Tensor,
    margin: float = 0.5,
    reduction: Literal["sum", "mean"] = "sum",
) -> torch.Tensor:
    """``sum_p max(0, margin - s_better_p + s_worse_p)`` (or its mean over pairs).

    Args:
        score_better / score_worse: (P,) scores of the better / worse video of each pair.
        margin: required score gap.
        reduction: "sum" (the paper's formula) or "mean".
    """
    if score_better.shape != score_worse.shape:
        raise ValueError(f"score shapes differ: {tuple(score_better.shape)} vs {tuple(score_worse.shape)}")
    hinge = torch.clamp(margin - score_better + score_worse, min=0.0)  # (P,)
    return hinge.sum() if reduction == "sum" else hinge.mean()


def similarity_loss(
    score_a: torch.Tensor,
    score_b: torch.Tensor,
    margin: float = 0.5,
    reduction: Literal["sum", "mean"] = "sum",
) -> torch.Tensor:
    """``sum_p max(0, |s_a_p - s_b_p| - margin)`` over pairs without a skill difference (Doughty et al.).

    Args:
        score_a / score_b: (P,) scores of the two videos of each equally skilled pair.
        margin: score gap tolerated for free.
        reduction: "sum" or "mean".
    """
    if score_a.shape != score_b.shape:
        raise ValueError(f"score shapes differ: {tuple(score_a.shape)} vs {tuple(score_b.shape)}")
    hinge = torch.clamp((score_a - score_b).abs() - margin, min=0.0)  # (P,)
    return hinge.sum() if reduction == "sum" else hinge.mean()


def ranking_loss_scores(out: dict[str, torch.Tensor]) -> torch.Tensor:
    """The scores the loss is computed on: ``stream_scores`` (B, S) when the model has independent
    streams, else ``score`` as (B, 1)."""
    if "stream_scores" in out:
        return out["stream_scores"]
    return out["score"][:, None]


def siamese_scores(
    model: nn.Module, better: dict[str, torch.Tensor], worse: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """Score both sides of P pairs with one shared-weight forward.

    Args:
        model: a registered model returning ``{"score": (B,), ...}``.
        better / worse: model inputs keyed by ``model_inputs(model)``, batch P each.

    Returns:
        (score_better (P,), score_worse (P,), the full output dict of the 2P forward).
    """
    names = model_inputs(model)
    inputs = {name: torch.cat([better[name], worse[name]], dim=0) for name in names}  # (2P, ...)
    out = model(**inputs)
    P = better[names[0]].shape[0]
    return out["score"][:P], out["score"][P:], out


class RankingTask(OptimisedTask):
    """Lightning wrapper: Siamese margin ranking loss, pairwise accuracy logging; the optimiser comes from
    ``optim`` (the paper's SGD by default).

    Batches come from :class:`skillsight.projects.ranking.dataset.PairDataset` collated by the default
    collate: ``{"better": {...}, "worse": {...}, "better_id": [...], "worse_id": [...]}``, or, with
    equally skilled pairs, ``{"ranked": <that>, "similar": {"first": {...}, "second": {...}, ...}}``
    (:class:`skillsight.projects.ranking.dataset.RankedWithSimilarDataset`).

    Args:
        model: plain ``nn.Module`` (e.g. ``create_model("attention_rnn")``).
        optim: optimiser settings (None: SGD, momentum 0.9, lr 1e-3, weight decay 1e-3, constant).
        margin: hinge margin (0.5).
        reduction: loss reduction over the pairs of a batch ("sum" as in the paper).
        similarity_weight: mu, weight of the similarity loss on equally skilled pairs (used only
            when batches carry a "similar" part).
    """

    def __init__(
        self,
        model: nn.Module,
        optim: OptimConfig | None = None,
        margin: float = 0.5,
        reduction: Literal["sum", "mean"] = "sum",
        similarity_weight: float = 1.0,
    ) -> None:
        paper = OptimConfig(optimizer="sgd", lr=1e-3, momentum=0.9, nesterov=False, weight_decay=1e-3)
        super().__init__(optim or paper)
        if similarity_weight < 0:
            raise ValueError(f"similarity_weight must be >= 0, got {similarity_weight}")
        self.similarity_weight = float(similarity_weight)
        self.model = model
        self.margin = margin
        self.reduction: Literal["sum", "mean"] = reduction

    def _pair_loss(
        self, first: dict, second: dict, kind: Literal["ranked", "similar"]
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(loss summed over the model's streams, fused scores of the firsts (P,), of the seconds (P,))."""
        s_first, s_second, out = siamese_scores(self.model, first, second)
        streams = ranking_loss_scores(out)  # (2P, S)
        P = s_first.shape[0]
        loss_fn = margin_ranking_loss if kind == "ranked" else similarity_loss
        per_stream = [
            loss_fn(streams[:P, k], streams[P:, k], self.margin, self.reduction)
            for k in range(streams.shape[1])
        ]
        return torch.stack(per_stream).sum(), s_first, s_second

    def _step(self, batch: dict[str, Any], stage: str) -> torch.Tensor:
        ranked = batch.get("ranked", batch)
        loss, s_better, s_worse = self._pair_loss(ranked["better"], ranked["worse"], "ranked")
        P = s_better.shape[0]
        if "similar" in batch and self.similarity_weight > 0:
            sim_loss, _, _ = self._pair_loss(batch["similar"]["first"], batch["similar"]["second"], "similar")
            self.log(f"{stage}/similarity_loss", sim_loss, batch_size=P, on_epoch=True, on_step=False)
            loss = loss + self.similarity_weight * sim_loss
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=P, on_epoch=True, on_step=stage == "train")
        self.log(
            f"{stage}/pair_acc",
            (s_better > s_worse).float().mean(),
            batch_size=P,
            on_epoch=True,
            on_step=False,
        )
        return loss

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "train")

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self._step(batch, "val")
