"""Model checkpoints: ONE sealed safetensors file holding the weights and the model's spec, plus a JSON copy.

A checkpoint ``<stem>`` is ``<stem>.safetensors``, a sealed file (:mod:`skillsight.runs.sealed`, format
``skillsight-model-v2``) whose header holds ``spec``: ``{"model_name", "model_args", "model_module",
"metadata"}`` and a checksum over spec and weights. It is written to a temporary file and renamed into
place, so it is replaced as a whole or not at all. ``<stem>.json`` is a readable copy of the spec with
the weights' ``checksum``, written after the weights: loading always uses the spec inside the weights
file, a copy left stale by a kill between the two renames is recognised by its checksum and rewritten,
and a copy whose spec was edited is refused.

Checkpoints of the first format (weights without a header spec, the spec only in ``<stem>.json``)
still load, without a checksum. Weights with NaN or inf are refused on save and on load.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from skillsight.exceptions import CheckpointError, ConfigError, ModelArgumentError, RunWriteError
from skillsight.runs.atomic import atomic_write_text, remove_stale_temp_files
from skillsight.runs.pretrained_refs import resolve_model_args
from skillsight.runs.sealed import (
    CHECKSUM_KEY,
    FORMAT_KEY,
    json_field,
    read_header,
    read_sealed,
    write_sealed,
)

if TYPE_CHECKING:
    from skillsight.models.layers.base import DeclaredInputsModule

__all__ = ["MODEL_FORMAT", "first_non_finite", "load_model", "read_model_spec", "save_model"]

MODEL_FORMAT = "skillsight-model-v2"
_SPEC_KEYS = ("model_name", "model_args", "model_module", "metadata")


def _stem(path: str | Path) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix in {".safetensors", ".json"} else path


def first_non_finite(tensors: dict[str, torch.Tensor]) -> tuple[str, int, int] | None:
    """(name, bad count, size) of the first floating tensor holding NaN or inf; None if all are finite."""
    for name, tensor in tensors.items():
        if (tensor.is_floating_point() or tensor.is_complex()) and tensor.numel():
            finite = torch.isfinite(tensor)
            if not bool(finite.all()):
                return name, int((~finite).sum()), tensor.numel()
    return None


def _spec_json(spec: dict[str, Any]) -> str:
    return json.dumps(spec, indent=2, sort_keys=True, default=str)


def save_model(model: nn.Module, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Save weights and the model's registry name/arguments. Returns the ``.safetensors`` path.

    The model must come from :func:`skillsight.models.create_model` (it carries ``model_name``
    and ``model_args``).

    Raises:
        CheckpointError: a weight is NaN or inf (nothing is written).
        RunWriteError: the disk is full or the folder not writable; the previous checkpoint is intact.
    """
    name = getattr(model, "model_name", None)
    if name is None:
        raise ValueError(
            f"{type(model).__name__} has no model_name: build it with skillsight.models.create_model"
        )
    stem = _stem(path)
    weights, copy = stem.with_suffix(".safetensors"), stem.with_suffix(".json")
    state = model.state_dict()
    bad = first_non_finite(state)
    if bad is not None:
        raise CheckpointError(
            weights, f"not saved: {bad[1]} of {bad[2]} values are NaN/inf (training diverged?)", field=bad[0]
        )
    spec = {
        "model_name": name,
        "model_args": getattr(model, "model_args", {}),
        "model_module": getattr(model, "model_module", None) or type(model).__module__,
        "metadata": metadata or {},
    }
    spec = json.loads(_spec_json(spec))  # what is stored is what a reader gets back
    checksum = write_sealed(weights, state, MODEL_FORMAT, {"spec": _spec_json(spec)})
    _write_copy(copy, spec, weights, checksum)
    return weights


def _write_copy(copy: Path, spec: dict[str, Any], weights: Path, checksum: str) -> None:
    """model.json: the spec, the weights' file name and checksum (after the weights are in place)."""
    remove_stale_temp_files(copy.parent, copy.name)
    body = {**spec, "weights": weights.name, CHECKSUM_KEY: checksum}
    try:
        atomic_write_text(copy, _spec_json(body))
    except RunWriteError as err:
        raise RunWriteError(
            copy,
            err.__cause__ or err,
            f"{weights.name} already holds the new weights with their spec (loading uses it); {copy.name}, "
            "its readable copy, still describes the previous weights and is rewritten at the next save "
            "or load",
        ) from err


def _legacy_spec(stem: Path) -> dict[str, Any]:
    copy = stem.with_suffix(".json")
    if not copy.is_file():
        raise FileNotFoundError(
            f"checkpoint spec {copy} does not exist (the weights file has no spec of its own)"
        )
    try:
        spec = json.loads(copy.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(copy, f"checkpoint spec is not valid UTF-8 JSON: {err}") from err
    if not isinstance(spec, dict):
        raise CheckpointError(copy, f"checkpoint spec is a JSON {type(spec).__name__}, not an object")
    for key in ("model_name", "model_args"):
        if key not in spec:
            raise CheckpointError(copy, "checkpoint spec lacks this key", field=key)
    return spec


def _header_spec(weights: Path, header: dict[str, str]) -> dict[str, Any]:
    spec = json_field(weights, header, "spec", "model weights")
    if not isinstance(spec, dict) or any(k not in spec for k in ("model_name", "model_args")):
        raise CheckpointError(
            weights, "the spec in the weights header lacks model_name/model_args", field="spec"
        )
    return spec


def read_model_spec(path: str | Path) -> dict[str, Any]:
    """The spec of a checkpoint (model name, arguments, module, metadata), from the weights file's header
    (``<stem>.json`` for checkpoints of the first format). The checksum is not verified here."""
    stem = _stem(path)
    weights = stem.with_suffix(".safetensors")
    header = _header(weights)
    return _header_spec(weights, header) if header else _legacy_spec(stem)


def _header(weights: Path) -> dict[str, str]:
    """The weights file's header metadata; {} for a checkpoint of the first format (no header spec)."""
    if not weights.is_file():
        raise FileNotFoundError(f"checkpoint weights {weights} do not exist")
    header = read_header(weights, "model weights")
    if FORMAT_KEY not in header:
        return {}
    if header[FORMAT_KEY] != MODEL_FORMAT:
        raise CheckpointError(
            weights, f"is a {header[FORMAT_KEY]!r} file, not model weights ({MODEL_FORMAT})", field=FORMAT_KEY
        )
    return header


def _first_difference(a: Any, b: Any, where: str = "") -> str | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if key not in a or key not in b:
                return f"{where}{key}"
            found = _first_difference(a[key], b[key], f"{where}{key}.")
            if found:
                return found
        return None
    return None if a == b else where.rstrip(".") or "(whole spec)"


def _check_copy(stem: Path, weights: Path, spec: dict[str, Any], checksum: str) -> None:
    """Compare model.json with the spec inside the weights file.

    A copy that is missing, unreadable, or differs only in ``metadata`` while carrying another checksum is
    what a kill between the two renames of a save leaves: it is rewritten (with a warning). A copy that
    names another model or other arguments, or was edited while keeping the checksum, is refused.
    """
    copy = stem.with_suffix(".json")
    try:
        body = json.loads(copy.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return _rewrite_copy(copy, spec, weights, checksum, "is missing")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return _rewrite_copy(copy, spec, weights, checksum, "is not valid JSON")
    if not isinstance(body, dict):
        return _rewrite_copy(copy, spec, weights, checksum, "is not a JSON object")
    same_checksum = body.get(CHECKSUM_KEY) == checksum
    model_keys = [k for k in _SPEC_KEYS if k != "metadata"]
    keys = _SPEC_KEYS if same_checksum else model_keys
    diff = _first_difference({k: body.get(k) for k in keys}, {k: spec.get(k) for k in keys})
    if diff:
        how = "was edited" if same_checksum else f"describes another model than the weights in {weights.name}"
        raise CheckpointError(
            copy,
            f"{how}: {diff} is {_shown(body, diff)} here and {_shown(spec, diff)} in the spec stored inside "
            f"{weights.name} (the weights only fit their own spec); restore the matching pair, or delete "
            f"{copy.name} to have it rewritten from {weights.name}",
            field=diff,
        )
    if not same_checksum:
        _rewrite_copy(
            copy, spec, weights, checksum, "belongs to the previous weights (a save was interrupted)"
        )
    return None


def _rewrite_copy(copy: Path, spec: dict[str, Any], weights: Path, checksum: str, why: str) -> None:
    warnings.warn(f"{copy} {why}; rewriting it from the spec inside {weights.name}", stacklevel=4)
    try:
        _write_copy(copy, spec, weights, checksum)
    except RunWriteError as err:
        warnings.warn(f"could not rewrite {copy}: {err}", stacklevel=4)


def _shown(tree: Any, dotted: str) -> str:
    """``repr`` of the value at a dotted key, or "not set" when it is absent."""
    for part in dotted.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return "not set"
        tree = tree[part]
    return repr(tree)


def load_model(
    path: str | Path, map_location: str = "cpu", check_finite: bool = True
) -> DeclaredInputsModule:
    """Rebuild the registered model from its spec and load its weights (strict), in eval mode.

    Args:
        path: ``<stem>``, ``<stem>.safetensors`` or ``<stem>.json``.
        map_location: device of the loaded tensors.
        check_finite: refuse weights holding NaN or inf (on by default: every inference path needs it).

    Raises:
        FileNotFoundError: the checkpoint does not exist.
        CheckpointError: damaged file (checksum), a spec that does not build the model, weights of another
            model, an edited model.json, or NaN/inf weights; the message names the file and the tensor/key.
    """
    from skillsight.models import create_model

    stem = _stem(path)
    weights = stem.with_suffix(".safetensors")
    header = _header(weights)
    spec = _header_spec(weights, header) if header else _legacy_spec(stem)
    spec_source = weights if header else stem.with_suffix(".json")
    if header:
        state, _ = read_sealed(weights, (MODEL_FORMAT,), "model weights", device=map_location)
        _check_copy(stem, weights, spec, header[CHECKSUM_KEY])
    else:
        try:
            state = load_file(str(weights), device=map_location)
        except (SafetensorError, OSError, ValueError, RuntimeError) as err:
            raise CheckpointError(
                weights, f"model weights are not a readable safetensors file: {err}"
            ) from err
    # weights folders recorded at training: the run's own copy, or found again by hash after a move
    args = resolve_model_args(spec["model_args"], stem.parent)
    try:
        model = create_model(spec["model_name"], model_module=spec.get("model_module"), **args)
        model.model_args = spec["model_args"]  # as stored (run-relative copies)
        model.resolved_model_args = args  # the folders as found now: what a rebuild of this model needs
    except (TypeError, ModelArgumentError) as err:
        raise CheckpointError(
            spec_source, f"model_args do not build {spec['model_name']!r}: {err}", field="model_args"
        ) from err
    except (ConfigError, ValueError, KeyError) as err:
        raise CheckpointError(
            spec_source, f"the spec does not build a model: {err}", field="model_name"
        ) from err
    _check_fits(model, state, weights, spec_source)
    if check_finite:
        bad = first_non_finite(state)
        if bad is not None:
            raise CheckpointError(
                weights,
                f"{bad[1]} of {bad[2]} values are NaN/inf: these weights are unusable (training diverged?); "
                "refusing to load them",
                field=bad[0],
            )
    model.load_state_dict(state, strict=True)
    model.checkpoint_metadata = spec.get("metadata", {})
    return model.eval()


def _check_fits(model: nn.Module, state: dict[str, torch.Tensor], weights: Path, spec_source: Path) -> None:
    """Same tensor names and shapes as the model built from the spec, else a CheckpointError naming one."""
    expected = model.state_dict()
    hint = f"{weights.name} holds the weights of another model than {spec_source.name} describes"
    missing = [k for k in expected if k not in state]
    if missing:
        raise CheckpointError(weights, f"{hint}: tensor missing ({len(missing)} in all)", field=missing[0])
    extra = [k for k in state if k not in expected]
    if extra:
        raise CheckpointError(weights, f"{hint}: unexpected tensor ({len(extra)} in all)", field=extra[0])
    for key, tensor in expected.items():
        if tuple(state[key].shape) != tuple(tensor.shape):
            raise CheckpointError(
                weights,
                f"{hint}: shape {list(state[key].shape)} in the file, {list(tensor.shape)} in the model",
                field=key,
            )
