"""The spatial-attention step of the attention RNN, as an exchangeable module.

Li et al. (ICCV-W 2019) compare their spatial attention with other attention mechanisms by
replacing only this step: everything before it (two-stream ResNets, conv fusion into ``X_t``) and
after it (``h_task_t = GRU_task(v_t)``, ``score = FC(h_task_N)``, the pairwise ranking loss) stays.
Every module here therefore has the same interface: at step ``t`` it receives the fused map
``X_t`` (B, D, h, w), the task RNN's previous hidden state ``h_task_{t-1}`` (B, H) and its own
recurrent state (``None`` for the stateless ones), and returns the pooled feature ``v_t`` (B, D),
an attention map (B, h, w) that sums to 1 over the locations (for display and for comparing maps
across modules), and its next state.

This file holds the interface, Li et al.'s own module and the no-attention ablation; the four
baselines of their Table 1 are in :mod:`skillsight.projects.ranking.attention_baselines`.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

__all__ = [
    "AttentionStep",
    "AveragePooling",
    "RecurrentSpatialAttention",
    "SpatialAttentionStep",
    "locations",
]

AttentionRNNKind = Literal["gru", "fc"]
AttentionInput = Literal["both", "xbar", "htask"]


def locations(x_map: torch.Tensor) -> torch.Tensor:
    """(B, D, h, w) map -> (B, L, D) location features, L = h * w in row-major order."""
    return x_map.flatten(2).transpose(1, 2)


class AttentionStep(nn.Module):
    """Interface of one attention step (subclasses implement ``initial_state`` and ``forward``).

    ``forward(x_map (B, D, h, w), h_task (B, H), state) -> (v (B, D), alpha (B, h, w), state)``.
    """

    def initial_state(self, batch: int, like: torch.Tensor) -> torch.Tensor | None:
        """The module's own recurrent state before the first step (None: the module has none)."""
        return None


class AveragePooling(AttentionStep):
    """No attention (Li et al.'s ablation): ``v_t = mean_i x_{i,t}``, a uniform map."""

    def forward(
        self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Average over locations; the map is ``1 / L`` everywhere."""
        B, _, h, w = x_map.shape
        alpha = x_map.new_full((B, h, w), 1.0 / (h * w))  # (B, h, w)
        return x_map.mean(dim=(2, 3)), alpha, state


class SpatialAttentionStep(nn.Module):
    """``a_i = w^T tanh(W_x x_i + W_h h_att + b)`` and the softmax over locations."""

    def __init__(self, feature_dim: int, hidden_dim: int, attention_dim: int) -> None:
        super().__init__()
        self.w_x = nn.Linear(feature_dim, attention_dim, bias=False)
        self.w_h = nn.Linear(hidden_dim, attention_dim, bias=True)  # its bias is b
        self.w = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, x: torch.Tensor, h_att: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, L, D), h_att (B, H) -> (v (B, D), alpha (B, L)) with alpha summing to 1 over L."""
        energy = self.w(torch.tanh(self.w_x(x) + self.w_h(h_att)[:, None, :])).squeeze(-1)  # (B, L)
        alpha = torch.softmax(energy, dim=-1)  # (B, L)
        v = torch.einsum("bl,bld->bd", alpha, x)  # (B, D)
        return v, alpha


class RecurrentSpatialAttention(AttentionStep):
    """Li et al. 2019: attention driven by an attention RNN fed with ``x_bar_t`` and ``h_task_{t-1}``.

    ``x_bar_t = AvgPool(X_t) + MaxPool(X_t)``; ``c_t = [x_bar_t ; h_task_{t-1}]``;
    ``h_att_t = GRU_att(c_t, h_att_{t-1})``; ``a_{i,t} = w^T tanh(W_x x_{i,t} + W_h h_att_t + b)``;
    ``alpha_t = softmax_i(a_t)``; ``v_t = sum_i alpha_{i,t} x_{i,t}``.

    Args:
        feature_dim: D, channels of ``X_t``.
        hidden_dim: H, size of ``h_att`` (and of ``h_task``).
        attention_dim: size of the energy space.
        attention_rnn: "gru" (RNN_att) or "fc" (ablation: ``h_att_t = tanh(W c_t)``, no memory).
        attention_input: "both", "xbar" (``c_t = x_bar_t``) or "htask" (``c_t = h_task_{t-1}``).
    """

    def __init__(
        self,
        feature_dim: int,
        hidden_dim: int,
        attention_dim: int,
        attention_rnn: AttentionRNNKind = "gru",
        attention_input: AttentionInput = "both",
    ) -> None:
        super().__init__()
        self.hidden_dim = hidden_dim
        self.attention_rnn, self.attention_input = attention_rnn, attention_input
        in_dim = {"both": feature_dim + hidden_dim, "xbar": feature_dim, "htask": hidden_dim}[attention_input]
        if attention_rnn == "gru":
            self.rnn_att: nn.Module = nn.GRUCell(in_dim, hidden_dim)
        else:
            self.rnn_att = nn.Sequential(nn.Linear(in_dim, hidden_dim), nn.Tanh())
        self.attend = SpatialAttentionStep(feature_dim, hidden_dim, attention_dim)

    def initial_state(self, batch: int, like: torch.Tensor) -> torch.Tensor:
        """``h_att_0 = 0`` (B, H)."""
        return like.new_zeros(batch, self.hidden_dim)

    def forward(
        self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One step; ``state`` is ``h_att_{t-1}`` (B, H)."""
        B, _, h, w = x_map.shape
        x = locations(x_map)  # (B, L, D)
        x_bar = x.mean(dim=1) + x.amax(dim=1)  # (B, D)
        if self.attention_input == "xbar":
            c_t = x_bar
        elif self.attention_input == "htask":
            c_t = h_task
        else:
            c_t = torch.cat([x_bar, h_task], dim=-1)  # (B, D + H)
        h_att = self.rnn_att(c_t, state) if self.attention_rnn == "gru" else self.rnn_att(c_t)  # (B, H)
        v, alpha = self.attend(x, h_att)
        return v, alpha.reshape(B, h, w), h_att
