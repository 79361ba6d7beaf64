"""Two-stream TSN (Doughty et al. 2018 baseline): segmental consensus, stream fusion, per-stream
training, the similarity loss, and that segment order carries no information."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.exceptions import ConfigError
from skillsight.models import create_model, list_models
from skillsight.projects.ranking.task import (
    RankingTask,
    margin_ranking_loss,
    ranking_loss_scores,
    similarity_loss,
)
from skillsight.projects.ranking.tsn import TwoStreamTSN


def test_registered_sizes() -> None:
    assert {"tsn_two_stream", "tsn_two_stream_tiny", "test_tsn_two_stream"} <= set(list_models())
    model = create_model("tsn_two_stream_tiny")
    assert isinstance(model, TwoStreamTSN)
    assert (model.num_segments, model.flow_stack, model.image_size) == (25, 5, 64)


def test_consensus_is_the_segment_mean_and_fusion_weights_rgb_1_flow_1_5() -> None:
    model = create_model("test_tsn_two_stream").eval()
    out = model(**model.example_inputs(3))
    assert out["segment_scores"].shape == (3, 3, 2) and out["stream_scores"].shape == (3, 2)
    torch.testing.assert_close(out["stream_scores"], out["segment_scores"].mean(dim=1))
    rgb, flow = out["stream_scores"].unbind(-1)
    torch.testing.assert_close(out["score"], (1.0 * rgb + 1.5 * flow) / 2.5)
    torch.testing.assert_close(out["logits"][:, 0], out["score"])


def test_segment_order_does_not_matter() -> None:
    model = create_model("test_tsn_two_stream").eval()
    inputs = model.example_inputs(2)
    perm = torch.tensor([2, 0, 1])
    with torch.no_grad():
        a = model(**inputs)["score"]
        b = model(**{k: v[:, perm] for k, v in inputs.items()})["score"]
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_similarity_loss_by_hand() -> None:
    a, b = torch.tensor([1.0, 0.2, -1.0]), torch.tensor([0.0, 0.4, 1.0])
    # |diff| = 1.0, 0.2, 2.0 -> hinge at margin 0.5: 0.5, 0, 1.5
    assert float(similarity_loss(a, b, margin=0.5)) == pytest.approx(2.0)
    assert float(similarity_loss(a, b, margin=0.5, reduction="mean")) == pytest.approx(2.0 / 3)
    with pytest.raises(ValueError, match="shapes differ"):
        similarity_loss(a, b[:2])


def _pair_batch(model: torch.nn.Module, pairs: int, seed: int) -> dict:
    torch.manual_seed(seed)
    return {"better": model.example_inputs(pairs), "worse": model.example_inputs(pairs)}


def test_task_trains_each_stream_on_its_own_loss_and_adds_the_similarity_loss() -> None:
    model = create_model("test_tsn_two_stream").eval()  # eval: no dropout, so losses are comparable
    task = RankingTask(model, margin=0.5, similarity_weight=0.7)
    task.log = lambda *args, **kwargs: None  # type: ignore[method-assign]  (no trainer attached)
    ranked = _pair_batch(model, 2, seed=0)
    similar_inputs = _pair_batch(model, 2, seed=1)
    similar = {"first": similar_inputs["better"], "second": similar_inputs["worse"]}
    with torch.no_grad():
        better = ranking_loss_scores(model(**ranked["better"]))  # (P, 2)
        worse = ranking_loss_scores(model(**ranked["worse"]))
        first = model(**similar["first"])["stream_scores"]
        second = model(**similar["second"])["stream_scores"]
        expected = sum(margin_ranking_loss(better[:, k], worse[:, k]) for k in range(2)) + 0.7 * sum(
            similarity_loss(first[:, k], second[:, k]) for k in range(2)
        )
        loss = task._step({"ranked": ranked, "similar": similar}, "train")
        plain = task._step(ranked, "train")  # a batch without similar pairs: the ranking part only
    torch.testing.assert_close(loss, expected, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(plain, sum(margin_ranking_loss(better[:, k], worse[:, k]) for k in range(2)))

    # the RGB stream gets exactly the gradient of training it alone
    model.zero_grad()
    task._step(ranked, "train").backward()
    joint = [p.grad.clone() for p in model.rgb.parameters()]
    model.zero_grad()
    out_b, out_w = model(**ranked["better"]), model(**ranked["worse"])
    margin_ranking_loss(out_b["stream_scores"][:, 0], out_w["stream_scores"][:, 0]).backward()
    for g_joint, p in zip(joint, model.rgb.parameters()):
        torch.testing.assert_close(g_joint, p.grad)


def test_bad_settings_raise() -> None:
    with pytest.raises(ConfigError, match="dropout"):
        create_model("test_tsn_two_stream", dropout=[0.5])
    with pytest.raises(ConfigError, match="stream_weights"):
        create_model("test_tsn_two_stream", stream_weights=[0.0, 0.0])
    model = create_model("test_tsn_two_stream")
    inputs = model.example_inputs(1)
    with pytest.raises(ValueError, match="flow shape"):
        model(frames=inputs["frames"], flow=inputs["flow"][:, :, :2])
    with pytest.raises(ValueError, match="similarity_weight"):
        RankingTask(model, similarity_weight=-1.0)


def test_eval_scores_are_deterministic_despite_dropout() -> None:
    model = create_model("test_tsn_two_stream").eval()
    inputs = model.example_inputs(2)
    with torch.no_grad():
        np.testing.assert_array_equal(model(**inputs)["score"].numpy(), model(**inputs)["score"].numpy())
