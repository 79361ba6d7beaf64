"""What a deployed gaze model needs besides its weights: the window protocol and the class names.

:class:`ServingSpec` is the contract between training and serving. It travels in a run folder
(derived from ``config.json``, ``vocab.json`` and the checkpoint) and inside an exported ONNX file
(``metadata_props["normalisation"]`` and ``["class_names"]``), so a model served from either
cuts windows and normalises gaze exactly as its training clips were:

* a window is ``num_steps`` gaze steps, ``stride`` frames apart on a ``timeline_fps`` timeline
  (16 steps, every 15th frame of 30 fps = 2 steps/s: steps 0.5 s apart, an 8 s window), the query
  times coming from :func:`skillsight.data.clips.frame_timestamps_us` as in the dataset;
* each window goes through :func:`skillsight.gaze.resample.gaze_samples_at` and
  :func:`skillsight.gaze.normalize.normalize_clip_gaze` with ``far_clip_m`` and ``max_gap_us``.

The timeline rate, far clip and gap defaults are read from :class:`SkillClipDataset`'s own
signature (``build_clip_dataset`` does not override them), so a change there changes serving too.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.data.clips import clip_stride, frame_timestamps_us
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.normalize import GAZE_CHANNELS
from skillsight.gaze.resample import DEFAULT_DEPTH_M

__all__ = [
    "ARIA_GAZE_PROTOCOL",
    "SERVABLE_INPUTS",
    "ServingSpec",
    "dataset_default",
    "spec_for_model",
    "spec_from_run",
]

#: Name of the Aria gaze window protocol (bumped if the normalisation ever changes meaning).
ARIA_GAZE_PROTOCOL = "skillsight.aria_gaze_window.v2"  # v2: per-channel mask, identity for a missing pose
#: Model inputs a window of Aria gaze can provide.
SERVABLE_INPUTS = frozenset({"gaze", "gaze_mask", "gaze_channel_mask", "gaze2d", "gaze2d_mask", "scenario"})


def dataset_default(name: str) -> Any:
    """Default of a :class:`skillsight.data.datasets.SkillClipDataset` argument (what training used)."""
    from skillsight.data.datasets import SkillClipDataset

    return inspect.signature(SkillClipDataset.__init__).parameters[name].default


@dataclass(frozen=True)
class ServingSpec:
    """Window protocol, inputs and classes of a deployable gaze model.

    Attributes:
        model_name: registered model name.
        input_names: the model's declared inputs (a subset of :data:`SERVABLE_INPUTS`).
        class_names: one name per logit.
        num_steps: T, gaze steps per window.
        sample_fps: steps per second (2).
        timeline_fps: rate of the frame timeline the steps are taken from (30).
        gaze_channels: channels per step (14: :data:`GAZE_CHANNELS`).
        far_clip_m, max_gap_us, default_depth_m: normalisation/resampling constants.
        protocol: :data:`ARIA_GAZE_PROTOCOL`.
    """

    model_name: str
    input_names: tuple[str, ...]
    class_names: tuple[str, ...]
    num_steps: int
    sample_fps: float
    timeline_fps: float
    gaze_channels: int
    far_clip_m: float
    max_gap_us: int
    default_depth_m: float = DEFAULT_DEPTH_M
    protocol: str = ARIA_GAZE_PROTOCOL

    @property
    def stride(self) -> int:
        """Timeline frames between two steps."""
        return clip_stride(self.timeline_fps, self.sample_fps)

    @property
    def step_offsets_us(self) -> np.ndarray:
        """(T,) int64 offsets of the step times from the window start."""
        return frame_timestamps_us(self.stride * np.arange(self.num_steps), self.timeline_fps, 0)

    @property
    def window_us(self) -> int:
        """Window length: T steps of one step period each (8 s for 16 steps at 2 fps)."""
        return round(self.num_steps * self.stride * 1e6 / self.timeline_fps)

    def query_us(self, start_us: int) -> np.ndarray:
        """(T,) int64 step times of the window that starts at ``start_us`` (dataset's formula)."""
        return frame_timestamps_us(self.stride * np.arange(self.num_steps), self.timeline_fps, int(start_us))

    def check_servable(self, source: str) -> None:
        """Raise ConfigError unless raw Aria gaze rows can feed this model."""
        if self.protocol != ARIA_GAZE_PROTOCOL:
            raise ConfigError(
                f"{source}: normalisation protocol {self.protocol!r} is not {ARIA_GAZE_PROTOCOL!r}; "
                "raw Aria gaze rows cannot feed this model"
            )
        extra = sorted(set(self.input_names) - SERVABLE_INPUTS)
        if extra or "gaze" not in self.input_names:
            raise ConfigError(
                f"{source}: model {self.model_name!r} takes {list(self.input_names)}; a gaze window "
                f"provides {sorted(SERVABLE_INPUTS)} (needs 'gaze', nothing else)"
            )
        if self.gaze_channels != len(GAZE_CHANNELS):
            raise ConfigError(
                f"{source}: model {self.model_name!r} expects {self.gaze_channels} gaze channels; "
                f"the Aria gaze window gives {len(GAZE_CHANNELS)} ({', '.join(GAZE_CHANNELS)})"
            )

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready normalisation metadata (stored as ``metadata_props['normalisation']``)."""
        meta = asdict(self)
        meta.update(
            input_names=list(self.input_names),
            class_names=list(self.class_names),
            channels=list(GAZE_CHANNELS),
            step_us=int(self.step_offsets_us[1] if self.num_steps > 1 else 0),
            window_s=self.window_us / 1e6,
            t0="first gaze sample of the recording",
            functions=[
                "skillsight.gaze.resample.gaze_samples_at",
                "skillsight.gaze.normalize.normalize_clip_gaze",
            ],
        )
        return meta

    @classmethod
    def from_metadata(cls, meta: Mapping[str, Any], source: str) -> ServingSpec:
        """Inverse of :meth:`to_metadata`."""
        fields = (
            "model_name",
            "input_names",
            "class_names",
            "num_steps",
            "sample_fps",
            "timeline_fps",
            "gaze_channels",
            "far_clip_m",
            "max_gap_us",
            "default_depth_m",
            "protocol",
        )
        if meta.get("protocol") != ARIA_GAZE_PROTOCOL:
            raise ConfigError(
                f"{source}: normalisation protocol {meta.get('protocol')!r} is not "
                f"{ARIA_GAZE_PROTOCOL!r}; raw Aria gaze rows cannot feed this model"
            )
        missing = [f for f in fields if f not in meta]
        if missing:
            raise DataFormatError(
                source, f"normalisation.{missing[0]}", sorted(meta), f"normalisation metadata lacks {missing}"
            )
        return cls(
            model_name=str(meta["model_name"]),
            input_names=tuple(meta["input_names"]),
            class_names=tuple(meta["class_names"]),
            num_steps=int(meta["num_steps"]),
            sample_fps=float(meta["sample_fps"]),
            timeline_fps=float(meta["timeline_fps"]),
            gaze_channels=int(meta["gaze_channels"]),
            far_clip_m=float(meta["far_clip_m"]),
            max_gap_us=int(meta["max_gap_us"]),
            default_depth_m=float(meta["default_depth_m"]),
            protocol=str(meta["protocol"]),
        )


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read JSON") from err


def spec_from_run(run_dir: str | Path, model: Any, class_names: list[str] | None = None) -> ServingSpec:
    """The serving spec of a run folder (``config.json`` for the clip protocol, ``vocab.json`` for classes).

    Args:
        run_dir: the run folder.
        model: its loaded model (input names, gaze channels, class count).
        class_names: override of ``vocab.json``'s classes.

    Raises:
        ConfigError: no ``config.json`` (the clip protocol is unknown) or a class-count mismatch.
    """
    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise ConfigError(f"{run_dir}: no config.json, so the clip protocol (steps, fps) is unknown")
    data = _read_json(config_path).get("data", {})
    if class_names is None:
        vocab_path = run_dir / "vocab.json"
        if not vocab_path.is_file():
            raise ConfigError(f"{run_dir}: no vocab.json with the class names; pass class_names")
        class_names = list(_read_json(vocab_path).get("classes", []))
    num_classes = getattr(model, "num_classes", len(class_names))
    if len(class_names) != num_classes:
        raise ConfigError(
            f"{run_dir}: {len(class_names)} class names {class_names} for a model with {num_classes} classes"
        )
    num_steps = int(data.get("num_frames", getattr(model, "num_steps", 0)))
    if getattr(model, "num_steps", num_steps) != num_steps:
        raise ConfigError(
            f"{run_dir}: config.json data.num_frames={num_steps} but the model was built for "
            f"{model.num_steps} steps"
        )
    return spec_for_model(
        model, class_names, num_steps, float(data.get("sample_fps", dataset_default("sample_fps")))
    )


def spec_for_model(
    model: Any,
    class_names: list[str] | tuple[str, ...],
    num_steps: int | None = None,
    sample_fps: float | None = None,
) -> ServingSpec:
    """The serving spec of ``model`` under the dataset's default window protocol.

    Args:
        model: a gaze model (its ``input_names``, ``gaze_channels`` and ``num_steps`` are read).
        class_names: one name per logit.
        num_steps: T, steps per window (default: the model's ``num_steps``).
        sample_fps: steps per second (default: the dataset's, 2).
    """
    return ServingSpec(
        model_name=str(getattr(model, "model_name", type(model).__name__)),
        input_names=tuple(getattr(model, "input_names", ())),
        class_names=tuple(class_names),
        num_steps=int(getattr(model, "num_steps", 0) if num_steps is None else num_steps),
        sample_fps=float(dataset_default("sample_fps") if sample_fps is None else sample_fps),
        timeline_fps=float(dataset_default("gaze_timeline_fps")),
        gaze_channels=int(getattr(model, "gaze_channels", len(GAZE_CHANNELS))),
        far_clip_m=float(dataset_default("far_clip_m")),
        max_gap_us=int(dataset_default("gaze_max_gap_us")),
    )
