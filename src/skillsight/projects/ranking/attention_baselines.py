"""The four attention baselines of Li et al. 2019 (Table 1), as drop-in attention steps.

Each replaces only Li et al.'s spatial-attention module (see
:mod:`skillsight.projects.ranking.attention_modules` for the interface): it gets the fused map
``X_t`` (B, D, h, w) with locations ``x_i`` (D,), the task RNN's previous state ``h_task_{t-1}``
(B, H), and returns ``v_t`` (B, D) for ``GRU_task`` and a map (B, h, w) summing to 1.

* :class:`AttentionPool`: Girdhar & Ramanan, "Attentional Pooling for Action Recognition",
  NeurIPS 2017. Per frame, no RNN state.
* :class:`CBAMAttention`: Woo, Park, Lee, Kweon, "CBAM: Convolutional Block Attention Module",
  ECCV 2018. Per frame, no RNN state.
* :class:`VisualAttention`: Sharma, Kiros, Salakhutdinov, "Action Recognition using Visual
  Attention", ICLR Workshop 2016 (arXiv 1511.04119). The map depends on ``h_task_{t-1}`` only.
* :class:`SCAAttention`: Chen, Zhang, Xiao, Nie, Shao, Liu, Chua, "SCA-CNN: Spatial and
  Channel-wise Attention in Convolutional Networks for Image Captioning", CVPR 2017. Channel and
  spatial attention from both ``X_t`` and ``h_task_{t-1}``.

Biases that a softmax would cancel (a constant added to every energy) are left out, so every
parameter has a gradient.
"""

from __future__ import annotations

import torch
from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.projects.ranking.attention_modules import AttentionStep, locations

__all__ = ["AttentionPool", "CBAMAttention", "SCAAttention", "VisualAttention"]

_Step = tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]


class AttentionPool(AttentionStep):
    """Attentional pooling: a rank-1 second-order pooling with a saliency and a top-down term.

    Girdhar & Ramanan write a linear classifier on second-order pooled features,
    ``score_k(X) = Tr(X^T X W_k^T)`` (X: L x D locations), and approximate ``W_k = a_k b^T``, which
    gives ``score_k = (X a_k)^T (X b) = sum_i (a_k^T x_i)(b^T x_i)``: ``X b`` is a class-agnostic
    bottom-up saliency map and ``X a_k`` a class-specific top-down map. Here the one "class" is
    skill, so for every frame on its own:

        ``e_i = (a^T x_i) (b^T x_i)``;  ``alpha = softmax_i(e)``;  ``v_t = sum_i alpha_i x_i``.

    The paper sums the unnormalised product into a class score; as a drop-in step it is the energy
    of a softmax over locations (like the module it replaces), so ``v_t`` keeps the scale of one
    location. The energy is quadratic in the features: negating ``X_t`` leaves the map unchanged.

    Args:
        feature_dim: D.
    """

    def __init__(self, feature_dim: int) -> None:
        super().__init__()
        self.top_down = nn.Linear(feature_dim, 1, bias=False)  # a
        self.saliency = nn.Linear(feature_dim, 1, bias=False)  # b

    def forward(self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None) -> _Step:
        """Per-frame map from ``X_t`` only (``h_task`` and ``state`` are not used)."""
        B, _, h, w = x_map.shape
        x = locations(x_map)  # (B, L, D)
        energy = (self.top_down(x) * self.saliency(x)).squeeze(-1)  # (B, L)
        alpha = torch.softmax(energy, dim=-1)  # (B, L)
        v = torch.einsum("bl,bld->bd", alpha, x)  # (B, D)
        return v, alpha.reshape(B, h, w), state


class CBAMAttention(AttentionStep):
    """CBAM: channel attention, then spatial attention, on each frame's map.

    With ``F = X_t`` (D, h, w), ``sigma`` the logistic function and ``delta`` ReLU (Woo et al.,
    eqs. 2-3)::

        M_c = sigma(W_1 delta(W_0 AvgPool(F)) + W_1 delta(W_0 MaxPool(F)))     (D,), shared MLP
        F'  = M_c * F
        M_s = sigma(f_7x7([AvgPool_c(F'); MaxPool_c(F')]))                        (h, w)
        F'' = M_s * F'

    ``W_0`` is (D/r x D), ``W_1`` (D x D/r), ``r = 16``; ``f_7x7`` a 7 x 7 convolution (padding 3)
    over the two channel-pooled maps. ``v_t`` is the global average of ``F''`` (as after a
    CBAM-refined block); the map returned is ``M_s`` divided by its sum. No temporal state: frame
    ``t``'s map is a function of ``X_t`` alone.

    Args:
        feature_dim: D.
        reduction: r (the hidden width is ``max(1, D // r)``).
        kernel_size: spatial-attention kernel (odd).
    """

    def __init__(self, feature_dim: int, reduction: int = 16, kernel_size: int = 7) -> None:
        super().__init__()
        if kernel_size % 2 != 1 or reduction < 1:
            raise ConfigError(
                f"CBAM needs an odd kernel_size and reduction >= 1, got {kernel_size}, {reduction}"
            )
        hidden = max(1, feature_dim // reduction)
        self.mlp = nn.Sequential(
            nn.Linear(feature_dim, hidden, bias=False),  # W_0
            nn.ReLU(),
            nn.Linear(hidden, feature_dim, bias=False),  # W_1
        )
        self.spatial = nn.Conv2d(2, 1, kernel_size=kernel_size, padding=kernel_size // 2)  # f_7x7

    def channel_gate(self, x_map: torch.Tensor) -> torch.Tensor:
        """``M_c`` (B, D) in (0, 1)."""
        return torch.sigmoid(self.mlp(x_map.mean(dim=(2, 3))) + self.mlp(x_map.amax(dim=(2, 3))))

    def spatial_gate(self, refined: torch.Tensor) -> torch.Tensor:
        """``M_s`` (B, h, w) in (0, 1) from the channel-refined map ``F'`` (B, D, h, w)."""
        pooled = torch.stack([refined.mean(dim=1), refined.amax(dim=1)], dim=1)  # (B, 2, h, w)
        return torch.sigmoid(self.spatial(pooled)).squeeze(1)  # (B, h, w)

    def forward(self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None) -> _Step:
        """Per-frame refinement; ``h_task`` and ``state`` are not used."""
        refined = self.channel_gate(x_map)[:, :, None, None] * x_map  # F' (B, D, h, w)
        m_s = self.spatial_gate(refined)  # (B, h, w)
        v = (m_s[:, None] * refined).mean(dim=(2, 3))  # GAP(F'') (B, D)
        alpha = m_s / m_s.sum(dim=(1, 2), keepdim=True)  # (B, h, w), sums to 1
        return v, alpha, state


class VisualAttention(AttentionStep):
    """Soft attention from the recurrent state only (Sharma et al., section 3.1)::

        l_{t,i} = exp(W_i^T h_{t-1}) / sum_j exp(W_j^T h_{t-1});   v_t = sum_i l_{t,i} x_{i,t}

    ``W_i`` (H,) is the row of location ``i``: the map depends on the grid position and on
    ``h_task_{t-1}``, never on the current frame's features, so the module is built for one grid
    size. Sharma et al. initialise their LSTM state from the mean feature of the clip; here the task
    RNN is Li et al.'s unchanged ``GRU_task`` with ``h_task_0 = 0``, so the first map is uniform.

    Args:
        hidden_dim: H.
        grid_hw: (h, w) of ``X_t``.
    """

    def __init__(self, hidden_dim: int, grid_hw: tuple[int, int]) -> None:
        super().__init__()
        self.grid_hw = (int(grid_hw[0]), int(grid_hw[1]))
        self.location_weights = nn.Linear(hidden_dim, self.grid_hw[0] * self.grid_hw[1], bias=False)  # W

    def forward(self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None) -> _Step:
        """Map from ``h_task_{t-1}`` (B, H); the features are only pooled with it."""
        B, _, h, w = x_map.shape
        if (h, w) != self.grid_hw:
            raise ValueError(
                f"VisualAttention was built for a {self.grid_hw[0]} x {self.grid_hw[1]} feature grid, "
                f"got {h} x {w} (the input size differs from the model's image_size)"
            )
        alpha = torch.softmax(self.location_weights(h_task), dim=-1)  # (B, L)
        v = torch.einsum("bl,bld->bd", alpha, locations(x_map))  # (B, D)
        return v, alpha.reshape(B, h, w), state


class SCAAttention(AttentionStep):
    """SCA-CNN, channel-then-spatial ("C-S") order, at the fused map (Chen et al., eqs. 3-6).

    With ``V = X_t`` (D channels, L locations), ``h = h_task_{t-1}`` and attention space size k::

        u      = mean_i x_i                                                   (D,) channel means
        b_d    = tanh(w_c u_d + b_c + W_hc h)                                 (k,) per channel d
        beta   = softmax_d(w'^T b_d)                                          (D,) channel attention
        x'_i   = beta * x_i                                                   channel-modulated
        a_i    = tanh(W_s x'_i + b_s + W_hs h)                                (k,) per location i
        alpha  = softmax_i(w^T a_i)                                           (L,) spatial attention
        v_t    = sum_i alpha_i x'_i

    (``w_c`` and ``b_c`` are k-vectors: Chen et al.'s outer product ``W_c (x) u``.) Both attentions
    see the frame and the recurrent state, unlike Li et al.'s, which reaches ``h_task`` through a
    separate attention RNN. Chen et al. attend in several conv layers; as a drop-in, here only the
    fused map is attended. The softmax over channels makes ``x'`` about ``1/D`` of ``x``.

    Args:
        feature_dim: D.
        hidden_dim: H.
        attention_dim: k.
    """

    def __init__(self, feature_dim: int, hidden_dim: int, attention_dim: int) -> None:
        super().__init__()
        self.channel_in = nn.Linear(1, attention_dim)  # w_c, b_c
        self.channel_h = nn.Linear(hidden_dim, attention_dim, bias=False)  # W_hc
        self.channel_out = nn.Linear(attention_dim, 1, bias=False)  # w'
        self.spatial_in = nn.Linear(feature_dim, attention_dim)  # W_s, b_s
        self.spatial_h = nn.Linear(hidden_dim, attention_dim, bias=False)  # W_hs
        self.spatial_out = nn.Linear(attention_dim, 1, bias=False)  # w

    def channel_attention(self, x: torch.Tensor, h_task: torch.Tensor) -> torch.Tensor:
        """``beta`` (B, D) from locations (B, L, D) and ``h_task`` (B, H); sums to 1 over D."""
        means = x.mean(dim=1)[..., None]  # (B, D, 1)
        b = torch.tanh(self.channel_in(means) + self.channel_h(h_task)[:, None, :])  # (B, D, k)
        return torch.softmax(self.channel_out(b).squeeze(-1), dim=-1)  # (B, D)

    def spatial_attention(self, x: torch.Tensor, h_task: torch.Tensor) -> torch.Tensor:
        """``alpha`` (B, L) from (channel-modulated) locations (B, L, D) and ``h_task``."""
        a = torch.tanh(self.spatial_in(x) + self.spatial_h(h_task)[:, None, :])  # (B, L, k)
        return torch.softmax(self.spatial_out(a).squeeze(-1), dim=-1)  # (B, L)

    def forward(self, x_map: torch.Tensor, h_task: torch.Tensor, state: torch.Tensor | None) -> _Step:
        """Channel attention, modulation, spatial attention, weighted sum."""
        B, _, h, w = x_map.shape
        x = locations(x_map)  # (B, L, D)
        modulated = self.channel_attention(x, h_task)[:, None, :] * x  # (B, L, D)
        alpha = self.spatial_attention(modulated, h_task)  # (B, L)
        v = torch.einsum("bl,bld->bd", alpha, modulated)  # (B, D)
        return v, alpha.reshape(B, h, w), state
