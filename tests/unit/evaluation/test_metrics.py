"""Metrics against hand-computed values."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from skillsight.evaluation.evaluate import predict_takes, score_predictions, write_evaluation
from skillsight.evaluation.metrics import (
    accuracy,
    balanced_accuracy,
    confusion_matrix,
    majority_labels,
    per_group_accuracy,
)


def test_accuracy_confusion_balanced_by_hand():
    y_true = [0, 0, 0, 1, 2, 2]
    y_pred = [0, 0, 1, 1, 0, 2]
    assert accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    assert confusion_matrix(y_true, y_pred, 3).tolist() == [[2, 1, 0], [0, 1, 0], [1, 0, 1]]
    # recalls 2/3, 1, 1/2 -> mean 13/18
    assert balanced_accuracy(y_true, y_pred, 4) == pytest.approx((2 / 3 + 1 + 0.5) / 3)


def test_per_group_accuracy_is_within_group():
    assert per_group_accuracy([0, 1, 1, 0], [0, 0, 1, 0], ["Music", "Music", "Dance", "Dance"]) == {
        "Dance": 1.0,
        "Music": 0.5,
    }


def test_majority_is_per_group_training_majority_with_deterministic_ties():
    preds = majority_labels([1, 1, 2, 3, 0, 3], ["A", "A", "A", "B", "B", "B"], ["B", "A", "B"])
    assert preds.tolist() == [3, 1, 3]
    assert majority_labels([2, 1], ["A", "A"], ["A"]).tolist() == [1]  # tie -> smaller label
    with pytest.raises(ValueError, match="'C' has no training labels"):
        majority_labels([0], ["A"], ["C"])


def test_confusion_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        confusion_matrix([0, 2], [0, 1], 2)


class _Fixed(nn.Module):
    input_names = ("x",)

    def forward(self, x):
        return {"logits": x}


def test_predict_takes_averages_clip_logits_and_pools_overall(tmp_path):
    batches = [
        {
            "x": torch.tensor([[2.0, 0.0], [0.0, 1.0]]),
            "take_uid": ["a", "a"],
            "scenario": torch.tensor([0, 0]),
            "label": torch.tensor([0, 0]),
        },
        {
            "x": torch.tensor([[0.0, 3.0], [0.0, 1.0]]),
            "take_uid": ["b", "c"],
            "scenario": torch.tensor([1, 1]),
            "label": torch.tensor([0, 1]),
        },
    ]
    preds = predict_takes(_Fixed(), batches, ["Music", "Dance"], ["Novice", "Expert"])
    assert preds.take_uids == ["a", "b", "c"]
    np.testing.assert_allclose(preds.logits[0], [1.0, 0.5])
    assert preds.num_clips.tolist() == [2, 1, 1]
    metrics = score_predictions(preds.labels, preds.predicted, preds.scenarios, 2)
    assert metrics["overall_accuracy"] == pytest.approx(2 / 3)  # pooled over takes, not mean of scenarios
    assert metrics["per_scenario_accuracy"] == {"Dance": 0.5, "Music": 1.0}
    write_evaluation(tmp_path, preds, metrics)
    lines = (tmp_path / "predictions_test.csv").read_text().splitlines()
    assert lines[0] == (
        "take_uid,take_name,scenario,label,predicted,num_clips,p_Novice,p_Expert,logit_Novice,logit_Expert"
    )
    assert len(lines) == 4
    assert (tmp_path / "predictions.csv").read_text() == (tmp_path / "predictions_test.csv").read_text()
    assert json.loads((tmp_path / "metrics_test.json").read_text())["num_takes"] == 3


def test_predict_takes_rejects_inconsistent_clips():
    batches = [
        {
            "x": torch.zeros(2, 2),
            "take_uid": ["a", "a"],
            "scenario": torch.tensor([0, 0]),
            "label": torch.tensor([0, 1]),
        }
    ]
    with pytest.raises(ValueError, match="take a: clips disagree"):
        predict_takes(_Fixed(), batches, ["Music"])
