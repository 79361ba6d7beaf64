"""Typed configuration for every method: defaults in code (:mod:`.schema` for SkillSight, each wing's
``config.py`` for its own method), named presets per method (:mod:`.methods`, :mod:`.presets`), YAML and
``--set a.b=c`` overrides (:mod:`.overrides`), values checked against their types, allowed sets and
ranges (:mod:`.validation`).

The sections every method shares are :class:`OptimConfig` (optimiser and schedule) and
:class:`TrainerConfig` (the one training loop's settings). Configs name registry entries (model names),
never import paths. The resolved config is written into the run folder
(:func:`skillsight.runs.run_config.save_config`) so every run can be re-created from its folder alone.
"""

from skillsight.config.methods import ConfigMethod, get_method, method_names, method_of, register_method
from skillsight.config.overrides import apply_overrides, config_from_dict, load_config
from skillsight.config.presets import PRESETS
from skillsight.config.schema import (
    DataConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TaskConfig,
    TrainerConfig,
    effective_batch_size,
)
from skillsight.config.validation import bounded, validate

__all__ = [
    "PRESETS",
    "ConfigMethod",
    "DataConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TaskConfig",
    "TrainerConfig",
    "apply_overrides",
    "bounded",
    "config_from_dict",
    "effective_batch_size",
    "get_method",
    "load_config",
    "method_names",
    "method_of",
    "register_method",
    "validate",
]
