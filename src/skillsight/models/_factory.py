"""Register, create and list models. Checkpoints store the name and arguments used here."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable
from typing import Any, get_type_hints

from torch import nn

from skillsight.exceptions import ConfigError, ModelArgumentError
from skillsight.models.data_args import DataArgsHook
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.registry import Registry

__all__ = [
    "BUILTIN_MODEL_INDEX",
    "MODELS",
    "accepted_arguments",
    "check_arguments",
    "create_model",
    "import_model_module",
    "list_models",
    "model_data_args",
    "model_dim",
    "model_inputs",
    "register_model",
]

MODELS: Registry[DeclaredInputsModule] = Registry("model")
#: model name -> the hook giving the constructor arguments its family takes from the data (data_args.py).
_DATA_ARGS: dict[str, DataArgsHook] = {}

# Spine modules whose import registers models. Imported lazily so `skillsight --help` stays fast.
# Project models (skillsight.projects.*.models) register when their project imports them; a checkpoint
# records the module that registered its model, so load_model finds project models without this list
# naming them (the spine never imports a project). skillsight.catalog lists every model.
#
#: The models each built-in module registers, so that ``create_model(name)`` imports only the module of
#: ``name``: a gaze-only student then never imports transformers (seconds) for the video models.
#: tests/unit/models/test_model_index.py checks it against what the modules really register.
BUILTIN_MODEL_INDEX: dict[str, tuple[str, ...]] = {
    "skillsight.models.skillsight_teacher": (
        "skillsight_teacher",
        "skillsight_teacher_tiny",
        "test_skillsight_teacher",
    ),
    "skillsight.models.skillsight_student": (
        "gaze_only_baseline",
        "gaze_only_baseline_compact",
        "gaze_only_baseline_tiny",
        "skillsight_student",
        "skillsight_student_compact",
        "skillsight_student_tiny",
        "test_gaze_only_baseline",
        "test_skillsight_student",
    ),
    "skillsight.models.skillformer": (
        "skillformer_ego",
        "skillformer_ego_tiny",
        "skillformer_egoexos",
        "skillformer_egoexos_tiny",
        "skillformer_exos",
        "test_skillformer",
    ),
    "skillsight.models.video_baselines": (
        "gaze_crop_video",
        "gaze_crop_video_tiny",
        "test_gaze_crop_video",
        "test_timesformer_video",
        "timesformer_video",
        "timesformer_video_tiny",
    ),
    "skillsight.models.x3d": ("test_x3d", "x3d_xs", "x3d_xs_tiny"),
    "skillsight.models.naive_teacher": ("naive_teacher", "naive_teacher_tiny", "test_naive_teacher"),
    "skillsight.models.gaze_pooled_video": (
        "beholder_gaze_pool",
        "beholder_gaze_pool_tiny",
        "test_beholder_gaze_pool",
    ),
    "skillsight.models.egodistill": ("egodistill", "egodistill_tiny", "test_egodistill"),
    "skillsight.models.egotrigger": ("egotrigger", "egotrigger_tiny", "test_egotrigger"),
}
_BUILTIN_MODEL_MODULES: tuple[str, ...] = tuple(BUILTIN_MODEL_INDEX)
_MODULE_OF_MODEL = {name: module for module, names in BUILTIN_MODEL_INDEX.items() for name in names}
_loaded = False


def _load_model_of(name: str) -> None:
    """Import the built-in module that registers ``name`` (all of them for a name not in the index)."""
    if name in MODELS:
        return
    module = _MODULE_OF_MODEL.get(name)
    if module is None:
        _load_builtin_models()
    else:
        importlib.import_module(module)


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
    name: str, data_args: DataArgsHook | None = None
) -> Callable[[Callable[..., DeclaredInputsModule]], Callable[..., DeclaredInputsModule]]:
    """Decorator: register a model factory (a class or function taking keyword arguments).

    Args:
        name: registry name (unique).
        data_args: ``hook(cfg, facts)`` giving the constructor arguments the model takes from the data
            and the run config (:mod:`skillsight.models.data_args`); None: it takes only ``num_classes``.
    """
    register = MODELS.register(name)

    def decorator(factory: Callable[..., DeclaredInputsModule]) -> Callable[..., DeclaredInputsModule]:
        registered = register(factory)  # refuses a second registration before the hook is stored
        if data_args is not None:
            _DATA_ARGS[name] = data_args
        return registered

    return decorator


def model_data_args(name: str) -> DataArgsHook | None:
    """The data-arguments hook model ``name`` registered (None: it takes only ``num_classes``).

    Raises:
        ConfigError: ``name`` is not a registered model, listing the valid ones.
    """
    _load_model_of(name)
    MODELS.get(name)  # unknown names fail here with the list of valid ones
    return _DATA_ARGS.get(name)


def create_model(name: str, model_module: str | None = None, **kwargs: Any) -> DeclaredInputsModule:
    """Build registered model ``name``; records ``model_name``, ``model_args`` and ``model_module`` on it
    for checkpoints.

    Args:
        name: registry name.
        model_module: the module that registers ``name``, imported first when ``name`` is not registered yet
            (checkpoints store it, so project models load without the spine importing projects).
        kwargs: constructor arguments.
    """
    if model_module and name not in MODELS and name not in _MODULE_OF_MODEL:
        import_model_module(model_module)
    _load_model_of(name)
    factory = MODELS.get(name)
    try:
        model = factory(**kwargs)
    except TypeError as err:
        unknown = _unknown_argument(err, kwargs)
        if unknown is None:
            raise
        valid = ", ".join(accepted_arguments(factory)) or "(see the model's docstring)"
        raise ModelArgumentError(
            f"model {name!r} takes no argument {unknown!r} (model.args); valid: {valid}"
        ) from None
    model.model_name = name
    model.model_args = dict(kwargs)
    model.model_module = factory.__module__
    return model


def _unknown_argument(err: TypeError, kwargs: dict[str, Any]) -> str | None:
    """The keyword of ``kwargs`` that a constructor's TypeError says it does not take, or None."""
    match = re.search(r"unexpected keyword argument '([^']+)'", str(err))
    return match.group(1) if match and match.group(1) in kwargs else None


def accepted_arguments(factory: Callable[..., nn.Module]) -> list[str]:
    """Keyword arguments a registered factory accepts: its own, or (``**kwargs`` factories) those of the
    class its return annotation names."""
    params = inspect.signature(factory).parameters
    names = [n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        try:
            target = get_type_hints(factory).get("return")
        except Exception:  # an annotation that does not resolve: fall back to the factory's own names
            target = None
        if isinstance(target, type) and target is not nn.Module:
            init = inspect.signature(target.__init__).parameters  # type: ignore[misc]
            names += [
                n
                for n, p in init.items()
                if n != "self" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
    return sorted(set(names))


def check_arguments(name: str, kwargs: dict[str, Any]) -> None:
    """Refuse constructor arguments model ``name`` does not take, before anything is built.

    Raises:
        ConfigError: naming the first unknown argument and the valid ones (unknown names too).
    """
    _load_builtin_models()
    factory = MODELS.get(name)
    params = inspect.signature(factory).parameters
    open_ended = any(p.kind is p.VAR_KEYWORD for p in params.values())
    accepted = accepted_arguments(factory)
    if open_ended and not (set(accepted) - set(params)):
        return  # a **kwargs factory whose target class is not known: the constructor decides
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise ModelArgumentError(
            f"model {name!r} takes no argument {unknown[0]!r} (model.args); valid: {', '.join(accepted)}"
        )


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
