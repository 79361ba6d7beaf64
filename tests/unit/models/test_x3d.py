"""X3D-XS against the paper (Feichtenhofer 2020, Table 4: 3.8 M parameters, 0.6 GFLOPs at 4 x 160 px).

Tolerance: the paper prints one decimal, so a count is right when it rounds to the paper's figure
(3.75-3.85 M parameters, 0.55-0.65 GMAC; the X3D paper's FLOPs are multiply-adds). The counts are also
pinned exactly: 3,794,274 parameters and 605,256,512 MACs are what pytorchvideo 0.1.5's ``create_x3d``
(the reference implementation) gives for the same configuration with a 400-class head, counted with the
same MAC counter (checked once by hand; pytorchvideo is not a dependency).
"""

from __future__ import annotations

import pytest
import torch

from skillsight.deploy.power import count_macs, estimate_power
from skillsight.models import create_model
from skillsight.models.x3d import X3DBlock, round_channels

KINETICS_CLASSES = 400  # the paper counts parameters with the Kinetics-400 classifier


def _xs():
    return create_model("x3d_xs", num_classes=KINETICS_CLASSES).eval()


def test_x3d_xs_parameter_count_matches_the_paper_and_the_reference_code() -> None:
    n = sum(p.numel() for p in _xs().parameters())
    assert round(n / 1e6, 1) == 3.8
    assert n == 3_794_274


def test_x3d_xs_macs_match_the_paper_and_the_reference_code() -> None:
    model = _xs()
    macs = count_macs(model, model.example_inputs(1))
    assert round(macs / 1e9, 1) == 0.6
    assert macs == 605_256_512


def test_x3d_xs_architecture_follows_the_specification() -> None:
    model = _xs()
    stages = model.backbone.stages
    assert [len(s) for s in stages] == [3, 5, 11, 7]  # [1, 2, 5, 3] x depth factor 2.2, rounded up
    assert [s[0].conv_c.out_channels for s in stages] == [24, 48, 96, 192]
    assert [s[0].conv_a.out_channels for s in stages] == [54, 108, 216, 432]
    # squeeze-excitation in every other block, starting with the first; widths rounded to multiples of 8
    assert [b.se is not None for b in stages[1]] == [True, False, True, False, True]
    assert [s[0].se.reduce.out_channels for s in stages] == [8, 8, 16, 32]
    assert model.backbone.stem[1].groups == 24 and model.backbone.stem[1].kernel_size == (5, 1, 1)
    assert model.backbone.head_fc.out_channels == 2048
    assert all(isinstance(b, X3DBlock) for s in stages for b in s)


def test_round_channels_rounds_to_multiples_of_eight_never_far_below() -> None:
    assert round_channels(3.375) == 8  # at least 8
    assert round_channels(13.5) == 16
    assert round_channels(27.0) == 32  # 24 would be below 90 % of 27


def test_x3d_rejects_a_clip_of_the_wrong_shape() -> None:
    from skillsight.exceptions import DataFormatError

    model = create_model("test_x3d")
    with pytest.raises(DataFormatError, match="video"):
        model(video=torch.zeros(1, 3, 3, 32, 32))


def test_x3d_power_counts_only_the_camera_as_sensor() -> None:
    model = create_model("test_x3d")
    report = estimate_power(model, window_s=8.0)
    assert set(report.sensor_mw) == {"rgb"} and report.macs > 0
