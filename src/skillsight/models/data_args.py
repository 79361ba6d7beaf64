"""What a model family takes from the data and the run config: a hook registered beside its factory.

A run builds its model from ``model.args`` plus arguments the data fixes (the number of classes, the
action vocabulary, the clip length, the frame size, the teacher's feature width). Each model family
declares the ones it takes with ``register_model(name, data_args=hook)``; the training layer calls the
hook and knows no family by name, so a new family adds its own hook and nothing else changes.

A hook receives the resolved :class:`~skillsight.config.RunConfig` and the :class:`DataFacts` of the
scanned data and returns constructor arguments; they override the same keys of ``model.args``
(``num_classes`` is added for every model by the caller).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from skillsight.exceptions import ConfigError

if TYPE_CHECKING:  # annotations only: the model registry stays importable without the config package
    from skillsight.config import RunConfig

__all__ = [
    "DataArgsHook",
    "DataFacts",
    "backbone_args",
    "clip_frames_args",
    "gaze_sequence_args",
]


@dataclass(frozen=True)
class DataFacts:
    """What the scanned data (and the run's teacher) fix about a model, beside the run config.

    Attributes:
        num_actions: size of the sub-task (action) vocabulary of the scanned takes.
        teacher_feature_dim: width of the configured teacher run's clip feature, loaded only when a hook
            asks (it reads the teacher's checkpoint); None when the run names no teacher.
    """

    num_actions: int
    teacher_feature_dim: Callable[[], int] | None = None


#: ``hook(cfg, facts) -> constructor arguments`` of one model family.
DataArgsHook = Callable[["RunConfig", DataFacts], dict[str, Any]]


def gaze_sequence_args(cfg: RunConfig, facts: DataFacts, *, actions: bool) -> dict[str, Any]:
    """Gaze-sequence models: one step per clip frame, plus the action head's size when it has one."""
    args: dict[str, Any] = {"num_steps": cfg.data.num_frames}
    if actions:
        args["num_actions"] = facts.num_actions
    return args


def clip_frames_args(cfg: RunConfig) -> dict[str, Any]:
    """Frames per clip (every video model)."""
    return {"num_frames": cfg.data.num_frames}


def backbone_args(cfg: RunConfig, *, key: str, image_px: int) -> dict[str, Any]:
    """A nested backbone config (``key``: ``video`` or ``backbone``) with the decoded image size set,
    the other keys of ``model.args[key]`` kept (they win over the data's size, as a user override).

    Raises:
        ConfigError: ``model.args[key]`` is not a mapping.
    """
    given = cfg.model.args.get(key, {})
    if not isinstance(given, dict):
        raise ConfigError(f"model.args.{key} must be a mapping of backbone options, got {given!r}")
    return {key: {"image_size": image_px, **given}}
