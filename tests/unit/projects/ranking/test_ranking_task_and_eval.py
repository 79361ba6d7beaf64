"""Margin ranking loss against hand-computed values, Siamese weight sharing, ranking metrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.config import OptimConfig
from skillsight.exceptions import DataFormatError
from skillsight.models import create_model
from skillsight.projects.ranking.metrics import attention_mass, fold_summary, ranking_accuracy
from skillsight.projects.ranking.pairs import SkillPair
from skillsight.projects.ranking.task import RankingTask, margin_ranking_loss, siamese_scores


def test_margin_loss_hand_computed() -> None:
    better = torch.tensor([1.0, 0.2, 0.0])
    worse = torch.tensor([0.0, 0.5, 0.1])
    # max(0, 0.5 - 1.0 + 0.0) = 0; max(0, 0.5 - 0.2 + 0.5) = 0.8; max(0, 0.5 - 0.0 + 0.1) = 0.6
    assert margin_ranking_loss(better, worse).item() == pytest.approx(1.4)
    assert margin_ranking_loss(better, worse, reduction="mean").item() == pytest.approx(1.4 / 3)
    assert margin_ranking_loss(better, worse, margin=0.0).item() == pytest.approx(0.3 + 0.1)
    # agrees with torch's own margin ranking loss (target +1 means the first input should rank higher)
    ref = torch.nn.functional.margin_ranking_loss(better, worse, torch.ones(3), margin=0.5, reduction="sum")
    assert margin_ranking_loss(better, worse).item() == pytest.approx(ref.item())


def test_siamese_scores_share_weights() -> None:
    model = create_model("test_attention_rnn").eval()
    better, worse = model.example_inputs(2), model.example_inputs(2)
    with torch.no_grad():
        s_b, s_w, out = siamese_scores(model, better, worse)
        torch.testing.assert_close(s_b, model(**better)["score"], rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(s_w, model(**worse)["score"], rtol=1e-5, atol=1e-5)
    assert out["attention"].shape[0] == 4


def test_task_step_lowers_the_loss_and_uses_paper_optimiser() -> None:
    torch.manual_seed(0)
    model = create_model("test_attention_rnn")
    task = RankingTask(model, OptimConfig(optimizer="sgd", lr=0.05, nesterov=False, weight_decay=1e-3))
    opt = task.configure_optimizers()["optimizer"]
    assert isinstance(opt, torch.optim.SGD)
    paper = RankingTask(create_model("test_attention_rnn")).configure_optimizers()["optimizer"]
    default = paper.param_groups[0]
    assert (default["lr"], default["momentum"], default["weight_decay"], default["nesterov"]) == (
        1e-3,
        0.9,
        1e-3,
        False,
    )
    better, worse = model.example_inputs(2), model.example_inputs(2)
    task.log = lambda *a, **k: None  # no trainer attached
    batch = {"better": better, "worse": worse}
    losses = []
    for _ in range(6):
        loss = task.training_step(batch, 0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]


def test_ranking_accuracy_counts_ties_as_wrong() -> None:
    scores = {"a": 3.0, "b": 2.0, "c": 2.0, "d": 0.0}
    pairs = [SkillPair("a", "b"), SkillPair("b", "c"), SkillPair("d", "a"), SkillPair("c", "d")]
    assert ranking_accuracy(scores, pairs) == pytest.approx(0.5)
    with pytest.raises(DataFormatError, match="no score"):
        ranking_accuracy(scores, [SkillPair("a", "zz")])
    with pytest.raises(DataFormatError):
        ranking_accuracy(scores, [])


def test_fold_summary_mean_and_spread() -> None:
    summary = fold_summary({2: 0.5, 1: 0.75, 3: 1.0, 4: 0.75})
    assert summary["mean"] == pytest.approx(0.75) and summary["n_folds"] == 4
    assert summary["std"] == pytest.approx(np.std([0.75, 0.5, 1.0, 0.75]))
    assert list(summary["per_fold"]) == [1, 2, 3, 4]


def test_attention_mass() -> None:
    attention = np.zeros((2, 2, 2))
    attention[0, 0, 0] = 1.0
    attention[1] = 0.25
    region = np.array([[True, False], [False, False]])
    assert attention_mass(attention, region) == pytest.approx((1.0 + 0.25) / 2)
    with pytest.raises(DataFormatError):
        attention_mass(attention, np.ones((3, 3), bool))
