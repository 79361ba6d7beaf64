"""Pairwise ranking task (Li et al. 2019; Doughty et al. 2018): a Siamese pair with shared weights.

Both videos of a pair go through the same model (one forward on the concatenated batch, so batch
statistics see both), and the margin ranking loss

    L = sum over pairs of max(0, margin - S(better) + S(worse)),   margin = 0.5

pushes the better video's score above the worse one's. Optimiser (the one loop's OptimConfig): the
paper's SGD, momentum 0.9, lr 1e-3, weight decay 1e-3 (lr 5e-4 for its infant data).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from skillsight.config import OptimConfig
from skillsight.models import model_inputs
from skillsight.training.task_base import OptimisedTask

__all__ = ["RankingTask", "margin_ranking_loss", "siamese_scores"]


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
    collate: ``{"better": {...}, "worse": {...}, "better_id": [...], "worse_id": [...]}``.

    Args:
        model: plain ``nn.Module`` (e.g. ``create_model("attention_rnn")``).
        optim: optimiser settings (None: SGD, momentum 0.9, lr 1e-3, weight decay 1e-3, constant).
        margin: hinge margin (0.5).
        reduction: loss reduction over the pairs of a batch ("sum" as in the paper).
    """

    def __init__(
        self,
        model: nn.Module,
        optim: OptimConfig | None = None,
        margin: float = 0.5,
        reduction: Literal["sum", "mean"] = "sum",
    ) -> None:
        paper = OptimConfig(optimizer="sgd", lr=1e-3, momentum=0.9, nesterov=False, weight_decay=1e-3)
        super().__init__(optim or paper)
        self.model = model
        self.margin = margin
        self.reduction: Literal["sum", "mean"] = reduction

    def _step(self, batch: dict[str, Any], stage: str) -> torch.Tensor:
        s_better, s_worse, _ = siamese_scores(self.model, batch["better"], batch["worse"])
        loss = margin_ranking_loss(s_better, s_worse, self.margin, self.reduction)
        P = s_better.shape[0]
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
