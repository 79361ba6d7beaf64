"""The SkillSight preset registry every preset family registers into, and what the tiny presets share."""

from __future__ import annotations

from collections.abc import Callable

from skillsight.config.methods import register_method
from skillsight.config.schema import RunConfig
from skillsight.registry import Registry

__all__ = ["PRESETS", "TINY_VIDEO_CACHE_MB", "preset"]

#: the SkillSight method's presets (teacher, student, baselines); other methods register their own
PRESETS: Registry[RunConfig] = register_method("skillsight", RunConfig)


def preset(name: str) -> Callable[[Callable[[], RunConfig]], Callable[[], RunConfig]]:
    """Decorator registering a function that returns a fresh RunConfig under ``name``."""
    return PRESETS.register(name)


#: decoded-video budget of the tiny presets: the demo's 144 takes x 5 views x 160 frames of 64 px = 1.4 GiB
TINY_VIDEO_CACHE_MB = 2048
