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

import warnings
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.data.clips import (
    CLIP_NUM_FRAMES,
    CLIP_SAMPLE_FPS,
    TEST_NUM_CLIPS,
    clip_frame_indices,
    frame_timestamps_us,
    test_clip_starts,
    train_clip_start,
)
from skillsight.data.extra_inputs import EXTRA_KEYS, extra_inputs_for
from skillsight.data.readers import aria, egoexo4d
from skillsight.data.readers.decoded_videos import DecodedVideoCache
from skillsight.data.readers.video import VideoInfo, decode_frames, probe_video
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS, Take
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.crops import crop_frames, gaze_crop_boxes
from skillsight.gaze.normalize import FAR_CLIP_M, normalize_clip_gaze
from skillsight.gaze.resample import DEFAULT_MAX_GAP_US, gaze_samples_at
from skillsight.gaze.tracks import DeviceCalibration, Gaze2DTrack, GazeTrack, Trajectory

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

#: Pixel normalisation of video frames (SkillSight / TimeSformer).
VIDEO_MEAN, VIDEO_STD = 0.45, 0.225
#: Pixel normalisation of crops: the ImageNet statistics DINOv2 was trained with.
CROP_MEAN = (0.485, 0.456, 0.406)
CROP_STD = (0.229, 0.224, 0.225)
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
_GAZE_KEYS = frozenset({"crops", "gaze", "gaze_mask", "gaze_channel_mask", "gaze2d", "gaze2d_mask"})
_EGO_KEYS = frozenset({"video", "crops"})
#: Trajectory rows kept around the take (the file may cover the whole capture).
_TRAJECTORY_MARGIN_US = 1_000_000


class TimelineWarning(UserWarning):
    """The gaze/video timeline anchor of a take is a guess (no timesync, gaze shorter than the video)."""


def timeline_anchor_us(take: Take, gaze: GazeTrack) -> int:
    """Device-clock time of timeline frame 0: the video start when known, else the first gaze sample."""
    return int(take.video_start_us) if take.video_start_us is not None else int(gaze.timestamps_us[0])


@dataclass(frozen=True)
class _GazeRecords:
    gaze: GazeTrack
    trajectory: Trajectory | None
    gaze2d: Gaze2DTrack | None
    calibration: DeviceCalibration | None


def _wrap_error(take: Take, path: Path, err: Exception) -> DataFormatError:
    where = f"take {take.take_uid} ({take.take_name})"
    if isinstance(err, DataFormatError):
        return DataFormatError(err.source, err.field, err.value, f"{where}: {err.reason}")
    return DataFormatError(path, "", str(err)[:80], f"{where}: cannot read file")


def _to_tensor_frames(frames: np.ndarray, mean, std) -> torch.Tensor:
    """(..., H, W, 3) uint8 -> (..., 3, H, W) float32 normalised."""
    x = torch.from_numpy(np.ascontiguousarray(frames)).float().div_(255.0)
    x = x.movedim(-1, -3)  # (..., 3, H, W)
    mean_t = torch.as_tensor(mean, dtype=torch.float32).reshape(-1, 1, 1)
    std_t = torch.as_tensor(std, dtype=torch.float32).reshape(-1, 1, 1)
    return ((x - mean_t) / std_t).contiguous()


class SkillClipDataset(Dataset):
    """Clips of takes, decoding only the declared inputs.

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
        wanted = tuple(dict.fromkeys([*input_names, *targets, "label"]))
        unknown = [n for n in wanted if n not in DATASET_KEYS]
        if unknown:
            raise ConfigError(f"SkillClipDataset cannot provide {unknown}; it provides {list(DATASET_KEYS)}")
        if mode not in ("train", "test"):
            raise ConfigError(f"mode must be 'train' or 'test', got {mode!r}")
        if int(num_clips) < 1 or int(frame_size_px) < 1 or int(crop_px) < 1:
            raise ConfigError(
                f"num_clips, frame_size_px and crop_px must be >= 1, got "
                f"{num_clips}, {frame_size_px}, {crop_px}"
            )
        if int(train_clips_per_take) < 1:
            raise ConfigError(f"train_clips_per_take must be >= 1, got {train_clips_per_take}")
        if not takes:
            raise ConfigError("SkillClipDataset got no takes")
        self.takes = list(takes)
        self.keys = frozenset(wanted)
        self.mode = mode
        self.num_clips = int(num_clips)
        self.frame_size_px = int(frame_size_px)
        self.crop_px = int(crop_px)
        self.crop_out_px = int(crop_out_px) if crop_out_px is not None else int(crop_px)
        self.seed = int(seed)
        self.num_frames = int(num_frames)
        self.sample_fps = float(sample_fps)
        self.gaze_timeline_fps = float(gaze_timeline_fps)
        self.far_clip_m = float(far_clip_m)
        self.gaze_max_gap_us = int(gaze_max_gap_us)
        self.allow_unlabelled = bool(allow_unlabelled)
        self.max_cached_takes = int(max_cached_takes)
        self.decoded_videos = decoded_videos
        self.input_options = dict(input_options or {})
        self._extra = extra_inputs_for(self.keys)
        self._ego_timeline = bool(self.keys & _EGO_KEYS) or any(b.needs_video_timeline for b in self._extra)
        self.train_clips_per_take = int(train_clips_per_take)
        self.epoch = 0
        self.action_index = self._action_index(action_vocab) if "action" in self.keys else {}
        self.num_exo_views = num_exo_views
        self._check_takes()
        self._records: OrderedDict[str, _GazeRecords] = OrderedDict()
        self._anchor_checked: set[str] = set()
        self._probes: dict[Path, VideoInfo] = {}

    # ----------------------------------------------------------------------------------- set-up
    @staticmethod
    def _action_index(vocab: Sequence[str] | Mapping[str, int] | None) -> dict[str, int]:
        if vocab is None:
            raise ConfigError("'action' was asked for but no action_vocab was given")
        if isinstance(vocab, Mapping):
            return {str(k): int(v) for k, v in vocab.items()}
        return {str(name): i for i, name in enumerate(vocab)}

    @property
    def needs_video(self) -> bool:
        """Whether any key needs a decoded video."""
        return bool(self.keys & (_EGO_KEYS | {"exo_video"}))

    @property
    def needs_gaze(self) -> bool:
        """Whether any key needs the gaze files."""
        return bool(self.keys & _GAZE_KEYS)

    def _exo_cameras(self, take: Take) -> list[str]:
        cams = take.exo_cameras
        if self.num_exo_views is None:
            return cams
        if len(cams) < self.num_exo_views:
            raise DataFormatError(
                take.take_uid,
                "video_paths",
                cams,
                f"take {take.take_name} has {len(cams)} exo views, {self.num_exo_views} needed",
            )
        return cams[: self.num_exo_views]

    def _check_takes(self) -> None:
        exo_counts = set()
        for take in self.takes:
            where = f"take {take.take_uid} ({take.take_name})"
            if take.label is None and not self.allow_unlabelled:
                raise DataFormatError(
                    take.take_uid, "label", None, f"{where} has no label (allow_unlabelled=False)"
                )
            if take.label is not None and not 0 <= int(take.label) < len(PROFICIENCY_LABELS):
                raise DataFormatError(
                    take.take_uid,
                    "label",
                    take.label,
                    f"{where}: label outside 0..{len(PROFICIENCY_LABELS) - 1}",
                )
            if "scenario" in self.keys and take.scenario not in SCENARIOS:
                raise DataFormatError(
                    take.take_uid, "scenario", take.scenario, f"{where}: not one of {list(SCENARIOS)}"
                )
            if "action" in self.keys and take.task_name not in self.action_index:
                raise DataFormatError(
                    take.take_uid,
                    "task_name",
                    take.task_name,
                    f"{where}: not in the action vocabulary {sorted(self.action_index)}",
                )
            paths: list[tuple[str, Path | None]] = [f for b in self._extra for f in b.files(take)]
            if self.keys & _EGO_KEYS:
                paths.append((f"video_paths[{take.ego_camera}]", take.video_paths.get(take.ego_camera)))
            if "exo_video" in self.keys:
                cams = self._exo_cameras(take)
                if not cams:
                    raise DataFormatError(
                        take.take_uid, "video_paths", sorted(take.video_paths), f"{where} has no exo video"
                    )
                exo_counts.add(len(cams))
                paths += [(f"video_paths[{c}]", take.video_paths[c]) for c in cams]
            if self.needs_gaze:
                paths.append(("gaze_path", take.gaze_path))
            for field_name, path in paths:
                if path is None or not Path(path).is_file():
                    raise DataFormatError(
                        path if path is not None else take.take_uid,
                        field_name,
                        path,
                        f"{where}: file missing but the inputs {sorted(self.keys)} need it",
                    )
        if len(exo_counts) > 1:
            raise ConfigError(
                f"takes have different numbers of exo views {sorted(exo_counts)}; set num_exo_views"
            )

    # ------------------------------------------------------------------------------ file access
    def _probe(self, take: Take, path: Path) -> VideoInfo:
        if path not in self._probes:
            self._probes[path] = self._read(take, path, probe_video)
        return self._probes[path]

    def _video_paths(self, take: Take) -> list[Path]:
        """Ego (if needed) then exo paths; the first one defines the timeline."""
        paths = [Path(take.video_paths[take.ego_camera])] if self._ego_timeline else []
        if "exo_video" in self.keys:
            paths += [Path(take.video_paths[c]) for c in self._exo_cameras(take)]
        return paths

    @staticmethod
    def _read(take: Take, path: Path, reader):
        try:
            return reader(Path(path))
        except (DataFormatError, OSError, ValueError) as err:
            raise _wrap_error(take, Path(path), err) from err

    def _gaze_records(self, take: Take) -> _GazeRecords:
        """The take's parsed gaze files (LRU-cached; the trajectory trimmed to the take)."""
        uid = take.take_uid
        if uid in self._records:
            self._records.move_to_end(uid)
            return self._records[uid]
        if take.gaze_path is None:
            raise DataFormatError(take.take_name, "gaze_path", None, f"take {uid} has no gaze file")
        gaze = self._read(take, take.gaze_path, aria.read_gaze_csv)
        if len(gaze) == 0:
            raise DataFormatError(
                take.gaze_path, "", 0, f"take {uid} ({take.take_name}): gaze file has no rows"
            )
        trajectory = None
        if take.trajectory_path is not None:
            full = self._read(take, take.trajectory_path, aria.read_trajectory_csv)
            t0 = min(int(gaze.timestamps_us[0]), timeline_anchor_us(take, gaze))
            end = max(int(gaze.timestamps_us[-1]), t0 + int((take.duration_sec or 0.0) * 1e6))
            ts = full.timestamps_us
            keep = (ts >= t0 - _TRAJECTORY_MARGIN_US) & (ts <= end + _TRAJECTORY_MARGIN_US)
            trajectory = Trajectory(
                full.timestamps_us[keep],
                full.t_world_device_m[keep],
                full.q_world_device_xyzw[keep],
                full.quality[keep],
                full.source,
            )
        gaze2d = (
            self._read(take, take.gaze2d_path, egoexo4d.read_gaze2d_csv)
            if take.gaze2d_path is not None
            else None
        )
        calibration = (
            self._read(take, take.calibration_path, aria.read_device_calibration)
            if take.calibration_path is not None
            else None
        )
        records = _GazeRecords(gaze, trajectory, gaze2d, calibration)
        self._records[uid] = records
        while len(self._records) > self.max_cached_takes:
            self._records.popitem(last=False)
        return records

    def _timeline(self, take: Take) -> tuple[int, float]:
        """(n_frames, fps) the clip indices refer to."""
        paths = self._video_paths(take)
        if paths:
            infos = [self._probe(take, p) for p in paths]
            n_frames, fps = min(i.n_frames for i in infos), infos[0].fps
            if self.needs_gaze and take.video_start_us is None:
                self._warn_if_anchor_is_a_guess(take, n_frames / fps)
            return n_frames, fps
        fps = self.gaze_timeline_fps
        duration_s = float(take.duration_sec) if take.duration_sec is not None else 0.0
        if duration_s <= 0:
            ts = self._gaze_records(take).gaze.timestamps_us
            duration_s = (int(ts[-1]) - int(ts[0])) / 1e6 + 1.0 / fps
        return max(1, int(np.floor(duration_s * fps + 1e-6))), fps

    def _warn_if_anchor_is_a_guess(self, take: Take, video_s: float) -> None:
        if take.take_uid in self._anchor_checked:
            return
        self._anchor_checked.add(take.take_uid)
        ts = self._gaze_records(take).gaze.timestamps_us
        gaze_s = (int(ts[-1]) - int(ts[0])) / 1e6
        if video_s - gaze_s > 1.0:
            warnings.warn(
                f"take {take.take_uid} ({take.take_name}): the gaze covers {gaze_s:.1f} s of a "
                f"{video_s:.1f} s video and no timesync gives the video start, so frame 0 is taken at "
                "the first gaze sample; "
                "if the gaze starts late, every frame is paired with later gaze (add "
                "captures/<capture>/timesync.csv and timesync_start_idx to anchor it)",
                TimelineWarning,
                stacklevel=4,
            )

    # ---------------------------------------------------------------------------------- sampling
    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose random clips train mode returns."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.takes) * (self.num_clips if self.mode == "test" else self.train_clips_per_take)

    def clip_plan(self, index: int) -> tuple[Take, int, np.ndarray, float]:
        """Which clip item ``index`` is: (take, clip_index (-1 in train mode), frame indices (T,), fps)."""
        if not 0 <= index < len(self):
            raise IndexError(f"index {index} out of range for {len(self)} items")
        if self.mode == "test":
            take_i, clip_index = divmod(index, self.num_clips)
        else:
            (take_i, draw), clip_index = divmod(index, self.train_clips_per_take), -1
        take = self.takes[take_i]
        n_frames, fps = self._timeline(take)
        if self.mode == "test":
            starts = test_clip_starts(n_frames, fps, self.num_frames, self.sample_fps, self.num_clips)
            start = int(starts[clip_index])
        else:
            # one clip per take keeps the seed sequence of the protocol's single draw
            key = [self.seed, self.epoch, take_i] + ([draw] if self.train_clips_per_take > 1 else [])
            rng = np.random.default_rng(key)
            start = train_clip_start(n_frames, fps, rng, self.num_frames, self.sample_fps)
        indices = clip_frame_indices(n_frames, fps, self.num_frames, self.sample_fps, start)
        return take, clip_index, indices, fps

    def _decode(self, take: Take, path: Path, indices: np.ndarray) -> np.ndarray:
        try:
            if self.decoded_videos is not None:
                return self.decoded_videos.frames(path, indices, self.frame_size_px)
            return decode_frames(path, indices, size=(self.frame_size_px, self.frame_size_px))
        except DataFormatError as err:
            raise _wrap_error(take, path, err) from err

    def __getitem__(self, index: int) -> dict:
        take, clip_index, indices, fps = self.clip_plan(index)
        item: dict = {
            "take_uid": take.take_uid,
            "clip_index": clip_index,
            "clip_start": int(indices[0]),
            "label": torch.tensor(-1 if take.label is None else int(take.label), dtype=torch.long),
        }
        if "scenario" in self.keys:
            item["scenario"] = torch.tensor(SCENARIOS.index(take.scenario), dtype=torch.long)
        if "action" in self.keys:
            item["action"] = torch.tensor(self.action_index[take.task_name], dtype=torch.long)
        norm = None
        if self.needs_gaze:
            rec = self._gaze_records(take)
            query_us = frame_timestamps_us(indices, fps, timeline_anchor_us(take, rec.gaze))
            samples = gaze_samples_at(
                rec.gaze,
                query_us,
                rec.trajectory,
                rec.gaze2d,
                rec.calibration,
                max_gap_us=self.gaze_max_gap_us,
            )
            norm = normalize_clip_gaze(samples, far_clip_m=self.far_clip_m)
            arrays = {
                "gaze": norm.gaze,
                "gaze_mask": norm.mask,
                "gaze_channel_mask": norm.channel_mask,
                "gaze2d": norm.gaze2d,
                "gaze2d_mask": norm.gaze2d_mask,
            }
            item.update({k: torch.from_numpy(v) for k, v in arrays.items() if k in self.keys})
        if self.keys & _EGO_KEYS:
            path = Path(take.video_paths[take.ego_camera])
            frames = self._decode(take, path, indices)  # (T, S, S, 3) uint8
            if "video" in self.keys:
                item["video"] = _to_tensor_frames(frames, VIDEO_MEAN, VIDEO_STD)
            if "crops" in self.keys:
                assert norm is not None  # "crops" is a gaze key: needs_gaze normalised the clip's gaze above
                boxes = gaze_crop_boxes(norm.gaze2d, frames.shape[1:3], self.crop_px)  # (T, 4)
                crops = crop_frames(frames, boxes, self.crop_out_px)  # (T, c, c, 3)
                item["crops"] = _to_tensor_frames(crops, CROP_MEAN, CROP_STD)
        if "exo_video" in self.keys:
            views = [self._decode(take, Path(take.video_paths[c]), indices) for c in self._exo_cameras(take)]
            item["exo_video"] = _to_tensor_frames(np.stack(views), VIDEO_MEAN, VIDEO_STD)  # (V, T, 3, S, S)
        for builder in self._extra:
            item.update(builder.build(self, take, indices, fps))
        return item

    # ------------------------------------------------------------ for the extra-input builders
    def gaze_records(self, take: Take) -> _GazeRecords:
        """The take's parsed gaze, trajectory, 2D gaze and calibration (LRU-cached)."""
        return self._gaze_records(take)

    def ego_video_tensor(self, take: Take, indices: np.ndarray) -> torch.Tensor:
        """Ego frames at ``indices``, normalised like ``video``: (len(indices), 3, S, S) float32."""
        frames = self._decode(take, Path(take.video_paths[take.ego_camera]), indices)
        return _to_tensor_frames(frames, VIDEO_MEAN, VIDEO_STD)

    def read_take_file(self, take: Take, path: Path, reader):
        """``reader(path)``, its errors wrapped to name the take."""
        return self._read(take, path, reader)
