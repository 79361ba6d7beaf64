"""Hugging Face TimeSformer helpers for the video baselines: named sizes, build, time embeddings, pooling.

The HF ``TimesformerLayer`` reshapes its tokens with ``config.num_frames`` and
``config.image_size // config.patch_size``, so the config must describe the real input. At run time the
embeddings resize mismatching tables by NEAREST neighbour (the original TimeSformer code does the same),
which repeats frames and patches; weights trained on another frame count (the Kinetics-600 TimeSformer has
8 frames) or frame size (224 px, the teacher sees 448 px) are instead resized ONCE when they are loaded
(:func:`resize_timesformer_tables`): time embeddings linearly with the end points kept, position
embeddings bicubically over the patch grid (the CLS position unchanged), as ViT fine-tuning at a larger
resolution does. The loaded model then has tables of exactly the run's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn
from transformers import PretrainedConfig, TimesformerConfig, TimesformerModel

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models.layers.pretrained import load_pretrained_backbone
from skillsight.models.layers.stem_adaptation import StemAdaptation
from skillsight.models.layers.vit_sizes import VIT_SIZES, ViTSize

__all__ = [
    "POOLINGS",
    "TIMESFORMER_SIZES",
    "build_timesformer_backbone",
    "check_video",
    "config_side_px",
    "interpolate_time_embeddings",
    "pool_tokens",
    "resize_timesformer_tables",
    "timesformer_config",
]

#: Named backbone sizes (``TimesformerConfig`` keyword arguments without ``num_frames``).
TIMESFORMER_SIZES: dict[str, dict[str, Any]] = {
    # ViT-B/16, divided space-time attention: the Kinetics-600 "timesformer-base" layout (121M parameters).
    "base": VIT_SIZES["base"].timesformer_config(image_size=224, patch_size=16),
    # ViT-S/16 layout (384-d, 12 layers): a small backbone, e.g. for 224 px gaze crops.
    "small": VIT_SIZES["small"].timesformer_config(image_size=224, patch_size=16),
    # CPU demo size (64 px frames, 4 x 4 patches, 2 layers).
    "tiny": VIT_SIZES["tiny"].timesformer_config(image_size=64, patch_size=16),
    # Unit tests.
    "test": ViTSize(32, num_hidden_layers=1, num_attention_heads=4, mlp_ratio=2).timesformer_config(32, 8),
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


def _resize_time_table(table: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(1, T_old, D) -> (1, num_frames, D): linear, first and last embedding kept (``align_corners``)."""
    old = table.shape[1]
    if old == num_frames:
        return table
    src = table.transpose(1, 2)  # (1, D, T_old)
    if old == 1:
        new = src.expand(-1, -1, num_frames)
    else:
        new = nn.functional.interpolate(src, size=num_frames, mode="linear", align_corners=True)
    return new.transpose(1, 2).contiguous()  # (1, T_new, D)


def _resize_position_table(table: torch.Tensor, grid: int) -> torch.Tensor:
    """(1, 1 + g_old^2, D) -> (1, 1 + grid^2, D): bicubic over the patch grid, the CLS position kept."""
    patches = table.shape[1] - 1
    old = round(patches**0.5)
    if old * old != patches:
        raise ConfigError(f"position embeddings of {patches} patches are not a square grid")
    if old == grid:
        return table
    D = table.shape[-1]
    cls, rest = table[:, :1], table[:, 1:]  # (1, 1, D), (1, g_old^2, D)
    rest = rest.reshape(1, old, old, D).permute(0, 3, 1, 2)  # (1, D, g_old, g_old)
    rest = nn.functional.interpolate(rest.float(), size=(grid, grid), mode="bicubic", align_corners=False)
    rest = rest.to(table.dtype).permute(0, 2, 3, 1).reshape(1, grid * grid, D)  # (1, grid^2, D)
    return torch.cat([cls, rest], dim=1)


def resize_timesformer_tables(
    state: dict[str, torch.Tensor], stored: PretrainedConfig, target: PretrainedConfig
) -> dict[str, torch.Tensor]:
    """Resize the time and position embeddings of a TimeSformer state dict to ``target``'s clip shape.

    Time embeddings: linear over frames, first and last kept (8 -> 16 frames blends, never repeats).
    Position embeddings: bicubic over the patch grid (14 x 14 at 224 px -> 28 x 28 at 448 px), CLS kept.
    """
    out = dict(state)
    with torch.no_grad():
        key = "embeddings.time_embeddings"
        if key in out:
            out[key] = _resize_time_table(out[key], int(target.num_frames))
        key = "embeddings.position_embeddings"
        grid = config_side_px(target, "image_size") // config_side_px(target, "patch_size")
        out[key] = _resize_position_table(out[key], grid)
    return out


def build_timesformer_backbone(
    config: TimesformerConfig,
    pretrained_dir: str | Path | None = None,
    stem: StemAdaptation | None = None,
) -> TimesformerModel:
    """A stock ``TimesformerModel``: random init from ``config``, or ALL weights of a LOCAL folder.

    With ``pretrained_dir`` (a ``save_pretrained`` folder; nothing is downloaded) the folder must hold the
    architecture of ``config`` (width, depth, heads, patch size, ...: a mismatch is refused naming both
    values); the model gets ``config``'s frames, frame size and input channels, its tables are resized
    (:func:`resize_timesformer_tables`) and a stem with other channels is adapted with ``stem``
    (:func:`~skillsight.models.layers.pretrained.load_pretrained_backbone`).

    Raises:
        ConfigError: ``pretrained_dir`` is not a weights folder, another architecture, or incomplete.
    """
    if pretrained_dir is None:
        return TimesformerModel(config)
    return load_pretrained_backbone(
        TimesformerModel, pretrained_dir, config, stem=stem, transform=resize_timesformer_tables
    )


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
