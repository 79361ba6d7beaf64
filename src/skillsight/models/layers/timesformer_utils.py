"""Hugging Face TimeSformer helpers for the video baselines: named sizes, build, time embeddings, pooling.

The HF ``TimesformerLayer`` reshapes its tokens with ``config.num_frames`` and
``config.image_size // config.patch_size``, so the config must describe the real input. At run time the
embeddings resize a mismatching time table by NEAREST neighbour, which repeats frames; a checkpoint
trained on another frame count (the Kinetics-600 TimeSformer has 8) is instead resized once, linearly,
by :func:`interpolate_time_embeddings` when it is loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PretrainedConfig, TimesformerConfig, TimesformerModel

from skillsight.exceptions import ConfigError, DataFormatError

__all__ = [
    "POOLINGS",
    "TIMESFORMER_SIZES",
    "build_timesformer_backbone",
    "check_video",
    "config_side_px",
    "interpolate_time_embeddings",
    "pool_tokens",
    "timesformer_config",
]

#: Named backbone sizes (``TimesformerConfig`` keyword arguments without ``num_frames``).
TIMESFORMER_SIZES: dict[str, dict[str, Any]] = {
    # ViT-B/16, divided space-time attention: the Kinetics-600 "timesformer-base" layout (121M parameters).
    "base": dict(
        image_size=224,
        patch_size=16,
        hidden_size=768,
        num_hidden_layers=12,
        num_attention_heads=12,
        intermediate_size=3072,
    ),
    # ViT-S/16 layout (384-d, 12 layers): a small backbone, e.g. for 224 px gaze crops.
    "small": dict(
        image_size=224,
        patch_size=16,
        hidden_size=384,
        num_hidden_layers=12,
        num_attention_heads=6,
        intermediate_size=1536,
    ),
    # CPU demo size (64 px frames, 4 x 4 patches, 2 layers).
    "tiny": dict(
        image_size=64,
        patch_size=16,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=128,
    ),
    # Unit tests.
    "test": dict(
        image_size=32,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=4,
        intermediate_size=64,
    ),
}

#: Token poolings: the final CLS token, or the mean of ``last_hidden_state`` over ALL tokens (CLS included).
POOLINGS: tuple[str, ...] = ("cls", "mean")


def config_side_px(config: PretrainedConfig, field: str) -> int:
    """``config.<field>`` (``image_size`` or ``patch_size``) as one int.

    transformers also allows an (H, W) pair there; the square TimeSformer inputs here need one side.

    Raises:
        ConfigError: the field is not a single int.
    """
    value = getattr(config, field)
    if not isinstance(value, int):
        raise ConfigError(f"TimeSformer {field} must be one int (square frames and patches), got {value!r}")
    return value


def timesformer_config(
    size: str, num_frames: int, overrides: Mapping[str, Any] | None = None
) -> TimesformerConfig:
    """A ``TimesformerConfig`` from a named size, the clip length and optional keyword overrides.

    Args:
        size: a key of :data:`TIMESFORMER_SIZES`.
        num_frames: frames per clip T (the layers reshape with it).
        overrides: other ``TimesformerConfig`` fields (e.g. ``{"image_size": 448}``); ``num_frames`` here
            is refused (pass it as ``num_frames``).

    Raises:
        ConfigError: unknown size, ``num_frames`` < 1, or ``num_frames`` given twice.
    """
    if size not in TIMESFORMER_SIZES:
        raise ConfigError(f"unknown TimeSformer size {size!r}; valid: {sorted(TIMESFORMER_SIZES)}")
    if int(num_frames) < 1:
        raise ConfigError(f"num_frames must be >= 1, got {num_frames}")
    extra = dict(overrides or {})
    if "num_frames" in extra:
        raise ConfigError("pass num_frames as its own argument, not inside the backbone overrides")
    kwargs = {**TIMESFORMER_SIZES[size], **extra, "num_frames": int(num_frames)}
    if kwargs["hidden_size"] % kwargs["num_attention_heads"]:
        raise ConfigError(
            f"hidden_size {kwargs['hidden_size']} is not divisible by "
            f"num_attention_heads {kwargs['num_attention_heads']}"
        )
    if kwargs["image_size"] % kwargs["patch_size"]:
        raise ConfigError(
            f"image_size {kwargs['image_size']} is not a multiple of patch_size {kwargs['patch_size']}"
        )
    return TimesformerConfig(**kwargs)


def interpolate_time_embeddings(model: TimesformerModel, num_frames: int) -> None:
    """Resize the time embeddings to ``num_frames`` (linear, end points kept) and set ``config.num_frames``.

    The first and last frame keep the first and last learned embedding (``align_corners=True``); frames in
    between are linear blends, so 8 -> 16 frames does not repeat embeddings (HF's run-time fallback does).
    The new table is a fresh ``nn.Parameter`` with the old one's ``requires_grad``.
    """
    table = model.embeddings.time_embeddings  # (1, T_old, D)
    old = table.shape[1]
    if int(num_frames) < 1:
        raise ConfigError(f"num_frames must be >= 1, got {num_frames}")
    if old != num_frames:
        with torch.no_grad():
            src = table.detach().transpose(1, 2)  # (1, D, T_old)
            if old == 1:
                new = src.expand(-1, -1, num_frames)
            else:
                new = nn.functional.interpolate(src, size=num_frames, mode="linear", align_corners=True)
            new = new.transpose(1, 2).contiguous()  # (1, T_new, D)
        model.embeddings.time_embeddings = nn.Parameter(new, requires_grad=table.requires_grad)
    model.config.num_frames = int(num_frames)


def build_timesformer_backbone(
    config: TimesformerConfig, pretrained_dir: str | Path | None = None
) -> TimesformerModel:
    """A stock ``TimesformerModel``: random init from ``config``, or weights from a LOCAL folder.

    With ``pretrained_dir`` (a ``save_pretrained`` folder; nothing is downloaded) the stored architecture
    is used, ``image_size`` is set from ``config`` (position embeddings are resized by HF at run time) and
    the time embeddings are interpolated to ``config.num_frames``.

    Raises:
        ConfigError: ``pretrained_dir`` is not a folder, or its width differs from ``config``.
    """
    if pretrained_dir is None:
        return TimesformerModel(config)
    if not Path(pretrained_dir).is_dir():
        raise ConfigError(f"pretrained_dir {str(pretrained_dir)!r} is not a local folder")
    model = TimesformerModel.from_pretrained(str(pretrained_dir), local_files_only=True)
    if model.config.hidden_size != config.hidden_size:
        raise ConfigError(
            f"pretrained_dir {str(pretrained_dir)!r} has hidden_size "
            f"{model.config.hidden_size}, "
            f"the requested backbone {config.hidden_size}"
        )
    model.config.image_size = config.image_size
    interpolate_time_embeddings(model, int(config.num_frames))
    return model


def pool_tokens(last_hidden_state: torch.Tensor, pooling: str) -> torch.Tensor:
    """(N, 1 + T * P, D) tokens -> (N, D): the CLS token, or the mean over all tokens."""
    if pooling == "cls":
        return last_hidden_state[:, 0]
    if pooling == "mean":
        return last_hidden_state.mean(dim=1)
    raise ConfigError(f"unknown pooling {pooling!r}; valid: {list(POOLINGS)}")


def check_video(source: str, name: str, video: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
    """Return ``video`` if its shape is ``shape`` (leading batch dim free: pass -1), else raise.

    Raises:
        DataFormatError: naming ``source``, the input ``name`` and the received shape.
    """
    got = tuple(video.shape)
    if len(got) != len(shape) or any(want not in (-1, have) for want, have in zip(shape, got)):
        wanted = tuple("B" if s == -1 else s for s in shape)
        raise DataFormatError(source, name, got, f"expected shape {wanted}")
    if not video.is_floating_point():
        raise DataFormatError(source, name, str(video.dtype), "expected normalised float frames")
    return video
