"""Channel statistics of the training takes: masked steps excluded, fitted into every standardiser."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.exceptions import DataFormatError
from skillsight.models import create_model
from skillsight.models.layers.standardize import standardizers
from skillsight.training.input_stats import ChannelStatistics, channel_statistics, fit_standardizers


def _items(valid: list[list[bool]]) -> list[dict[str, torch.Tensor]]:
    rng = np.random.default_rng(0)
    return [
        {
            "gaze": torch.from_numpy(rng.normal([1.0, -2.0], [0.5, 3.0], size=(len(m), 2))).float(),
            "gaze_mask": torch.tensor(m),
        }
        for m in valid
    ]


def test_statistics_count_valid_steps_only() -> None:
    items = _items([[True, True, False], [True, False, False], [True, True, True]])
    for item in items:  # a huge value on every invalid step must not move the statistics
        item["gaze"][~item["gaze_mask"]] = 1e6
    stats = channel_statistics(items)
    valid = torch.cat([it["gaze"][it["gaze_mask"]] for it in items]).double()
    assert stats.num_steps == 6
    np.testing.assert_allclose(stats.mean, valid.mean(0).numpy(), rtol=1e-9)
    np.testing.assert_allclose(stats.std, valid.std(0, unbiased=False).numpy(), rtol=1e-9)


def test_no_valid_step_is_an_error() -> None:
    with pytest.raises(DataFormatError, match="no valid step"):
        channel_statistics(_items([[False, False]]))


def test_fit_standardizers_sets_every_gaze_standardiser_and_names_missing_inputs() -> None:
    model = create_model("test_skillsight_teacher")
    stats = ChannelStatistics(np.arange(14.0), np.full(14, 2.0), 100)
    assert fit_standardizers(model, {"gaze": stats}) == ["gaze"]
    (layer,) = standardizers(model)
    torch.testing.assert_close(layer.mean, torch.arange(14.0))
    with pytest.raises(DataFormatError, match="no statistics"):
        fit_standardizers(model, {"motion": stats})
    assert stats.to_dict()["num_steps"] == 100
