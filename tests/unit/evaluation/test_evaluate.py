"""Take-level prediction: clip logits averaged per take; NaN/inf logits are refused naming the take."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from skillsight.evaluation.evaluate import predict_takes
from skillsight.exceptions import DataFormatError


class _Echo(nn.Module):
    """Logits are the input itself (B, C)."""

    input_names = ("x",)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": x}


def _batch(x: list[list[float]], uids: list[str]) -> dict:
    return {
        "x": torch.tensor(x),
        "take_uid": uids,
        "scenario": torch.zeros(len(uids)),
        "label": torch.ones(len(uids)),
    }


def test_clip_logits_are_averaged_per_take():
    batches = [_batch([[1.0, 3.0], [3.0, 1.0]], ["a", "b"]), _batch([[3.0, 5.0]], ["a"])]
    preds = predict_takes(_Echo(), batches, ["Cooking"])
    assert preds.take_uids == ["a", "b"]
    torch.testing.assert_close(torch.from_numpy(preds.logits), torch.tensor([[2.0, 4.0], [3.0, 1.0]]))
    assert preds.num_clips.tolist() == [2, 1]


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_logits_are_refused_naming_the_take(bad):
    batches = [_batch([[1.0, 3.0], [bad, 1.0]], ["a", "take_b"])]
    with pytest.raises(DataFormatError, match=r"take_b, field 'logits': the model gave NaN/inf logits"):
        predict_takes(_Echo(), batches, ["Cooking"])
