"""A plain transformer encoder for short token sequences (gaze steps, crop features).

Written out with explicit matmuls instead of ``nn.TransformerEncoder`` on purpose:

* ``nn.TransformerEncoder`` switches to a fused "fast path" in eval mode that
  ``torch.utils.flop_counter.FlopCounterMode`` counts as 0 MACs (DESIGN.md pitfall), so the power
  model would under-count; explicit ``Linear``/``matmul`` ops are always counted.
* The same graph exports to ONNX with no data-dependent control flow.

The layer matches ``nn.TransformerEncoderLayer`` in structure (self-attention + feed-forward, each
with a residual and LayerNorm; post-norm by default as in the PyTorch defaults the SkillSight code
uses, pre-norm optional).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["MultiHeadSelfAttention", "SequenceEncoder", "TransformerEncoderBlock"]

_ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {"relu": F.relu, "gelu": F.gelu}


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention with an optional key padding mask.

    Args:
        dim: model width D (divisible by ``num_heads``).
        num_heads: number of heads H.
        dropout: dropout on the attention probabilities.
    """

    def __init__(self, dim: int, num_heads: int, dropout: float = 0.0) -> None:
        super().__init__()
        if dim % num_heads != 0:
            raise ValueError(f"dim {dim} is not divisible by num_heads {num_heads}")
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.attn_drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Attend over the sequence.

        Args:
            x: (B, L, D) tokens.
            key_padding_mask: (B, L) bool, True where a key must be IGNORED (PyTorch convention).
                Every row must keep at least one key (callers prepend always-valid tokens).

        Returns:
            (B, L, D).
        """
        B, L, D = x.shape
        qkv = self.qkv(x).reshape(B, L, 3, self.num_heads, self.head_dim)  # (B, L, 3, H, Dh)
        qkv = qkv.permute(2, 0, 3, 1, 4)  # (3, B, H, L, Dh)
        q, k, v = qkv[0], qkv[1], qkv[2]
        logits = (q @ k.transpose(-2, -1)) * self.scale  # (B, H, L, L)
        if key_padding_mask is not None:
            blocked = key_padding_mask[:, None, None, :]  # (B, 1, 1, L)
            logits = logits.masked_fill(blocked, torch.finfo(logits.dtype).min)
        probs = self.attn_drop(logits.softmax(dim=-1))
        out = (probs @ v).transpose(1, 2).reshape(B, L, D)  # (B, L, D)
        return self.proj(out)


class TransformerEncoderBlock(nn.Module):
    """Self-attention + feed-forward block (post-norm by default, like ``nn.TransformerEncoderLayer``)."""

    def __init__(
        self,
        dim: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
    ) -> None:
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation {activation!r} is not one of {sorted(_ACTIVATIONS)}")
        self.attn = MultiHeadSelfAttention(dim, num_heads, dropout)
        self.ffn_in = nn.Linear(dim, ffn_dim)
        self.ffn_out = nn.Linear(ffn_dim, dim)
        self.norm1 = nn.LayerNorm(dim)
        self.norm2 = nn.LayerNorm(dim)
        self.drop = nn.Dropout(dropout)
        self.activation = activation
        self.norm_first = norm_first

    def _ffn(self, x: torch.Tensor) -> torch.Tensor:
        return self.ffn_out(self.drop(_ACTIVATIONS[self.activation](self.ffn_in(x))))

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, L, D), key_padding_mask: (B, L) bool (True = ignore) -> (B, L, D)."""
        if self.norm_first:
            x = x + self.drop(self.attn(self.norm1(x), key_padding_mask))
            return x + self.drop(self._ffn(self.norm2(x)))
        x = self.norm1(x + self.drop(self.attn(x, key_padding_mask)))
        return self.norm2(x + self.drop(self._ffn(x)))


class SequenceEncoder(nn.Module):
    """A stack of :class:`TransformerEncoderBlock` (with a final LayerNorm when pre-norm).

    Args:
        dim: model width D.
        num_layers: number of blocks (>= 1).
        num_heads: attention heads per block.
        ffn_dim: hidden width of the feed-forward part.
        dropout: dropout inside the blocks.
        activation: "relu" or "gelu".
        norm_first: pre-norm blocks (plus a final LayerNorm) instead of post-norm.
    """

    def __init__(
        self,
        dim: int,
        num_layers: int,
        num_heads: int,
        ffn_dim: int,
        dropout: float = 0.1,
        activation: str = "relu",
        norm_first: bool = False,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be >= 1, got {num_layers}")
        self.layers = nn.ModuleList(
            TransformerEncoderBlock(dim, num_heads, ffn_dim, dropout, activation, norm_first)
            for _ in range(num_layers)
        )
        self.final_norm = nn.LayerNorm(dim) if norm_first else nn.Identity()

    def forward(self, x: torch.Tensor, key_padding_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (B, L, D), key_padding_mask: (B, L) bool (True = ignore) -> (B, L, D)."""
        for layer in self.layers:
            x = layer(x, key_padding_mask)
        return self.final_norm(x)
