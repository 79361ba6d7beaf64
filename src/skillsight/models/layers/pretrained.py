"""Load a Hugging Face backbone from a LOCAL ``save_pretrained`` folder, completely or not at all.

Every backbone with pretrained weights (TimeSformer, DINOv2, ConvNeXtV2, ResNet) goes through
:func:`load_pretrained_backbone`, which

1. resolves the folder (:func:`resolve_weights_dir`, the one place a weights path is interpreted);
2. refuses a folder of another architecture: every field of :data:`ARCHITECTURE_FIELDS` must equal the
   requested backbone's, and the error names each field with both values (a ViT-B folder given to a
   64-wide preset says ``hidden_size 768 in the folder, 64 requested``);
3. refuses a weights file that lacks tensors of that architecture (Hugging Face would initialise them
   at random and only print a report), naming them;
4. builds the backbone from the REQUESTED run fields (:data:`RUN_FIELDS`: input channels, and for
   TimeSformer the frame count and frame size) and moves every stored tensor into it: an RGB stem meeting
   another channel count is adapted (:func:`~skillsight.models.layers.stem_adaptation.adapt_stem_weight`),
   tables that depend on the run fields are resized by the caller's ``transform``, and the result is loaded
   with ``strict=True``, so no tensor keeps its random init.

Dropout and stochastic depth (:data:`TRAINING_FIELDS`) come from the requested config; every other field
from the folder (it describes the weights). Nothing is ever downloaded.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import torch
from transformers import PretrainedConfig, PreTrainedModel

from skillsight.exceptions import ConfigError
from skillsight.models.layers.stem_adaptation import StemAdaptation, adapt_stem_weight

__all__ = [
    "ARCHITECTURE_FIELDS",
    "RUN_FIELDS",
    "STEM_WEIGHT_KEYS",
    "TRAINING_FIELDS",
    "architecture_differences",
    "load_pretrained_backbone",
    "resolve_weights_dir",
]

#: Config fields the model around a backbone depends on (widths, depths, heads, patch grid), per
#: ``model_type``; they must be equal in the folder and the request. Fields of how the weights compute that
#: the surrounding model does not depend on (activation, qkv bias, layer-norm epsilon) come from the folder.
ARCHITECTURE_FIELDS: dict[str, tuple[str, ...]] = {
    "timesformer": (
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "intermediate_size",
        "patch_size",
        "attention_type",
    ),
    "dinov2": ("hidden_size", "num_hidden_layers", "num_attention_heads", "mlp_ratio", "patch_size"),
    "convnextv2": ("hidden_sizes", "depths", "patch_size"),
    "resnet": ("embedding_size", "hidden_sizes", "depths", "layer_type"),
}

#: Fields the run decides (the folder's value is replaced): the input channels (the stem is adapted), and
#: for TimeSformer the frames per clip and the frame size (its time and position tables are resized).
RUN_FIELDS: dict[str, tuple[str, ...]] = {
    "timesformer": ("num_channels", "num_frames", "image_size"),
    "dinov2": (),
    "convnextv2": ("num_channels",),
    "resnet": ("num_channels",),
}

#: Regularisation of the run, not of the weights: taken from the requested config when it has the field.
TRAINING_FIELDS: tuple[str, ...] = ("hidden_dropout_prob", "attention_probs_dropout_prob", "drop_path_rate")

#: State-dict key of the first convolution (the one that meets the input channels), per ``model_type``.
STEM_WEIGHT_KEYS: dict[str, str] = {
    "timesformer": "embeddings.patch_embeddings.projection.weight",
    "dinov2": "embeddings.patch_embeddings.projection.weight",
    "convnextv2": "embeddings.patch_embeddings.weight",
    "resnet": "embedder.embedder.convolution.weight",
}

ModelT = TypeVar("ModelT", bound=PreTrainedModel)

#: ``transform(state, stored_config, target_config) -> state``: resizes tables that follow the run fields.
StateTransform = Callable[
    [dict[str, torch.Tensor], PretrainedConfig, PretrainedConfig], dict[str, torch.Tensor]
]


def resolve_weights_dir(path: str | Path, what: str = "pretrained_dir") -> Path:
    """The local Hugging Face folder ``path`` names (``~`` expanded).

    This is the one place a configured weights path is turned into a folder: a run that refers to its
    weights in another way (relative to the run folder, by content hash) changes only this function.

    Args:
        path: the configured value.
        what: the config field, for the error message.

    Raises:
        ConfigError: not a folder, or a folder without ``config.json`` (not a ``save_pretrained`` folder).
    """
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ConfigError(
            f"{what} {str(path)!r} is not a local folder (weights are never downloaded: give the folder a "
            "Hugging Face save_pretrained() wrote, or one `skillsight weights convert` wrote)"
        )
    if not (folder / "config.json").is_file():
        raise ConfigError(
            f"{what} {str(folder)!r} has no config.json: it is not a Hugging Face save_pretrained folder "
            "(convert an original .pth/.pyth checkpoint with `skillsight weights convert`)"
        )
    return folder


def architecture_differences(
    stored: PretrainedConfig, requested: PretrainedConfig
) -> list[tuple[str, Any, Any]]:
    """(field, stored value, requested value) for every :data:`ARCHITECTURE_FIELDS` entry that differs."""
    fields = ARCHITECTURE_FIELDS.get(str(requested.model_type), ())
    diffs = []
    for name in fields:
        have, want = getattr(stored, name, None), getattr(requested, name, None)
        if isinstance(have, tuple):
            have = list(have)
        if isinstance(want, tuple):
            want = list(want)
        if have != want:
            diffs.append((name, have, want))
    return diffs


def _stored_model_type(folder: Path, what: str) -> str:
    """``model_type`` of ``folder/config.json`` (read before a config class interprets the file)."""
    try:
        body = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConfigError(f"{what} {str(folder)!r}: config.json is not readable JSON ({err})") from err
    if not isinstance(body, dict) or not isinstance(body.get("model_type"), str):
        raise ConfigError(f"{what} {str(folder)!r}: config.json names no model_type")
    return str(body["model_type"])


def _warn_about_conversion_gaps(folder: Path) -> None:
    """Warn when ``skillsight weights convert --allow-missing`` wrote tensors of this folder at random."""
    record = folder / "conversion.json"
    if not record.is_file():
        return
    try:
        missing = json.loads(record.read_text(encoding="utf-8")).get("missing") or []
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return
    if missing:
        warnings.warn(
            f"{folder}: {len(missing)} tensors were not in the converted checkpoint and start from a random "
            f"init (--allow-missing; listed in {record.name}): {', '.join(missing[:4])}"
            + (", ..." if len(missing) > 4 else ""),
            stacklevel=3,
        )


def _quiet_transformers() -> Callable[[], None]:
    """Silence transformers' load report and progress bar (our checks replace them); returns the restore."""
    from transformers.utils import logging as hf_logging

    previous, bar = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    def restore() -> None:
        hf_logging.set_verbosity(previous)
        if bar:
            hf_logging.enable_progress_bar()

    return restore


def load_pretrained_backbone(
    model_class: type[ModelT],
    weights_dir: str | Path,
    requested: PretrainedConfig,
    *,
    stem: StemAdaptation | None = None,
    transform: StateTransform | None = None,
    what: str = "pretrained_dir",
) -> ModelT:
    """A ``model_class`` with the requested run fields holding EVERY tensor of the folder's weights.

    Args:
        model_class: e.g. ``TimesformerModel``.
        weights_dir: local ``save_pretrained`` folder.
        requested: the config the run would build without weights (architecture and run fields).
        stem: how an RGB stem is adapted when the requested input channels differ from the folder's
            (None: a channel difference is an error).
        transform: resizes tensors whose shape follows the run fields (TimeSformer tables).
        what: the config field holding ``weights_dir``, for messages.

    Raises:
        ConfigError: see the module docstring (folder, architecture, incomplete weights, channels).
    """
    folder = resolve_weights_dir(weights_dir, what)
    model_type = str(requested.model_type)
    restore = _quiet_transformers()
    try:
        stored_type = _stored_model_type(folder, what)
        if stored_type != model_type:
            raise ConfigError(
                f"{what} {str(folder)!r} holds a {stored_type!r} model, this backbone is a {model_type!r}"
            )
        config_class = model_class.config_class
        if config_class is None:  # every Hugging Face model class names its config class
            raise ConfigError(f"{model_class.__name__} has no config class to read {folder} with")
        stored = config_class.from_pretrained(str(folder), local_files_only=True)
        diffs = architecture_differences(stored, requested)
        if diffs:
            listed = "; ".join(
                f"{name} {have!r} in the folder, {want!r} requested" for name, have, want in diffs
            )
            raise ConfigError(
                f"{what} {str(folder)!r} holds another {model_type} architecture than the one requested: "
                f"{listed} (pick the preset of that size, or weights of this size)"
            )
        # with output_loading_info, from_pretrained returns (model, info): its annotation says model only
        loaded: Any = model_class.from_pretrained(
            str(folder), local_files_only=True, output_loading_info=True
        )
        source, info = loaded
    finally:
        restore()
    incomplete = sorted(info.get("missing_keys", ())) + sorted(info.get("mismatched_keys", ()) or ())
    if incomplete:
        shown = ", ".join(str(k) for k in incomplete[:8]) + (", ..." if len(incomplete) > 8 else "")
        raise ConfigError(
            f"{what} {str(folder)!r}: its weights file lacks {len(incomplete)} tensors of this {model_type} "
            f"({shown}); refusing a partial load (they would start from random values)"
        )
    _warn_about_conversion_gaps(folder)
    state = {k: v.detach() for k, v in source.state_dict().items()}
    del source
    target_config = copy.deepcopy(stored)
    for name in RUN_FIELDS.get(model_type, ()) + TRAINING_FIELDS:
        if hasattr(requested, name):
            setattr(target_config, name, copy.deepcopy(getattr(requested, name)))
    stem_key = STEM_WEIGHT_KEYS[model_type]
    have_channels, want_channels = int(state[stem_key].shape[1]), int(target_config.num_channels)
    if have_channels != want_channels:
        if stem is None:
            raise ConfigError(
                f"{what} {str(folder)!r} has a {have_channels}-channel input stem, this backbone reads "
                f"{want_channels} channels and has no stem adaptation"
            )
        state[stem_key] = adapt_stem_weight(state[stem_key], want_channels, stem)
    if transform is not None:
        state = transform(state, stored, target_config)
    target = model_class(target_config)
    target.load_state_dict(state, strict=True)
    return target
