"""What an extra dataset input is: its keys, the files it needs, and a builder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.data.records import Take

__all__ = ["ExtraInput", "option"]

#: builder(dataset, take, frame_indices (T,), fps) -> {key: tensor}
Builder = Callable[[Any, Take, np.ndarray, float], dict[str, torch.Tensor]]


@dataclass(frozen=True)
class ExtraInput:
    """One builder of extra dataset keys.

    Attributes:
        keys: the keys it returns (all of them whenever any is asked for).
        build: the builder.
        files: take -> [(field name, path or None)] the builder reads (checked when the dataset is built,
            so a missing file fails early, naming the take and the field).
        needs_video_timeline: clip indices must refer to the ego video (frames are decoded).
    """

    keys: tuple[str, ...]
    build: Builder
    files: Callable[[Take], list[tuple[str, Path | None]]]
    needs_video_timeline: bool = False


def option(options: Mapping[str, Any], name: str, default: Any) -> Any:
    """``options[name]`` if given, else ``default``."""
    return options.get(name, default) if options else default
