"""A toy registered classifier and dataset for training-loop tests (no data files needed)."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import Dataset

from skillsight.models import register_model
from skillsight.models.layers.base import DeclaredInputsModule

__all__ = ["ToyDataset", "ToyGazeClassifier"]


@register_model("test_toy_gaze_classifier")
class ToyGazeClassifier(DeclaredInputsModule):
    """Mean-pooled MLP over a (B, T, C) sequence, with the student's output keys."""

    input_names = ("gaze",)
    sensors = ("eye_tracker",)

    def __init__(
        self, channels: int = 4, num_classes: int = 2, embed_dim: int = 8, dropout: float = 0.0
    ) -> None:
        super().__init__()
        self.channels = channels
        self.body = nn.Sequential(nn.Linear(channels, 16), nn.ReLU(), nn.Linear(16, 16))
        self.dropout = nn.Dropout(dropout)  # (B, T, 16) -> same; on in the resume tests
        self.head = nn.Linear(16, num_classes)
        self.distill = nn.Linear(16, embed_dim)

    def forward(self, gaze: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.dropout(self.body(gaze)).mean(1)  # (B, 16)
        return {"logits": self.head(h), "distill_embedding": self.distill(h)}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        return {"gaze": torch.randn(batch_size, 5, self.channels)}


class ToyDataset(Dataset):
    """Label = sign of the mean of channel 0; teacher features are a noisy copy of the label."""

    def __init__(self, n: int = 64, channels: int = 4, seed: int = 0) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 5, channels, generator=g)
        self.y = (self.x[:, :, 0].mean(1) > 0).long()
        self.t = torch.randn(n, 6, generator=g) + self.y[:, None].float()

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> dict:
        return {"gaze": self.x[i], "label": self.y[i], "teacher_features": self.t[i], "take_uid": f"take{i}"}
