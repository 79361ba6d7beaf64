"""Two-stream TSN pairwise ranker: the Doughty et al. 2018 baseline ("Who's Better? Who's Best?
Pairwise Deep Ranking for Skill Determination", CVPR 2018).

Doughty et al. score a video with a two-stream Temporal Segment Network (Wang et al., ECCV 2016):
the video is cut into ``N`` segments, one snippet per segment (an RGB frame for the spatial stream,
``K`` stacked flow fields for the temporal stream) goes through the stream's CNN to a score, and
the segmental consensus is the average over segments::

    S_rgb(p)  = (1/N) sum_k F_rgb(frame_k)        S_flow(p) = (1/N) sum_k F_flow(flow_k)

Each stream is a Siamese ranker trained on its own with the margin ranking loss on pairs with a
skill difference plus the similarity loss on pairs without one
(:func:`skillsight.projects.ranking.task.similarity_loss`); at test time the streams are fused by
a weighted average, ``S = (w_rgb S_rgb + w_flow S_flow) / (w_rgb + w_flow)`` (TSN's 1 : 1.5).
Since the streams share no parameter, training them jointly on the *sum of the per-stream losses*
(what :class:`~skillsight.projects.ranking.task.RankingTask` does with ``stream_scores``) gives each
stream exactly the gradients of training it alone.

Differences from the paper, on purpose: the backbones are the wing's Hugging Face ResNet presets
(TSN used BN-Inception; ResNet-101 at paper size here, the attention RNN's backbone), built from
configs with random weights unless a local pretrained folder is given; frames are sampled by the
same segment protocol as the attention RNN (random frame per segment in training, the last one in
testing), so both rows see the same frames. TSN's partial batch-norm freezing is not done.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.models._factory import register_model
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.projects.ranking.models import resnet_backbone

__all__ = ["TwoStreamTSN", "test_tsn_two_stream", "tsn_two_stream", "tsn_two_stream_tiny"]


class _StreamScorer(nn.Module):
    """One TSN stream: backbone -> global average pool -> dropout -> FC -> one score per snippet."""

    def __init__(self, backbone: str, channels: int, dropout: float, pretrained_dir: str | None) -> None:
        super().__init__()
        self.backbone = resnet_backbone(backbone, channels, pretrained_dir)
        self.dropout = nn.Dropout(dropout)
        widths = list(self.backbone.config.hidden_sizes or ())
        if not widths:
            raise ConfigError(f"backbone {backbone!r} declares no stage widths (hidden_sizes)")
        self.fc = nn.Linear(int(widths[-1]), 1)

    def forward(self, snippets: torch.Tensor) -> torch.Tensor:
        """(M, C, H, W) snippets -> (M,) scores."""
        pooled = self.backbone(pixel_values=snippets).pooler_output.flatten(1)  # (M, C_out)
        return self.fc(self.dropout(pooled)).squeeze(-1)  # (M,)


class TwoStreamTSN(DeclaredInputsModule):
    """Two-stream TSN with average segmental consensus, scoring a video's skill (higher = better).

    Inputs: ``frames`` (B, N, 3, H, W) normalised RGB; ``flow`` (B, N, 2K, H, W) scaled flow (the
    same inputs as :class:`~skillsight.projects.ranking.models.AttentionRNN`).
    Outputs: ``score`` (B,) the fused score, ``logits`` (B, 1) the same, ``stream_scores`` (B, 2)
    (RGB, flow consensus scores; the ranking task trains each stream on its own) and
    ``segment_scores`` (B, N, 2) the per-snippet scores before the consensus.

    Args:
        backbone: ResNet preset of both streams.
        num_segments: N.
        flow_stack: K.
        image_size: square input side (for ``example_inputs``).
        dropout: dropout before the FC of the (RGB, flow) stream (TSN: 0.8, 0.7).
        stream_weights: test-time fusion weights (RGB, flow) (TSN: 1, 1.5).
        rgb_pretrained_dir / flow_pretrained_dir: optional local Hugging Face weights.
    """

    input_names = ("frames", "flow")
    sensors = ("rgb",)
    fusion_weights: torch.Tensor  # (2,) buffer

    def __init__(
        self,
        backbone: str = "resnet101",
        num_segments: int = 25,
        flow_stack: int = 5,
        image_size: int = 224,
        dropout: tuple[float, float] | list[float] = (0.8, 0.7),
        stream_weights: tuple[float, float] | list[float] = (1.0, 1.5),
        rgb_pretrained_dir: str | None = None,
        flow_pretrained_dir: str | None = None,
    ) -> None:
        super().__init__()
        if len(dropout) != 2 or not all(0.0 <= p < 1.0 for p in dropout):
            raise ConfigError(f"TSN dropout needs two probabilities in [0, 1), got {dropout!r}")
        if len(stream_weights) != 2 or min(stream_weights) < 0 or sum(stream_weights) <= 0:
            raise ConfigError(
                f"TSN stream_weights needs two weights >= 0 with a positive sum, got {stream_weights!r}"
            )
        self.num_segments, self.flow_stack, self.image_size = num_segments, flow_stack, image_size
        self.rgb = _StreamScorer(backbone, 3, float(dropout[0]), rgb_pretrained_dir)
        self.flow = _StreamScorer(backbone, 2 * flow_stack, float(dropout[1]), flow_pretrained_dir)
        weights = torch.tensor([float(w) for w in stream_weights]) / float(sum(stream_weights))
        self.register_buffer("fusion_weights", weights, persistent=False)  # (2,) summing to 1

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random ``frames`` (B, N, 3, S, S) and ``flow`` (B, N, 2K, S, S)."""
        n, s = self.num_segments, self.image_size
        return {
            "frames": torch.randn(batch_size, n, 3, s, s),
            "flow": torch.randn(batch_size, n, 2 * self.flow_stack, s, s),
        }

    def forward(self, frames: torch.Tensor, flow: torch.Tensor) -> dict[str, torch.Tensor]:
        """Score videos: ``frames`` (B, N, 3, H, W), ``flow`` (B, N, 2K, H, W) -> dict of tensors."""
        B, N, _, H, W = frames.shape
        if flow.shape[:2] != (B, N) or flow.shape[-2:] != (H, W) or flow.shape[2] != 2 * self.flow_stack:
            raise ValueError(
                f"flow shape {tuple(flow.shape)} does not match frames {tuple(frames.shape)} "
                f"with {self.flow_stack} stacked fields"
            )
        rgb = self.rgb(frames.reshape(B * N, 3, H, W)).reshape(B, N)  # (B, N)
        mot = self.flow(flow.reshape(B * N, -1, H, W)).reshape(B, N)  # (B, N)
        segment_scores = torch.stack([rgb, mot], dim=-1)  # (B, N, 2)
        stream_scores = segment_scores.mean(dim=1)  # (B, 2) segmental consensus
        score = stream_scores @ self.fusion_weights  # (B,)
        return {
            "score": score,
            "logits": score[:, None],
            "stream_scores": stream_scores,
            "segment_scores": segment_scores,
        }


def _build(defaults: dict[str, Any], overrides: dict[str, Any]) -> TwoStreamTSN:
    return TwoStreamTSN(**{**defaults, **overrides})


@register_model("tsn_two_stream")
def tsn_two_stream(**overrides: Any) -> TwoStreamTSN:
    """Paper-like size: two ResNet-101 streams at 224 px, N = 25, K = 5, TSN dropout and fusion."""
    return _build(
        {"backbone": "resnet101", "num_segments": 25, "flow_stack": 5, "image_size": 224}, overrides
    )


@register_model("tsn_two_stream_tiny")
def tsn_two_stream_tiny(**overrides: Any) -> TwoStreamTSN:
    """CPU size: the attention RNN tiny's two-stage basic ResNets at 64 px, N = 25, dropout 0.5."""
    return _build(
        {"backbone": "tiny", "num_segments": 25, "flow_stack": 5, "image_size": 64, "dropout": (0.5, 0.5)},
        overrides,
    )


@register_model("test_tsn_two_stream")
def test_tsn_two_stream(**overrides: Any) -> TwoStreamTSN:
    """Unit-test size: two-stage ResNets at 32 px, N = 3, two flow fields."""
    return _build(
        {"backbone": "test", "num_segments": 3, "flow_stack": 2, "image_size": 32, "dropout": (0.5, 0.5)},
        overrides,
    )
