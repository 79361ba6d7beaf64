"""Stem adaptation: the adapted first convolution computes what the RGB one computes on the matching input."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from skillsight.exceptions import ConfigError
from skillsight.models.layers.stem_adaptation import adapt_stem_weight


def _rgb_stem(seed: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(8, 3, 5, 5, generator=gen), torch.randn(8, generator=gen)


def test_grayscale_stem_on_a_gray_image_equals_the_rgb_stem_on_its_three_channel_copy() -> None:
    weight, bias = _rgb_stem()
    gray = torch.rand(2, 1, 17, 19, generator=torch.Generator().manual_seed(0))
    adapted = adapt_stem_weight(weight, 1, "grayscale")
    assert adapted.shape == (8, 1, 5, 5)
    expected = F.conv2d(gray.expand(-1, 3, -1, -1), weight, bias, stride=2, padding=2)
    torch.testing.assert_close(F.conv2d(gray, adapted, bias, stride=2, padding=2), expected)


def test_grayscale_filter_is_the_sum_of_the_rgb_filters() -> None:
    weight, _ = _rgb_stem()
    adapted = adapt_stem_weight(weight, 1, "grayscale")
    torch.testing.assert_close(adapted[:, 0], weight[:, 0] + weight[:, 1] + weight[:, 2])


def test_flow_stem_repeats_the_mean_rgb_filter_over_every_flow_channel() -> None:
    weight, bias = _rgb_stem()
    adapted = adapt_stem_weight(weight, 10, "flow")  # 5 stacked (dx, dy) fields
    assert adapted.shape == (8, 10, 5, 5)
    for k in range(10):
        torch.testing.assert_close(adapted[:, k], weight.mean(dim=1))
    # A field equal on all 10 channels gets 10/3 of the RGB stem's response to it on 3 equal channels.
    field = torch.randn(1, 1, 12, 12, generator=torch.Generator().manual_seed(1))
    flow_out = F.conv2d(field.expand(-1, 10, -1, -1), adapted, bias) - bias[:, None, None]
    rgb_out = F.conv2d(field.expand(-1, 3, -1, -1), weight, bias) - bias[:, None, None]
    torch.testing.assert_close(flow_out, rgb_out * 10 / 3, rtol=1e-4, atol=1e-4)


def test_rgb_extra_keeps_the_rgb_response_whatever_the_extra_channels_hold() -> None:
    weight, bias = _rgb_stem()
    adapted = adapt_stem_weight(weight, 4, "rgb_extra")
    rgb = torch.randn(2, 3, 9, 9, generator=torch.Generator().manual_seed(2))
    heat = torch.rand(2, 1, 9, 9) * 100.0
    torch.testing.assert_close(
        F.conv2d(torch.cat([rgb, heat], 1), adapted, bias), F.conv2d(rgb, weight, bias)
    )
    assert torch.count_nonzero(adapted[:, 3]) == 0


def test_adaptation_works_on_meta_tensors_without_data() -> None:
    weight = torch.empty(768, 3, 16, 16, device="meta")
    assert adapt_stem_weight(weight, 1, "grayscale").shape == (768, 1, 16, 16)
    assert adapt_stem_weight(weight, 10, "flow").device.type == "meta"


@pytest.mark.parametrize(
    ("shape", "channels", "mode", "message"),
    [
        ((8, 1, 3, 3), 1, "grayscale", "only an RGB stem"),
        ((8, 3, 3), 1, "grayscale", "only an RGB stem"),
        ((8, 3, 3, 3), 2, "grayscale", "makes 1 input channel, not 2"),
        ((8, 3, 3, 3), 3, "rgb_extra", "need > 3, got 3"),
        ((8, 3, 3, 3), 0, "flow", ">= 1 input channel"),
        ((8, 3, 3, 3), 4, "depth", "unknown stem adaptation 'depth'"),
    ],
)
def test_impossible_adaptations_are_refused(shape, channels, mode, message) -> None:
    with pytest.raises(ConfigError, match=message):
        adapt_stem_weight(torch.zeros(shape), channels, mode)
