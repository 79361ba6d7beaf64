"""The four attention baselines of Li et al.'s Table 1: each step against a hand computation on a
tiny input, the maps summing to one, and the property that sets each apart, in the module and in
the attention RNN it is dropped into."""

from __future__ import annotations

import math

import pytest
import torch

from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.projects.ranking.attention_baselines import (
    AttentionPool,
    CBAMAttention,
    SCAAttention,
    VisualAttention,
)
from skillsight.projects.ranking.baseline_variants import BASELINE_ATTENTIONS, baseline_model_names

# X_t with D = 2 channels on a 1 x 3 grid: locations x_0 = (1, 2), x_1 = (-1, 0.5), x_2 = (3, -1).
LOCS = torch.tensor([[1.0, 2.0], [-1.0, 0.5], [3.0, -1.0]])  # (L, D)
X_MAP = LOCS.T.reshape(1, 2, 1, 3)  # (B=1, D, h, w)
H_TASK = torch.tensor([[0.5]])  # (B, H=1)


def _softmax(values: list[float]) -> list[float]:
    exp = [math.exp(v) for v in values]
    return [e / sum(exp) for e in exp]


def _weighted(weights: list[float], rows: list[list[float]]) -> list[float]:
    return [sum(w * r[d] for w, r in zip(weights, rows)) for d in range(len(rows[0]))]


def test_attention_pool_matches_hand_computation_and_ignores_sign_and_state() -> None:
    step = AttentionPool(feature_dim=2)
    with torch.no_grad():
        step.top_down.weight.copy_(torch.tensor([[1.0, 0.0]]))  # a
        step.saliency.weight.copy_(torch.tensor([[0.5, 1.0]]))  # b
    v, alpha, state = step(X_MAP, H_TASK, None)
    # e_i = (a.x_i)(b.x_i): (1)(2.5), (-1)(0), (3)(0.5)
    expected = _softmax([2.5, 0.0, 1.5])
    torch.testing.assert_close(alpha, torch.tensor([[expected]]))
    torch.testing.assert_close(v, torch.tensor([_weighted(expected, LOCS.tolist())]))
    assert state is None
    # second order: -X gives the same map; no use of the recurrent state
    _, alpha_neg, _ = step(-X_MAP, torch.randn(1, 1), None)
    torch.testing.assert_close(alpha_neg, alpha)


def test_cbam_matches_hand_computation() -> None:
    step = CBAMAttention(feature_dim=2, reduction=2)  # hidden width 1
    with torch.no_grad():
        step.mlp[0].weight.copy_(torch.tensor([[1.0, 1.0]]))  # W_0
        step.mlp[2].weight.copy_(torch.tensor([[1.0], [-1.0]]))  # W_1
        step.spatial.weight.zero_()
        step.spatial.weight[0, 0, 3, 3] = 1.0  # centre tap on the channel-average map
        step.spatial.weight[0, 1, 3, 3] = 2.0  # centre tap on the channel-max map
        step.spatial.bias.fill_(0.5)
    v, alpha, _ = step(X_MAP, H_TASK, None)

    def sig(z: float) -> float:
        return 1.0 / (1.0 + math.exp(-z))

    relu = lambda z: max(z, 0.0)  # noqa: E731
    avg = [sum(col) / 3 for col in zip(*LOCS.tolist())]  # per-channel mean (1, 0.5)
    mx = [max(col) for col in zip(*LOCS.tolist())]  # per-channel max (3, 2)
    hid_avg, hid_max = relu(avg[0] + avg[1]), relu(mx[0] + mx[1])
    m_c = [sig(hid_avg + hid_max), sig(-hid_avg - hid_max)]  # W_1 rows (1) and (-1)
    refined = [[m_c[d] * x[d] for d in range(2)] for x in LOCS.tolist()]  # F'
    m_s = [sig(sum(r) / 2 + 2 * max(r) + 0.5) for r in refined]
    torch.testing.assert_close(step.channel_gate(X_MAP), torch.tensor([m_c]))
    torch.testing.assert_close(alpha, torch.tensor([[[m / sum(m_s) for m in m_s]]]))
    expected_v = [sum(m_s[i] * refined[i][d] for i in range(3)) / 3 for d in range(2)]  # GAP(F'')
    torch.testing.assert_close(v, torch.tensor([expected_v]))


def test_visual_attention_matches_hand_computation_and_ignores_the_features() -> None:
    step = VisualAttention(hidden_dim=1, grid_hw=(1, 3))
    with torch.no_grad():
        step.location_weights.weight.copy_(torch.tensor([[2.0], [0.0], [-2.0]]))  # W_i (H,) per location
    v, alpha, _ = step(X_MAP, H_TASK, None)
    expected = _softmax([1.0, 0.0, -1.0])  # W_i h with h = 0.5
    torch.testing.assert_close(alpha, torch.tensor([[expected]]))
    torch.testing.assert_close(v, torch.tensor([_weighted(expected, LOCS.tolist())]))
    _, alpha_other_frame, _ = step(torch.randn(1, 2, 1, 3), H_TASK, None)
    torch.testing.assert_close(alpha_other_frame, alpha)  # the frame never enters the map
    _, alpha_zero_h, _ = step(X_MAP, torch.zeros(1, 1), None)
    torch.testing.assert_close(alpha_zero_h, torch.full((1, 1, 3), 1 / 3))
    with pytest.raises(ValueError, match="feature grid"):
        step(torch.randn(1, 2, 2, 2), H_TASK, None)


def test_sca_cnn_matches_hand_computation() -> None:
    step = SCAAttention(feature_dim=2, hidden_dim=1, attention_dim=1)
    with torch.no_grad():
        step.channel_in.weight.fill_(1.0)  # w_c
        step.channel_in.bias.fill_(0.0)  # b_c
        step.channel_h.weight.fill_(1.0)  # W_hc
        step.channel_out.weight.fill_(2.0)  # w'
        step.spatial_in.weight.copy_(torch.tensor([[1.0, -1.0]]))  # W_s
        step.spatial_in.bias.fill_(0.25)  # b_s
        step.spatial_h.weight.fill_(-1.0)  # W_hs
        step.spatial_out.weight.fill_(3.0)  # w
    v, alpha, _ = step(X_MAP, H_TASK, None)
    h = 0.5
    means = [sum(col) / 3 for col in zip(*LOCS.tolist())]  # (1, 0.5)
    beta = _softmax([2.0 * math.tanh(u + h) for u in means])
    modulated = [[beta[d] * x[d] for d in range(2)] for x in LOCS.tolist()]
    alpha_hand = _softmax([3.0 * math.tanh(m[0] - m[1] + 0.25 - h) for m in modulated])
    torch.testing.assert_close(
        step.channel_attention(LOCS[None], H_TASK), torch.tensor([beta]), rtol=1e-6, atol=1e-6
    )
    torch.testing.assert_close(alpha, torch.tensor([[alpha_hand]]), rtol=1e-6, atol=1e-6)
    torch.testing.assert_close(v, torch.tensor([_weighted(alpha_hand, modulated)]), rtol=1e-6, atol=1e-6)
    # both the frame and the recurrent state move the map
    _, alpha_h, _ = step(X_MAP, torch.tensor([[-2.0]]), None)
    _, alpha_x, _ = step(X_MAP * 2.0, H_TASK, None)
    assert not torch.allclose(alpha_h, alpha) and not torch.allclose(alpha_x, alpha)


NAMES = baseline_model_names("test")


@pytest.mark.parametrize("attention", sorted(BASELINE_ATTENTIONS))
def test_registered_baselines_are_the_rnn_with_only_the_attention_step_swapped(attention: str) -> None:
    model = create_model(NAMES[attention])
    reference = create_model("test_attention_rnn")
    assert model.attention == attention
    assert type(model.attention_module).__name__ != type(reference.attention_module).__name__
    for part in ("features", "rnn_task", "head"):  # everything but the attention step is unchanged
        shapes = {n: p.shape for n, p in getattr(model, part).named_parameters()}
        assert shapes == {n: p.shape for n, p in getattr(reference, part).named_parameters()}
    out = model(**model.example_inputs(2))
    assert out["attention"].shape == (2, 3, 3, 3)
    sums = out["attention"].sum(dim=(-1, -2))
    torch.testing.assert_close(sums, torch.ones_like(sums))
    assert (out["attention"] >= 0).all()


@pytest.mark.parametrize("attention", ["attention_pool", "cbam"])
def test_per_frame_modules_have_no_temporal_state(attention: str) -> None:
    """Reversing the frames reverses the maps for per-frame modules, not for Li et al.'s recurrent one."""
    model = create_model(NAMES[attention]).eval()
    full = create_model("test_attention_rnn").eval()
    inputs = model.example_inputs(2)
    reversed_inputs = {k: v.flip(1) for k, v in inputs.items()}
    with torch.no_grad():
        maps, maps_rev = model(**inputs)["attention"], model(**reversed_inputs)["attention"]
        full_maps, full_rev = full(**inputs)["attention"], full(**reversed_inputs)["attention"]
    torch.testing.assert_close(maps_rev, maps.flip(1))
    assert not torch.allclose(full_rev, full_maps.flip(1), atol=1e-4)


def test_visual_attention_map_of_a_frame_does_not_depend_on_that_frame() -> None:
    model = create_model(NAMES["visual_attention"]).eval()
    inputs = model.example_inputs(1)
    changed = {k: v.clone() for k, v in inputs.items()}
    changed["frames"][:, 1] += 3.0 * torch.randn_like(changed["frames"][:, 1])  # only frame t = 1
    with torch.no_grad():
        a, b = model(**inputs)["attention"], model(**changed)["attention"]
    torch.testing.assert_close(a[:, 0], torch.full_like(a[:, 0], 1 / 9))  # h_task_0 = 0: uniform
    torch.testing.assert_close(a[:, :2], b[:, :2])  # maps up to t = 1 unchanged
    assert not torch.allclose(a[:, 2], b[:, 2])  # frame 1 reaches map 2 through h_task_1


def test_bad_combinations_raise() -> None:
    with pytest.raises(ConfigError, match="attention_rnn"):
        create_model("test_attention_rnn_cbam", attention_rnn="fc")
    with pytest.raises(ConfigError, match="attention="):
        create_model("test_attention_rnn", attention="transformer")
    with pytest.raises(ConfigError, match="odd kernel_size"):
        CBAMAttention(8, kernel_size=4)
