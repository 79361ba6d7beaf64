"""Local Hugging Face weight folders with seeded, non-default weights, for the pretrained-weight tests.

``fabricate_folder`` writes ``save_pretrained`` of a tiny backbone whose every floating tensor was drawn
from its own seeded generator (so no tensor equals what a default random init, LayerNorm ones or zero
biases would give) and returns the tensors as written, for comparisons with what a model later holds.
"""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import (
    ConvNextV2Config,
    ConvNextV2Model,
    Dinov2Config,
    Dinov2Model,
    PretrainedConfig,
    PreTrainedModel,
    ResNetConfig,
    ResNetModel,
    TimesformerConfig,
    TimesformerModel,
)

from skillsight.models.layers.crop_features import CROP_EXTRACTOR_PRESETS
from skillsight.models.skillsight_teacher_presets import TEACHER_PRESETS

__all__ = [
    "convnextv2_folder",
    "dinov2_folder",
    "fabricate_folder",
    "resnet_folder",
    "same_tensors",
    "timesformer_folder",
]


def fabricate_folder(
    model_class: type[PreTrainedModel], config: PretrainedConfig, folder: Path, seed: int
) -> dict[str, torch.Tensor]:
    """Write ``model_class(config)`` with seeded non-default weights to ``folder``; return its state dict."""
    model = model_class(config)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                drawn = torch.randn(tensor.shape, generator=gen) * 0.05 + 0.01
                # a batch-norm variance must stay positive (evaluation divides by its square root)
                tensor.copy_(drawn.abs() + 0.5 if name.endswith("running_var") else drawn)
    model.save_pretrained(folder)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def timesformer_folder(folder: Path, seed: int = 11, **overrides) -> dict[str, torch.Tensor]:
    """The ``test_skillsight_teacher`` TimeSformer size (32 wide, patch 8, at 32 px), 2 frames unless
    overridden."""
    kwargs = {**TEACHER_PRESETS["test_skillsight_teacher"].video.config(), "num_frames": 2}
    return fabricate_folder(TimesformerModel, TimesformerConfig(**{**kwargs, **overrides}), folder, seed)


def dinov2_folder(folder: Path, seed: int = 12, **overrides) -> dict[str, torch.Tensor]:
    """The ``dinov2_test`` architecture (32 wide, patch 8) stored at 40 px as released configs differ."""
    kwargs = {**CROP_EXTRACTOR_PRESETS["dinov2_test"], "image_size": 40}
    return fabricate_folder(Dinov2Model, Dinov2Config(**{**kwargs, **overrides}), folder, seed)


def convnextv2_folder(folder: Path, hidden_sizes, depths, seed: int = 13) -> dict[str, torch.Tensor]:
    """An RGB ConvNeXtV2 of the given layout (as ImageNet weights are)."""
    config = ConvNextV2Config(num_channels=3, hidden_sizes=list(hidden_sizes), depths=list(depths))
    return fabricate_folder(ConvNextV2Model, config, folder, seed)


def resnet_folder(folder: Path, config: ResNetConfig, seed: int = 14) -> dict[str, torch.Tensor]:
    """An RGB ResNet of ``config``'s layout."""
    return fabricate_folder(ResNetModel, config, folder, seed)


def same_tensors(
    held: dict[str, torch.Tensor],
    written: dict[str, torch.Tensor],
    prefix: str = "",
    skip: tuple[str, ...] = (),
) -> list[str]:
    """Names of ``written`` tensors that ``held`` (a state dict, keys under ``prefix``) lacks or holds
    differently; ``skip``: names compared elsewhere (resized tables, adapted stems)."""
    bad = []
    for name, tensor in written.items():
        if name in skip:
            continue
        have = held.get(prefix + name)
        if have is None or have.shape != tensor.shape or not torch.equal(have.float(), tensor.float()):
            bad.append(name)
    return bad
