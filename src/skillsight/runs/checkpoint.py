"""Model checkpoints as safetensors + JSON (model name and arguments), written atomically.

Layout of a checkpoint ``<stem>``: ``<stem>.safetensors`` (weights) and ``<stem>.json``
(``{"model_name", "model_args", "metadata"}``). Each file is written to a temporary name in the
same folder and renamed into place, so a kill never leaves a half-written checkpoint.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file
from torch import nn

from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["save_model", "load_model", "read_model_spec"]


def _stem(path: str | Path) -> Path:
    path = Path(path)
    return path.with_suffix("") if path.suffix in {".safetensors", ".json"} else path


def save_model(model: nn.Module, path: str | Path, metadata: dict[str, Any] | None = None) -> Path:
    """Save weights and the model's registry name/arguments. Returns the ``.safetensors`` path.

    The model must come from :func:`skillsight.models.create_model` (it carries ``model_name``
    and ``model_args``). Shared tensors are cloned so safetensors accepts them.
    """
    name = getattr(model, "model_name", None)
    if name is None:
        raise ValueError(f"{type(model).__name__} has no model_name: build it with skillsight.models.create_model")
    stem = _stem(path)
    state = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    weights = stem.with_suffix(".safetensors")
    spec = {"model_name": name, "model_args": getattr(model, "model_args", {}),
            "model_module": getattr(model, "model_module", None) or type(model).__module__, "metadata": metadata or {}}
    # Weights first, spec last: a spec on disk always points at complete weights.
    fd, tmp = tempfile.mkstemp(dir=weights.parent if weights.parent.exists() else None, suffix=".tmp")
    os.close(fd)
    weights.parent.mkdir(parents=True, exist_ok=True)
    try:
        save_file(state, tmp)
        os.replace(tmp, weights)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    atomic_write_text(stem.with_suffix(".json"), json.dumps(spec, indent=2, sort_keys=True, default=str))
    return weights


def read_model_spec(path: str | Path) -> dict[str, Any]:
    """Read the JSON spec of a checkpoint (model name, arguments, metadata)."""
    spec_path = _stem(path).with_suffix(".json")
    if not spec_path.is_file():
        raise FileNotFoundError(f"checkpoint spec {spec_path} does not exist")
    try:
        spec = json.loads(spec_path.read_text())
    except json.JSONDecodeError as err:
        raise DataFormatError(spec_path, "", err.msg, "checkpoint spec is not valid JSON") from err
    for key in ("model_name", "model_args"):
        if key not in spec:
            raise DataFormatError(spec_path, key, None, "checkpoint spec lacks this key")
    return spec


def load_model(path: str | Path, map_location: str = "cpu") -> nn.Module:
    """Rebuild the registered model from its spec and load its weights (strict)."""
    from skillsight.models import create_model

    stem = _stem(path)
    spec = read_model_spec(stem)
    model = create_model(spec["model_name"], model_module=spec.get("model_module"), **spec["model_args"])
    state = load_file(str(stem.with_suffix(".safetensors")), device=map_location)
    model.load_state_dict(state, strict=True)
    model.checkpoint_metadata = spec.get("metadata", {})  # type: ignore[attr-defined]
    return model.eval()


