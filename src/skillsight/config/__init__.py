"""Typed run configuration: defaults in code (:mod:`.schema`), named presets (:mod:`.presets`), YAML and
``--set a.b=c`` overrides (:mod:`.overrides`).

One composition root (:class:`RunConfig`) names registry entries (model names), never import paths.
The resolved config is written into the run folder (:func:`skillsight.runs.run_config.save_config`)
so every run can be re-created from its folder alone.
"""

from skillsight.config.overrides import apply_overrides, config_from_dict, load_config
from skillsight.config.presets import PRESETS
from skillsight.config.schema import (
    DataConfig,
    ModelConfig,
    OptimConfig,
    RunConfig,
    TaskConfig,
    TrainerConfig,
)

__all__ = [
    "PRESETS",
    "DataConfig",
    "ModelConfig",
    "OptimConfig",
    "RunConfig",
    "TaskConfig",
    "TrainerConfig",
    "apply_overrides",
    "config_from_dict",
    "load_config",
]
