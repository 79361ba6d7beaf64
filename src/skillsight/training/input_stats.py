"""Per-channel statistics of a model's sequence inputs on the training takes, fitted into its standardisers.

A run computes them once, before the first step, from the TRAINING split only (validation and test takes
never inform them), over the protocol clips of every training take and only the valid steps
(``gaze_mask`` True). They are stored in the model's :class:`~skillsight.models.layers.standardize.
ChannelStandardizer` buffers (so checkpoints, streaming and ONNX carry them) and written to the run
folder as ``input_statistics.json`` for inspection.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from skillsight.exceptions import DataFormatError
from skillsight.models.layers.standardize import standardizers

__all__ = ["STATISTICS_CLIPS_PER_TAKE", "ChannelStatistics", "channel_statistics", "fit_standardizers"]

#: evenly spaced protocol clips per training take the statistics are computed over.
STATISTICS_CLIPS_PER_TAKE = 5


@dataclass(frozen=True)
class ChannelStatistics:
    """Mean and standard deviation per channel of one input, and how many valid steps they come from."""

    mean: np.ndarray  # (C,)
    std: np.ndarray  # (C,)
    num_steps: int

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (lists of floats)."""
        return {"mean": self.mean.tolist(), "std": self.std.tolist(), "num_steps": self.num_steps}


def channel_statistics(
    dataset: Dataset, input_name: str = "gaze", mask_name: str = "gaze_mask"
) -> ChannelStatistics:
    """Mean/std per channel of ``item[input_name]`` (T, C) over every item's valid steps.

    Args:
        dataset: items holding ``input_name`` (T, C) and, if present, ``mask_name`` (T,) bool.
        input_name: the sequence input.
        mask_name: its validity mask (all steps count when the items have none).

    Raises:
        DataFormatError: the dataset has no valid step.
    """
    total = total_sq = None
    count = 0
    for i in range(len(dataset)):  # type: ignore[arg-type]
        item = dataset[i]
        x = torch.as_tensor(item[input_name], dtype=torch.float64)  # (T, C)
        mask = item.get(mask_name)
        if mask is not None:
            x = x[torch.as_tensor(mask, dtype=torch.bool)]
        if total is None:
            total = torch.zeros(x.shape[-1], dtype=torch.float64)
            total_sq = torch.zeros_like(total)
        total += x.sum(0)
        total_sq += (x * x).sum(0)  # type: ignore[operator]
        count += int(x.shape[0])
    if count == 0 or total is None or total_sq is None:
        raise DataFormatError(
            "training takes", input_name, 0, "no valid step to compute channel statistics from"
        )
    mean = total / count
    var = (total_sq / count - mean * mean).clamp_min(0.0)
    return ChannelStatistics(mean.numpy(), var.sqrt().numpy(), count)


def fit_standardizers(model: nn.Module, statistics: dict[str, ChannelStatistics]) -> list[str]:
    """Set every standardiser in ``model`` from ``statistics[its input_name]``; returns the names fitted.

    Raises:
        DataFormatError: a standardiser's input has no statistics.
    """
    fitted = []
    for module in standardizers(model):
        if module.input_name not in statistics:
            raise DataFormatError(
                type(model).__name__, module.input_name, sorted(statistics), "no statistics for this input"
            )
        stats = statistics[module.input_name]
        module.fit(torch.from_numpy(stats.mean), torch.from_numpy(stats.std))
        fitted.append(module.input_name)
    return fitted
