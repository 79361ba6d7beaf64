"""A take's files as a dataset reads them: parsed gaze records, video probes, the timeline, decoded frames.

:class:`TakeReader` opens each file at most once per take (gaze records are kept in an LRU of
``max_cached_takes`` takes, video probes for the dataset's life) and wraps every reader error into a
:class:`skillsight.exceptions.DataFormatError` that names the take.

Timeline: clip frame indices refer to the ego video (or the first exo video) when a video is needed;
views share the same indices (clamped to the shortest view). Without video a virtual timeline at
``gaze_timeline_fps`` over ``take.duration_sec`` is used (the gaze track's span when the duration is
unknown), so its clips cover the same times. Gaze timestamps are anchored at
:func:`timeline_anchor_us`; a take whose anchor is a guess warns once (:class:`TimelineWarning`).
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

from skillsight.data.readers import aria, egoexo4d
from skillsight.data.readers.decoded_videos import DecodedVideoCache
from skillsight.data.readers.video import VideoInfo, decode_frames, probe_video
from skillsight.data.records import Take
from skillsight.data.sample_spec import SampleSpec
from skillsight.exceptions import DataFormatError
from skillsight.gaze.tracks import DeviceCalibration, Gaze2DTrack, GazeTrack, Trajectory

__all__ = ["GazeRecords", "TakeReader", "TimelineWarning", "exo_cameras", "timeline_anchor_us"]

#: Trajectory rows kept around the take (the file may cover the whole capture).
_TRAJECTORY_MARGIN_US = 1_000_000
_T = TypeVar("_T")


class TimelineWarning(UserWarning):
    """The gaze/video timeline anchor of a take is a guess (no timesync, gaze shorter than the video)."""


def timeline_anchor_us(take: Take, gaze: GazeTrack) -> int:
    """Device-clock time of timeline frame 0: the video start when known, else the first gaze sample."""
    return int(take.video_start_us) if take.video_start_us is not None else int(gaze.timestamps_us[0])


@dataclass(frozen=True)
class GazeRecords:
    """A take's parsed gaze files (the trajectory trimmed to the take)."""

    gaze: GazeTrack
    trajectory: Trajectory | None
    gaze2d: Gaze2DTrack | None
    calibration: DeviceCalibration | None


def _wrap_error(take: Take, path: Path, err: Exception) -> DataFormatError:
    where = f"take {take.take_uid} ({take.take_name})"
    if isinstance(err, DataFormatError):
        return DataFormatError(err.source, err.field, err.value, f"{where}: {err.reason}")
    return DataFormatError(path, "", str(err)[:80], f"{where}: cannot read file")


def exo_cameras(take: Take, num_exo_views: int | None) -> list[str]:
    """The exo cameras an item uses: all (sorted), or the first ``num_exo_views``; too few raise."""
    cams = take.exo_cameras
    if num_exo_views is None:
        return cams
    if len(cams) < num_exo_views:
        raise DataFormatError(
            take.take_uid,
            "video_paths",
            cams,
            f"take {take.take_name} has {len(cams)} exo views, {num_exo_views} needed",
        )
    return cams[:num_exo_views]


class TakeReader:
    """File access of a clip dataset (see the module docstring).

    Args:
        spec: the dataset's keys and protocol.
        max_cached_takes: takes whose parsed gaze/trajectory files stay in memory (LRU).
        decoded_videos: serve frames from this cache of whole decoded videos instead of seeking.
    """

    def __init__(
        self, spec: SampleSpec, max_cached_takes: int = 256, decoded_videos: DecodedVideoCache | None = None
    ) -> None:
        self.spec = spec
        self.max_cached_takes = int(max_cached_takes)
        self.decoded_videos = decoded_videos
        self._records: OrderedDict[str, GazeRecords] = OrderedDict()
        self._anchor_checked: set[str] = set()
        self._probes: dict[Path, VideoInfo] = {}
        # frames every clip of the current take needs, per video: (sorted frame indices, (U, S, S, 3))
        self._take_frames: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._take_frames_uid: str | None = None

    @staticmethod
    def read(take: Take, path: Path, reader: Callable[[Path], _T]) -> _T:
        """``reader(path)``, its errors wrapped to name the take."""
        try:
            return reader(Path(path))
        except (DataFormatError, OSError, ValueError) as err:
            raise _wrap_error(take, Path(path), err) from err

    def probe(self, take: Take, path: Path) -> VideoInfo:
        """The video's frame count, rate and size (probed once)."""
        if path not in self._probes:
            self._probes[path] = self.read(take, path, probe_video)
        return self._probes[path]

    def video_paths(self, take: Take) -> list[Path]:
        """Ego (if needed) then exo paths; the first one defines the timeline."""
        paths = [Path(take.video_paths[take.ego_camera])] if self.spec.ego_timeline else []
        if "exo_video" in self.spec.keys:
            paths += [Path(take.video_paths[c]) for c in exo_cameras(take, self.spec.num_exo_views)]
        return paths

    def gaze_records(self, take: Take) -> GazeRecords:
        """The take's parsed gaze, trajectory, 2D gaze and calibration (LRU-cached)."""
        uid = take.take_uid
        if uid in self._records:
            self._records.move_to_end(uid)
            return self._records[uid]
        if take.gaze_path is None:
            raise DataFormatError(take.take_name, "gaze_path", None, f"take {uid} has no gaze file")
        gaze = self.read(take, take.gaze_path, aria.read_gaze_csv)
        if len(gaze) == 0:
            raise DataFormatError(
                take.gaze_path, "", 0, f"take {uid} ({take.take_name}): gaze file has no rows"
            )
        trajectory = None
        if take.trajectory_path is not None:
            full = self.read(take, take.trajectory_path, aria.read_trajectory_csv)
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
            self.read(take, take.gaze2d_path, egoexo4d.read_gaze2d_csv)
            if take.gaze2d_path is not None
            else None
        )
        calibration = (
            self.read(take, take.calibration_path, aria.read_device_calibration)
            if take.calibration_path is not None
            else None
        )
        records = GazeRecords(gaze, trajectory, gaze2d, calibration)
        self._records[uid] = records
        while len(self._records) > self.max_cached_takes:
            self._records.popitem(last=False)
        return records

    def timeline(self, take: Take) -> tuple[int, float]:
        """(n_frames, fps) the clip indices of ``take`` refer to."""
        paths = self.video_paths(take)
        if paths:
            infos = [self.probe(take, p) for p in paths]
            n_frames, fps = min(i.n_frames for i in infos), infos[0].fps
            if self.spec.needs_gaze and take.video_start_us is None:
                self._warn_if_anchor_is_a_guess(take, n_frames / fps)
            return n_frames, fps
        fps = self.spec.gaze_timeline_fps
        duration_s = float(take.duration_sec) if take.duration_sec is not None else 0.0
        if duration_s <= 0:
            ts = self.gaze_records(take).gaze.timestamps_us
            duration_s = (int(ts[-1]) - int(ts[0])) / 1e6 + 1.0 / fps
        return max(1, int(np.floor(duration_s * fps + 1e-6))), fps

    def _warn_if_anchor_is_a_guess(self, take: Take, video_s: float) -> None:
        if take.take_uid in self._anchor_checked:
            return
        self._anchor_checked.add(take.take_uid)
        ts = self.gaze_records(take).gaze.timestamps_us
        gaze_s = (int(ts[-1]) - int(ts[0])) / 1e6
        if video_s - gaze_s > 1.0:
            warnings.warn(
                f"take {take.take_uid} ({take.take_name}): the gaze covers {gaze_s:.1f} s of a "
                f"{video_s:.1f} s video and no timesync gives the video start, so frame 0 is taken at "
                "the first gaze sample; "
                "if the gaze starts late, every frame is paired with later gaze (add "
                "captures/<capture>/timesync.csv and timesync_start_idx to anchor it)",
                TimelineWarning,
                stacklevel=5,
            )

    def decode_clip(
        self, take: Take, path: Path, indices: np.ndarray, take_indices: np.ndarray | None
    ) -> np.ndarray:
        """Frames ``indices`` of one clip, from ONE decoding pass over all the take's clips.

        ``take_indices`` are the sorted frame indices of every clip of the take (test mode: its
        evaluation clips). The first clip of a take decodes all of them in one
        :func:`~skillsight.data.readers.video.decode_frames` call (sorted, so the video is read
        front to back once, seeking only over gaps); the other clips are served from those frames.
        Only the current take's frames are kept. Without ``take_indices``, or with a whole-video
        cache, this is :meth:`decode`; the frames are identical either way.
        """
        if take_indices is None or self.decoded_videos is not None:
            return self.decode(take, path, indices)
        if self._take_frames_uid != take.take_uid:
            self._take_frames, self._take_frames_uid = {}, take.take_uid
        held = self._take_frames.get(str(path))
        if held is None or not np.array_equal(held[0], take_indices):
            held = (take_indices, self.decode(take, path, take_indices))
            self._take_frames[str(path)] = held
        pos = np.minimum(np.searchsorted(held[0], indices), len(held[0]) - 1)
        if not np.array_equal(held[0][pos], indices):  # a frame outside the take's clips
            return self.decode(take, path, indices)
        return held[1][pos]  # (T, S, S, 3)

    def __getstate__(self) -> dict:
        """Pickled (into DataLoader workers) without the held frames: each process decodes its own."""
        state = dict(self.__dict__)
        state["_take_frames"], state["_take_frames_uid"] = {}, None
        return state

    def decode(self, take: Take, path: Path, indices: np.ndarray) -> np.ndarray:
        """(T, S, S, 3) uint8 frames ``indices`` of ``path`` at the spec's frame size."""
        size = self.spec.frame_size_px
        try:
            if self.decoded_videos is not None:
                return self.decoded_videos.frames(path, indices, size)
            return decode_frames(path, indices, size=(size, size))
        except DataFormatError as err:
            raise _wrap_error(take, path, err) from err
