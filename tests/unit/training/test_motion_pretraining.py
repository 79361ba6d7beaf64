"""The head-motion pretraining objective: InfoNCE values, what trains and what stays frozen."""

from __future__ import annotations

import math

import pytest
import torch

from skillsight.config import OptimConfig
from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.training.motion_pretraining import MotionPretrainTask, check_pretrainable, info_nce


def test_info_nce_matches_the_hand_computed_value() -> None:
    predicted = torch.tensor([[1.0, 0.0], [0.0, 2.0]])
    target = torch.tensor([[3.0, 0.0], [1.0, 1.0]])
    # cosine similarities: row 0 -> (1, 1/sqrt2), row 1 -> (0, 1/sqrt2); tau 0.5
    s = 1 / math.sqrt(2) / 0.5
    row0 = -math.log(math.exp(2.0) / (math.exp(2.0) + math.exp(s)))
    row1 = -math.log(math.exp(s) / (math.exp(0.0) + math.exp(s)))
    assert info_nce(predicted, target, 0.5).item() == pytest.approx((row0 + row1) / 2, rel=1e-6)


def test_info_nce_is_low_for_matching_pairs_and_chance_for_identical_targets() -> None:
    target = torch.eye(4) * 5
    assert info_nce(target.clone(), target).item() < 1e-3  # each row finds its own target
    same = torch.ones(4, 3)
    assert info_nce(torch.randn(4, 3), same).item() == pytest.approx(math.log(4), rel=1e-5)


def test_one_step_trains_only_the_motion_encoder_and_fusion() -> None:
    torch.manual_seed(0)
    model = create_model("test_egodistill")
    task = MotionPretrainTask(model, OptimConfig())
    task.train()
    assert not model.frame_encoder.training and model.motion_encoder.training
    batch = model.example_inputs(4)
    task.losses(batch)["motion_nce"].backward()
    trained = {id(p) for p in task.optimised_module().parameters()}
    for name, p in task.named_parameters():
        if name.startswith(("model.motion_encoder.", "fusion.")):
            assert id(p) in trained and p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            assert id(p) not in trained and p.grad is None, f"{name} must stay frozen"


def test_models_the_objective_does_not_fit_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"applies to EgoDistill.*'test_x3d' has no frame_encoder"):
        check_pretrainable(create_model("test_x3d"), "test_x3d")
    one_frame = create_model("test_egodistill", num_sparse_frames=1)
    with pytest.raises(ConfigError, match="needs num_sparse_frames >= 2"):
        check_pretrainable(one_frame, "test_egodistill")
