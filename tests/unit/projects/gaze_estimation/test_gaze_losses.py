"""Each PriviGaze loss against a value computed by hand."""

import math

import pytest
import torch

from skillsight.projects.gaze_estimation.angles import AngleBins
from skillsight.projects.gaze_estimation.losses import (
    LossWeights,
    angular_l1_loss,
    binned_task_loss,
    distillation_loss,
    info_nce_loss,
    logit_kl_loss,
    mmd_loss,
    teacher_loss,
)

BINS = AngleBins(num_bins=2, width_deg=10.0, lo_deg=-10.0)  # centres -5, +5
LN3 = math.log(3.0)


def test_reference_weights():
    assert LossWeights().to_dict() == {
        "task": 1.0,
        "angular": 1.0,
        "contrast": 0.5,
        "mmd": 0.1,
        "logit": 0.5,
        "task_mse_alpha": 1.0,
    }


def test_binned_task_loss_by_hand():
    logits = torch.tensor([[[0.0, 0.0], [LN3, 0.0]]])  # pitch uniform; yaw p = (0.75, 0.25)
    target = torch.tensor([[5.0, -5.0]])  # pitch in bin 1, yaw in bin 0
    # pitch: CE = ln 2, expectation 0 -> (0 - 5)^2 = 25; yaw: CE = -ln 0.75, expectation -2.5 -> 6.25
    expected = math.log(2.0) + 25.0 - math.log(0.75) + 6.25
    assert binned_task_loss(logits, target, BINS).item() == pytest.approx(expected, rel=1e-6)
    expected_alpha = math.log(2.0) - math.log(0.75) + 0.1 * (25.0 + 6.25)
    assert binned_task_loss(logits, target, BINS, alpha=0.1).item() == pytest.approx(expected_alpha, rel=1e-6)


def test_angular_l1_by_hand():
    pred = torch.tensor([[1.0, 2.0], [3.0, -4.0]])
    assert angular_l1_loss(pred, torch.zeros(2, 2)).item() == pytest.approx((3.0 + 7.0) / 2)


def test_info_nce_by_hand():
    s = torch.tensor([[2.0, 0.0], [0.0, 3.0]])  # normalised: e1, e2
    t = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    # logits = I / 0.5 -> each row: -log(e^2 / (e^2 + 1))
    assert info_nce_loss(s, t, temperature=0.5).item() == pytest.approx(
        math.log(1 + math.exp(-2.0)), rel=1e-6
    )
    # swapping the teacher rows makes every positive the far one: -log(1 / (1 + e^2))
    assert info_nce_loss(s, t.flip(0), temperature=0.5).item() == pytest.approx(
        math.log(1 + math.exp(2.0)), rel=1e-6
    )


def test_mmd_by_hand():
    x, y = torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 5.0]])  # normalised: |x - y|^2 = 2
    assert mmd_loss(x, y, bandwidths=(1.0,)).item() == pytest.approx(2.0 - 2.0 * math.exp(-1.0), rel=1e-6)
    assert mmd_loss(x, y, bandwidths=(1.0, 2.0)).item() == pytest.approx(
        2 * 2.0 - 2.0 * (math.exp(-1.0) + math.exp(-0.25)), rel=1e-6
    )
    same = torch.randn(5, 4)
    assert mmd_loss(same, same).item() == pytest.approx(0.0, abs=1e-6)


def test_logit_kl_by_hand():
    student = torch.zeros(1, 2, 2)
    teacher = torch.tensor([[[LN3, 0.0], [0.0, 0.0]]])  # pitch p_t = (.75, .25), yaw equal to student
    kl_t1 = 0.75 * math.log(0.75 / 0.5) + 0.25 * math.log(0.25 / 0.5)
    assert logit_kl_loss(student, teacher, temperature=1.0).item() == pytest.approx(kl_t1, rel=1e-6)
    a = math.sqrt(3.0) / (math.sqrt(3.0) + 1.0)  # softmax([ln3/2, 0])[0]
    kl_t2 = a * math.log(a / 0.5) + (1 - a) * math.log((1 - a) / 0.5)
    assert logit_kl_loss(student, teacher, temperature=2.0).item() == pytest.approx(4.0 * kl_t2, rel=1e-6)


def test_distillation_total_is_the_weighted_sum():
    torch.manual_seed(0)
    s_out = {"logits": torch.randn(4, 2, 2), "features": torch.randn(4, 3)}
    s_out["pitchyaw_deg"] = BINS.expectation_deg_torch(s_out["logits"])
    t_out = {"logits": torch.randn(4, 2, 2), "features": torch.randn(4, 6)}
    proj = torch.randn(4, 6)
    target = torch.tensor([[1.0, -2.0], [3.0, 4.0], [-5.0, 0.0], [2.0, 2.0]])
    w = LossWeights()
    terms = distillation_loss(s_out, t_out, proj, target, BINS, w, nce_temperature=0.1, kd_temperature=2.0)
    expected = (
        binned_task_loss(s_out["logits"], target, BINS)
        + angular_l1_loss(s_out["pitchyaw_deg"], target)
        + 0.5 * info_nce_loss(proj, t_out["features"], 0.1)
        + 0.1 * mmd_loss(proj, t_out["features"])
        + 0.5 * logit_kl_loss(s_out["logits"], t_out["logits"], 2.0)
    )
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-6)
    plain = teacher_loss(s_out, target, BINS)
    assert plain["loss"].item() == pytest.approx((plain["task"] + plain["angular"]).item())
