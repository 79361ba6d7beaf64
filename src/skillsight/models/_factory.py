"""Register, create and list models. Checkpoints store the name and arguments used here."""

from __future__ import annotations

import importlib
from typing import Any, Callable

from torch import nn

from skillsight.registry import Registry

__all__ = ["MODELS", "register_model", "create_model", "list_models", "model_inputs"]

MODELS: Registry[nn.Module] = Registry("model")

# Modules whose import registers models. Imported lazily so `skillsight --help` stays fast.
_BUILTIN_MODEL_MODULES: tuple[str, ...] = (
    "skillsight.models.skillsight_teacher",
    "skillsight.models.skillsight_student",
    "skillsight.models.skillformer",
    "skillsight.models.video_baselines",
    "skillsight.models.soccer",
    "skillsight.models.gaze_estimator",
    "skillsight.models.attention_rnn",
)
_loaded = False


def _load_builtin_models() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in _BUILTIN_MODEL_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as err:
            # Only tolerate the module itself not existing yet; a missing dependency inside it is a bug.
            if err.name != module:
                raise


def register_model(name: str) -> Callable[[Callable[..., nn.Module]], Callable[..., nn.Module]]:
    """Decorator: register a model factory (a class or function taking keyword arguments)."""
    return MODELS.register(name)


def create_model(name: str, **kwargs: Any) -> nn.Module:
    """Build registered model ``name``; records ``model_name`` and ``model_args`` on it for checkpoints."""
    _load_builtin_models()
    model = MODELS.create(name, **kwargs)
    model.model_name = name  # type: ignore[attr-defined]
    model.model_args = dict(kwargs)  # type: ignore[attr-defined]
    return model


def list_models() -> list[str]:
    """Names of every registered model."""
    _load_builtin_models()
    return MODELS.names()


def model_inputs(model: nn.Module) -> tuple[str, ...]:
    """The input names a model declares (empty tuple when it declares none)."""
    return tuple(getattr(model, "input_names", ()))
