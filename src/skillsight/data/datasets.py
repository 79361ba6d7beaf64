"""Torch dataset of SkillSight clips that loads only what a model declares as its inputs.

One item is one clip of one take (16 frames at 2 fps, see :mod:`skillsight.data.clips`):

* train mode: one random clip per take per epoch (the protocol; ``train_clips_per_take`` > 1 draws
  that many, item ``i`` = take ``i // k``), drawn from ``(seed, epoch, take index[, draw])`` so it
  is reproducible and independent of DataLoader workers (call :meth:`SkillClipDataset.set_epoch`
  each epoch; with ``persistent_workers=True`` the workers keep the epoch they were started with);
* test mode: ``num_clips`` evenly spaced clips per take, item ``i`` = take ``i // num_clips``,
  clip ``i % num_clips`` (so logits can be averaged per take).

Item keys (only those a model asks for are computed; a gaze-only model never opens a video):

=============  ==========================  ==================================================
key            value                       loaded from
=============  ==========================  ==================================================
video          (T, 3, H, W) float32         ego MP4, mean/std 0.45/0.225
exo_video      (V, T, 3, H, W) float32      exo MP4s (sorted camera ids), same frame indices
crops          (T, 3, c, c) float32         gaze-centred crops of the ego frames, ImageNet
                                            mean/std (what the frozen DINOv2 expects)
gaze           (T, 14) float32              :func:`skillsight.gaze.normalize.normalize_clip_gaze`;
                                            unobserved channels hold neutral values (0, identity
                                            quaternion), never NaN/inf
gaze_mask      (T,) bool                    True where the gaze (yaw/pitch) of the step was observed
gaze_channel_  (T, 14) bool                 True where that CHANNEL of the step was observed: a
mask                                        step can have gaze without head pose (trajectory gap)
                                            or depth; models read it (a missing pose is not a
                                            static head)
gaze2d         (T, 2) float32               2D gaze in [0, 1] (image centre where unknown, only so
                                            that crop boxes stay defined)
gaze2d_mask    (T,) bool                    True where the 2D gaze was observed; the teacher's gaze
                                            prior reads it (no prior where it is False)
scenario       () int64                     index into :data:`skillsight.data.records.SCENARIOS`
action         () int64                     ``task_name`` index in the given vocabulary
label          () int64                     proficiency class (always present; -1 unlabelled)
take_uid       str, clip_index int (-1 in train mode), clip_start int (first frame index)
=============  ==========================  ==================================================

Further keys (``sparse_frames``, ``head_motion``/``head_motion_mask``, ``audio``) come from the small
builders of :mod:`skillsight.data.extra_inputs`, with options from ``input_options``.

Timeline: clip frame indices refer to the ego video (or the first exo video) when a video is
needed; views share the same indices (clamped to the shortest view). A model without video uses a
virtual timeline at ``gaze_timeline_fps`` (30, the Ego-Exo4D frame rate) over ``take.duration_sec``
(the gaze track's span when the duration is unknown), so its clips cover the same times.
Frames of every view are resized to ``frame_size_px`` squares (16:9 exo views are squashed, not
cropped). Gaze timestamps (the timeline anchor): frame 0 is at ``take.video_start_us`` (the
capture's timesync, see :func:`skillsight.data.readers.egoexo4d.load_takes`) when known, so gaze that
starts 3 s after the video leaves the first 3 s of steps masked instead of pairing frame 0 with gaze
from 3 s later; without it frame 0 is taken to be at the first gaze sample (trimmed Ego-Exo4D gaze
starts with the take, as the frame-aligned videos do), and a take whose gaze covers more than 1 s
less than its video warns (:class:`TimelineWarning`), because the anchor is then a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.data.clip_planner import ClipPlanner
from skillsight.data.clips import CLIP_NUM_FRAMES, CLIP_SAMPLE_FPS, TEST_NUM_CLIPS
from skillsight.data.item_builders import (
    CROP_MEAN,
    CROP_STD,
    VIDEO_MEAN,
    VIDEO_STD,
    clip_gaze,
    crops_item,
    exo_video_item,
    gaze_items,
    target_items,
    video_item,
)
from skillsight.data.readers.decoded_videos import DecodedVideoCache
from skillsight.data.records import Take
from skillsight.data.sample_spec import DATASET_KEYS, SampleSpec
from skillsight.data.take_checks import check_takes
from skillsight.data.take_reader import (
    GazeRecords,
    TakeReader,
    TimelineWarning,
    exo_cameras,
    timeline_anchor_us,
)
from skillsight.exceptions import ConfigError
from skillsight.gaze.normalize import FAR_CLIP_M
from skillsight.gaze.resample import DEFAULT_MAX_GAP_US

__all__ = [
    "CROP_MEAN",
    "CROP_STD",
    "DATASET_KEYS",
    "VIDEO_MEAN",
    "VIDEO_STD",
    "SkillClipDataset",
    "TimelineWarning",
    "timeline_anchor_us",
]

_T = TypeVar("_T")


class SkillClipDataset(Dataset):
    """Clips of takes, decoding only the declared inputs.

    The pieces: a :class:`~skillsight.data.sample_spec.SampleSpec` (keys and protocol), a
    :class:`~skillsight.data.clip_planner.ClipPlanner` (item -> clip), a
    :class:`~skillsight.data.take_reader.TakeReader` (files, decoding) and the key builders of
    :mod:`skillsight.data.item_builders` and :mod:`skillsight.data.extra_inputs`.

    Args:
        takes: the takes (from :func:`skillsight.data.readers.egoexo4d.load_takes` or the synthetic data).
        input_names: keys the model consumes (see the module table); unknown names raise.
        mode: "train" (one random clip per take per epoch) or "test" (``num_clips`` per take).
        num_clips: test clips per take.
        frame_size_px: side of the (square) decoded video frames.
        crop_px: side of the gaze-centred crop, in pixels of the decoded frame.
        crop_out_px: side the crops are resized to (None -> ``crop_px``).
        seed: seed of the train-mode clip draws.
        action_vocab: task names (or name -> index) for the "action" key; required when asked for.
        targets: keys the task needs besides the inputs ("label" is always returned).
        num_frames, sample_fps: clip protocol (16 frames at 2 fps).
        num_exo_views: exo views per item (first N sorted camera ids); None -> every exo camera,
            which must then be the same number in every take.
        gaze_timeline_fps: frame rate of the virtual timeline of video-free models.
        far_clip_m: far clip of the gaze normalisation.
        gaze_max_gap_us: longest gaze gap bridged by interpolation.
        allow_unlabelled: give unlabelled takes label -1 instead of raising.
        max_cached_takes: takes whose parsed gaze/trajectory files stay in memory (LRU).
        decoded_videos: serve frames from this cache of whole decoded videos (small videos revisited
            every epoch) instead of seeking in the file for every clip; None = seek.
        input_options: options of the extra-input builders (:mod:`skillsight.data.extra_inputs`), as a
            model declares them in ``model.input_options``.
        train_clips_per_take: random clips per take per epoch in train mode (protocol: 1).
    """

    def __init__(
        self,
        takes: Sequence[Take],
        input_names: Sequence[str],
        mode: str = "train",
        num_clips: int = TEST_NUM_CLIPS,
        frame_size_px: int = 448,
        crop_px: int = 224,
        crop_out_px: int | None = None,
        seed: int = 0,
        action_vocab: Sequence[str] | Mapping[str, int] | None = None,
        targets: Sequence[str] = ("label",),
        num_frames: int = CLIP_NUM_FRAMES,
        sample_fps: float = CLIP_SAMPLE_FPS,
        num_exo_views: int | None = None,
        gaze_timeline_fps: float = 30.0,
        far_clip_m: float = FAR_CLIP_M,
        gaze_max_gap_us: int = DEFAULT_MAX_GAP_US,
        allow_unlabelled: bool = False,
        max_cached_takes: int = 256,
        decoded_videos: DecodedVideoCache | None = None,
        input_options: Mapping[str, Any] | None = None,
        train_clips_per_take: int = 1,
    ) -> None:
        keys = SampleSpec.resolve_keys(input_names, targets)
        if mode not in ("train", "test"):
            raise ConfigError(f"mode must be 'train' or 'test', got {mode!r}")
        if int(num_clips) < 1 or int(frame_size_px) < 1 or int(crop_px) < 1:
            raise ConfigError(
                f"num_clips, frame_size_px and crop_px must be >= 1, got "
                f"{num_clips}, {frame_size_px}, {crop_px}"
            )
        if not takes:
            raise ConfigError("SkillClipDataset got no takes")
        self.spec = SampleSpec(
            keys=keys,
            num_frames=int(num_frames),
            sample_fps=float(sample_fps),
            frame_size_px=int(frame_size_px),
            crop_px=int(crop_px),
            crop_out_px=int(crop_out_px) if crop_out_px is not None else int(crop_px),
            num_exo_views=num_exo_views,
            gaze_timeline_fps=float(gaze_timeline_fps),
            far_clip_m=float(far_clip_m),
            gaze_max_gap_us=int(gaze_max_gap_us),
            input_options=dict(input_options or {}),
        )
        self.takes = list(takes)
        self.planner = ClipPlanner(
            len(self.takes),
            mode,
            int(num_clips),
            int(seed),
            num_frames,
            sample_fps,
            int(train_clips_per_take),
        )
        self.reader = TakeReader(self.spec, int(max_cached_takes), decoded_videos)
        self.allow_unlabelled = bool(allow_unlabelled)
        self.epoch = 0
        self.action_index = self._action_index(action_vocab) if "action" in keys else {}
        check_takes(self.takes, self.spec, self.action_index, self.allow_unlabelled)

    # ----------------------------------------------------------------------------------- set-up
    @staticmethod
    def _action_index(vocab: Sequence[str] | Mapping[str, int] | None) -> dict[str, int]:
        if vocab is None:
            raise ConfigError("'action' was asked for but no action_vocab was given")
        if isinstance(vocab, Mapping):
            return {str(k): int(v) for k, v in vocab.items()}
        return {str(name): i for i, name in enumerate(vocab)}

    # The protocol, read-only, under the names callers (and the extra builders) use.
    @property
    def keys(self) -> frozenset[str]:
        """Every key an item carries."""
        return self.spec.keys

    @property
    def mode(self) -> str:
        """ "train" or "test"."""
        return self.planner.mode

    @property
    def num_clips(self) -> int:
        """Test clips per take."""
        return self.planner.num_clips

    @property
    def train_clips_per_take(self) -> int:
        """Random clips per take per epoch in train mode."""
        return self.planner.train_clips_per_take

    @property
    def seed(self) -> int:
        """Seed of the train-mode clip draws."""
        return self.planner.seed

    @property
    def num_frames(self) -> int:
        """Frames (gaze steps) per clip."""
        return self.spec.num_frames

    @property
    def sample_fps(self) -> float:
        """Clip frames per second."""
        return self.spec.sample_fps

    @property
    def frame_size_px(self) -> int:
        """Side of the decoded frames."""
        return self.spec.frame_size_px

    @property
    def input_options(self) -> Mapping[str, Any]:
        """Options of the extra-input builders."""
        return self.spec.input_options

    @property
    def max_cached_takes(self) -> int:
        """Takes whose parsed files stay in memory."""
        return self.reader.max_cached_takes

    @property
    def decoded_videos(self) -> DecodedVideoCache | None:
        """The whole-video cache frames are served from, if any."""
        return self.reader.decoded_videos

    @property
    def needs_video(self) -> bool:
        """Whether any key needs a decoded video."""
        return self.spec.needs_video

    @property
    def needs_gaze(self) -> bool:
        """Whether any key needs the gaze files."""
        return self.spec.needs_gaze

    # ---------------------------------------------------------------------------------- sampling
    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose random clips train mode returns."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.planner)

    def clip_plan(self, index: int) -> tuple[Take, int, np.ndarray, float]:
        """Which clip item ``index`` is: (take, clip_index (-1 in train mode), frame indices (T,), fps)."""
        slot = self.planner.slot(index)
        take = self.takes[slot.take_index]
        n_frames, fps = self.reader.timeline(take)
        return take, slot.clip_index, self.planner.frame_indices(slot, n_frames, fps, self.epoch), fps

    def _take_frame_indices(self, index: int) -> np.ndarray | None:
        """Test mode: every frame index of the test clips of item ``index``'s take (decoded in one pass)."""
        slot = self.planner.slot(index)
        n_frames, fps = self.reader.timeline(self.takes[slot.take_index])
        return self.planner.take_frame_indices(slot.take_index, n_frames, fps)

    def __getitem__(self, index: int) -> dict:
        take, clip_index, indices, fps = self.clip_plan(index)
        keys = self.spec.keys
        item: dict = {"take_uid": take.take_uid, "clip_index": clip_index, "clip_start": int(indices[0])}
        item.update(target_items(take, keys, self.action_index))
        norm = None
        if self.spec.needs_gaze:
            norm = clip_gaze(take, self.reader.gaze_records(take), indices, fps, self.spec)
            item.update(gaze_items(norm, keys))
        take_indices = self._take_frame_indices(index) if self.spec.needs_video else None
        if self.spec.needs_ego_video:
            frames = self.reader.decode_clip(
                take, Path(take.video_paths[take.ego_camera]), indices, take_indices
            )  # (T, S, S, 3)
            if "video" in keys:
                item["video"] = video_item(frames)
            if "crops" in keys:
                assert norm is not None  # "crops" is a gaze key: needs_gaze normalised the clip's gaze above
                item["crops"] = crops_item(frames, norm.gaze2d, self.spec.crop_px, self.spec.crop_out_px)
        if "exo_video" in keys:
            cams = exo_cameras(take, self.spec.num_exo_views)
            item["exo_video"] = exo_video_item(
                [
                    self.reader.decode_clip(take, Path(take.video_paths[c]), indices, take_indices)
                    for c in cams
                ]
            )  # (V, T, 3, S, S)
        for builder in self.spec.extra_inputs:
            item.update(builder.build(self, take, indices, fps))
        return item

    # ------------------------------------------------------------ for the extra-input builders
    def gaze_records(self, take: Take) -> GazeRecords:
        """The take's parsed gaze, trajectory, 2D gaze and calibration (LRU-cached)."""
        return self.reader.gaze_records(take)

    def ego_video_tensor(self, take: Take, indices: np.ndarray) -> torch.Tensor:
        """Ego frames at ``indices``, normalised like ``video``: (len(indices), 3, S, S) float32."""
        return video_item(self.reader.decode(take, Path(take.video_paths[take.ego_camera]), indices))

    def read_take_file(self, take: Take, path: Path, reader: Callable[[Path], _T]) -> _T:
        """``reader(path)``, its errors wrapped to name the take."""
        return self.reader.read(take, path, reader)
