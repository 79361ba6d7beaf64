"""Register, create and list models. Checkpoints store the name and arguments used here."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.registry import Registry

__all__ = [
    "MODELS",
    "create_model",
    "import_model_module",
    "list_models",
    "model_dim",
    "model_inputs",
    "register_model",
]

MODELS: Registry[DeclaredInputsModule] = Registry("model")

# Spine modules whose import registers models. Imported lazily so `skillsight --help` stays fast.
# Project models (skillsight.projects.*.models) register when their project imports them; a checkpoint
# records the module that registered its model, so load_model finds project models without this list
# naming them (the spine never imports a project). skillsight.catalog lists every model.
_BUILTIN_MODEL_MODULES: tuple[str, ...] = (
    "skillsight.models.skillsight_teacher",
    "skillsight.models.skillsight_student",
    "skillsight.models.skillformer",
    "skillsight.models.video_baselines",
    "skillsight.models.x3d",
    "skillsight.models.naive_teacher",
    "skillsight.models.gaze_pooled_video",
    "skillsight.models.egodistill",
    "skillsight.models.egotrigger",
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


def register_model(
    name: str,
) -> Callable[[Callable[..., DeclaredInputsModule]], Callable[..., DeclaredInputsModule]]:
    """Decorator: register a model factory (a class or function taking keyword arguments)."""
    return MODELS.register(name)


def create_model(name: str, model_module: str | None = None, **kwargs: Any) -> DeclaredInputsModule:
    """Build registered model ``name``; records ``model_name``, ``model_args`` and ``model_module`` on it
    for checkpoints.

    Args:
        name: registry name.
        model_module: the module that registers ``name``, imported first when ``name`` is not registered yet
            (checkpoints store it, so project models load without the spine importing projects).
        kwargs: constructor arguments.
    """
    _load_builtin_models()
    if model_module and name not in MODELS:
        import_model_module(model_module)
    factory = MODELS.get(name)
    model = factory(**kwargs)
    model.model_name = name
    model.model_args = dict(kwargs)
    model.model_module = factory.__module__
    return model


def import_model_module(module: str) -> None:
    """Import a module that registers models; only ``skillsight.*`` modules are accepted."""
    if module != "skillsight" and not module.startswith("skillsight."):
        raise ConfigError(f"model module {module!r} is not part of skillsight (refusing to import it)")
    try:
        importlib.import_module(module)
    except ModuleNotFoundError as err:
        if err.name == module:
            raise ConfigError(f"model module {module!r} does not exist") from None
        raise


def list_models() -> list[str]:
    """Names of every registered model."""
    _load_builtin_models()
    return MODELS.names()


def model_dim(model: nn.Module, name: str) -> int:
    """An integer size a model declares, e.g. ``feature_dim`` or ``distill_dim``.

    Raises:
        ConfigError: the model has no such attribute or it is not an int.
    """
    value = getattr(model, name, None)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{type(model).__name__} declares no integer {name} (got {value!r})")
    return value


def model_inputs(model: nn.Module) -> tuple[str, ...]:
    """The input names a model declares (empty tuple when it declares none)."""
    return tuple(getattr(model, "input_names", ()))
