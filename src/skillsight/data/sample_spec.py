"""What one dataset item holds: the keys a model asked for and the clip protocol they are cut with.

:class:`SampleSpec` is the part of :class:`skillsight.data.datasets.SkillClipDataset` that does not
depend on any take: which keys to build (checked against :data:`DATASET_KEYS`), which of them need
gaze files or decoded video, and the protocol constants (frames per clip, frame and crop sizes,
gaze normalisation). The clip planner, the take reader and the key builders all read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from skillsight.data.clips import CLIP_NUM_FRAMES, CLIP_SAMPLE_FPS
from skillsight.data.extra_inputs import EXTRA_KEYS, ExtraInput, extra_inputs_for
from skillsight.exceptions import ConfigError
from skillsight.gaze.normalize import FAR_CLIP_M
from skillsight.gaze.resample import DEFAULT_MAX_GAP_US

__all__ = ["DATASET_KEYS", "EGO_KEYS", "GAZE_KEYS", "SampleSpec"]

#: Names a model may declare (inputs) or a task may ask for (targets).
DATASET_KEYS: tuple[str, ...] = (
    "video",
    "exo_video",
    "crops",
    "gaze",
    "gaze_mask",
    "gaze_channel_mask",
    "gaze2d",
    "gaze2d_mask",
    "scenario",
    "action",
    "label",
    *EXTRA_KEYS,
)
#: Keys computed from the gaze files.
GAZE_KEYS = frozenset({"crops", "gaze", "gaze_mask", "gaze_channel_mask", "gaze2d", "gaze2d_mask"})
#: Keys decoded from the ego video.
EGO_KEYS = frozenset({"video", "crops"})


@dataclass(frozen=True)
class SampleSpec:
    """The keys of an item and the protocol they are built with.

    Attributes:
        keys: every key an item carries (inputs, targets and "label").
        num_frames, sample_fps: clip protocol (16 frames at 2 fps).
        frame_size_px: side of the (square) decoded video frames.
        crop_px: side of the gaze-centred crop, in pixels of the decoded frame.
        crop_out_px: side the crops are resized to.
        num_exo_views: exo views per item (first N sorted camera ids); None -> every exo camera.
        gaze_timeline_fps: frame rate of the virtual timeline of video-free models.
        far_clip_m: far clip of the gaze normalisation.
        gaze_max_gap_us: longest gaze gap bridged by interpolation.
        input_options: options of the extra-input builders.
    """

    keys: frozenset[str]
    num_frames: int = CLIP_NUM_FRAMES
    sample_fps: float = CLIP_SAMPLE_FPS
    frame_size_px: int = 448
    crop_px: int = 224
    crop_out_px: int = 224
    num_exo_views: int | None = None
    gaze_timeline_fps: float = 30.0
    far_clip_m: float = FAR_CLIP_M
    gaze_max_gap_us: int = DEFAULT_MAX_GAP_US
    input_options: Mapping[str, Any] = field(default_factory=dict)

    @staticmethod
    def resolve_keys(input_names: Sequence[str], targets: Sequence[str]) -> frozenset[str]:
        """The item keys for a model's inputs and a task's targets ("label" always); unknown names raise."""
        wanted = tuple(dict.fromkeys([*input_names, *targets, "label"]))
        unknown = [n for n in wanted if n not in DATASET_KEYS]
        if unknown:
            raise ConfigError(f"SkillClipDataset cannot provide {unknown}; it provides {list(DATASET_KEYS)}")
        return frozenset(wanted)

    @property
    def extra_inputs(self) -> tuple[ExtraInput, ...]:
        """The builders of :mod:`skillsight.data.extra_inputs` these keys need."""
        return extra_inputs_for(self.keys)

    @property
    def needs_video(self) -> bool:
        """Whether any key needs a decoded video."""
        return bool(self.keys & (EGO_KEYS | {"exo_video"}))

    @property
    def needs_ego_video(self) -> bool:
        """Whether ``video`` or ``crops`` is asked for (the ego frames are decoded)."""
        return bool(self.keys & EGO_KEYS)

    @property
    def needs_gaze(self) -> bool:
        """Whether any key needs the gaze files."""
        return bool(self.keys & GAZE_KEYS)

    @property
    def ego_timeline(self) -> bool:
        """Whether clip indices refer to the ego video (else the first exo video or a virtual timeline)."""
        return self.needs_ego_video or any(b.needs_video_timeline for b in self.extra_inputs)
