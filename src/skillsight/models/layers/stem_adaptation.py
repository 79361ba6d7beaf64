"""Adapt the first convolution of an RGB-pretrained backbone to another input, instead of re-initialising it.

A backbone pretrained on RGB images has a stem filter bank ``W`` of shape (C_out, 3, kh, kw). A model
whose input is not RGB keeps the pretrained features by rewriting only that tensor:

* ``"grayscale"`` (1 input channel): ``W_gray = sum_c W[:, c]``. A gray image ``g`` is the RGB image
  ``(g, g, g)``; the convolution is linear, so ``conv(g, W_gray) == conv((g, g, g), W)`` exactly: the
  stem responds to a grayscale face as the pretrained one responds to its three-equal-channel copy.
* ``"flow"`` (2L channels of stacked optical flow): every channel gets the mean of the RGB filters,
  ``W_flow[:, k] = mean_c W[:, c]`` for k < 2L: the cross-modality initialisation of two-stream
  networks (Wang et al., Temporal Segment Networks, ECCV 2016), which start the flow stream from
  ImageNet weights this way. A flow field constant over its 2L channels then gets
  ``2L / 3`` times the response the RGB stem gives that constant on all three channels.
* ``"rgb_extra"`` (3 + E channels, RGB first, e.g. RGB + a gaze heat map): the RGB filters are kept and
  the E extra channels start at zero, so the adapted stem computes exactly what the pretrained one
  computes on the RGB part until training gives the extra channels a weight.

The bias (if any) is unchanged in every mode.
"""

from __future__ import annotations

from typing import Literal

import torch

from skillsight.exceptions import ConfigError

__all__ = ["STEM_ADAPTATIONS", "StemAdaptation", "adapt_stem_weight"]

StemAdaptation = Literal["grayscale", "flow", "rgb_extra"]
#: the adaptations :func:`adapt_stem_weight` knows.
STEM_ADAPTATIONS: tuple[str, ...] = ("grayscale", "flow", "rgb_extra")


def adapt_stem_weight(weight: torch.Tensor, in_channels: int, mode: StemAdaptation) -> torch.Tensor:
    """The stem filters of an RGB backbone rewritten for ``in_channels`` inputs (see the module docstring).

    Args:
        weight: (C_out, 3, kh, kw) pretrained RGB filters (any float dtype; meta tensors work).
        in_channels: input channels of the new stem (1 for "grayscale", 2L for "flow", > 3 for "rgb_extra").
        mode: "grayscale", "flow" or "rgb_extra".

    Returns:
        (C_out, in_channels, kh, kw) filters of ``weight``'s dtype and device (a new tensor).

    Raises:
        ConfigError: ``weight`` is not a 4-D RGB filter bank, an unknown mode, or a channel count the
            mode cannot produce.
    """
    if weight.ndim != 4 or weight.shape[1] != 3:
        raise ConfigError(
            f"only an RGB stem (C_out, 3, kh, kw) can be adapted; got filters of shape {tuple(weight.shape)}"
        )
    if mode not in STEM_ADAPTATIONS:
        raise ConfigError(f"unknown stem adaptation {mode!r}; valid: {list(STEM_ADAPTATIONS)}")
    n = int(in_channels)
    if mode == "grayscale":
        if n != 1:
            raise ConfigError(f"the grayscale stem adaptation makes 1 input channel, not {n}")
        return weight.sum(dim=1, keepdim=True)  # (C_out, 1, kh, kw)
    if mode == "flow":
        if n < 1:
            raise ConfigError(f"the flow stem adaptation needs >= 1 input channel, got {n}")
        mean = weight.mean(dim=1, keepdim=True)  # (C_out, 1, kh, kw)
        return mean.expand(-1, n, -1, -1).clone()  # (C_out, 2L, kh, kw)
    if n <= 3:
        raise ConfigError(f"the rgb_extra stem adaptation adds channels after RGB: need > 3, got {n}")
    extra = weight.new_zeros(weight.shape[0], n - 3, *weight.shape[2:])  # (C_out, E, kh, kw)
    return torch.cat([weight, extra], dim=1)  # (C_out, 3 + E, kh, kw)
