"""Video I/O with PyAV: probe, decode only the frames a clip needs, and write small test videos.

Frame ``i`` of a video is the frame whose presentation timestamp is ``start + i / fps``
(constant frame rate, as Ego-Exo4D frame-aligned MP4s are). :func:`decode_frames` seeks to the
keyframe before the first frame it needs and decodes forward; between two requested frames it
seeks again only when a keyframe is expected in between (the GOP length is learnt while decoding),
so a 16-frame clip of a long take costs a few GOPs, never the whole video.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from skillsight.data.readers.audio import add_audio_stream, check_audio_samples, encode_audio
from skillsight.exceptions import DataFormatError

__all__ = ["VideoInfo", "decode_all_frames", "decode_frames", "probe_video", "write_video"]

#: Without any GOP knowledge, a gap larger than this many frames triggers a seek.
_DEFAULT_SEEK_GAP_FRAMES = 16


@dataclass(frozen=True)
class VideoInfo:
    """What a clip sampler needs to know about a video.

    Attributes:
        n_frames: number of frames (from the container index; counted by demuxing if absent).
        fps: average frame rate (frames per second).
        width_px, height_px: decoded frame size.
        duration_s: ``n_frames / fps``.
    """

    n_frames: int
    fps: float
    width_px: int
    height_px: int
    duration_s: float


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise DataFormatError(path, "", str(path), "video file does not exist")
    try:
        container = av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError) as err:
        raise DataFormatError(path, "", str(path), f"cannot open video: {err}") from err
    if not container.streams.video:
        container.close()
        raise DataFormatError(path, "streams", 0, "file has no video stream")
    return container


def _fps(stream: av.video.stream.VideoStream, path: Path) -> float:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    if rate is None or float(rate) <= 0:
        raise DataFormatError(path, "fps", rate, "video stream has no frame rate")
    return float(rate)


def probe_video(path: str | Path) -> VideoInfo:
    """Read frame count, frame rate and size of the first video stream.

    Args:
        path: video file.

    Returns:
        VideoInfo.

    Raises:
        DataFormatError: missing or unreadable file, no video stream, no frames.
    """
    path = Path(path)
    container = _open(path)
    try:
        stream = container.streams.video[0]
        fps = _fps(stream, path)
        n_frames = int(stream.frames or 0)
        if n_frames <= 0:  # container without a frame count: count packets (no decoding)
            try:
                n_frames = sum(1 for p in container.demux(stream) if p.size > 0)
            except av.FFmpegError as err:
                raise DataFormatError(path, "", str(path), f"cannot demux video: {err}") from err
        width, height = int(stream.codec_context.width), int(stream.codec_context.height)
    finally:
        container.close()
    if n_frames <= 0 or width <= 0 or height <= 0:
        raise DataFormatError(path, "n_frames", n_frames, "video has no frames or no size")
    return VideoInfo(n_frames=n_frames, fps=fps, width_px=width, height_px=height, duration_s=n_frames / fps)


class _SeekingDecoder:
    """Decodes frames in increasing index order, seeking forward when that saves decoding."""

    def __init__(self, container, path: Path) -> None:
        self.container = container
        self.path = path
        self.stream = container.streams.video[0]
        self.fps = _fps(self.stream, path)
        self.time_base = self.stream.time_base
        self.start_pts = int(self.stream.start_time or 0)
        self.frames: Iterator = iter(())  # the decode iterator, (re)started by _seek
        self.last_index = -1  # index of the last decoded frame (-1: nothing decoded since seek)
        self.last_key = -1  # index of the last keyframe decoded
        self.gop: int | None = None  # learnt keyframe spacing (frames)
        self.n_decoded = 0  # frames decoded in total (for tests and benchmarks)
        self.n_seeks = 0

    def _index(self, frame) -> int:
        if frame.pts is None:
            raise DataFormatError(self.path, "pts", None, "decoded frame has no timestamp")
        return round(float((frame.pts - self.start_pts) * self.time_base) * self.fps)

    def _pts(self, index: int) -> int:
        return self.start_pts + round(index / self.fps / float(self.time_base))

    def _seek(self, index: int) -> None:
        self.container.seek(max(self._pts(index), self.start_pts), stream=self.stream, backward=True)
        self.frames = self.container.decode(self.stream)
        self.last_index = -1
        self.n_seeks += 1

    def _next(self, target: int):
        try:
            frame = next(self.frames)
        except StopIteration:
            raise DataFormatError(
                self.path,
                "frame_index",
                target,
                "video ended before this frame (index past the end or truncated file)",
            ) from None
        except av.FFmpegError as err:
            raise DataFormatError(self.path, "frame_index", target, f"cannot decode video: {err}") from err
        index = self._index(frame)
        self.n_decoded += 1
        if frame.key_frame:
            if self.last_key >= 0 and index > self.last_key and self.last_index >= 0:
                self.gop = max(self.gop or 0, index - self.last_key)
            self.last_key = index
        return frame, index

    def _should_seek(self, target: int) -> bool:
        if self.last_index < 0:
            return True
        if self.gop is not None:
            return self.last_key + self.gop <= target  # a keyframe is expected in (last, target]
        return target - self.last_index > _DEFAULT_SEEK_GAP_FRAMES

    def _seek_to(self, target: int):
        """Seek so that the next decoded frame is at or before ``target``; return that frame."""
        margin = 0
        before = self.last_index
        while True:
            self._seek(target - margin)
            frame, index = self._next(target)
            if index <= target or target - margin <= 0:
                break
            margin = max(2 * margin, self.gop or _DEFAULT_SEEK_GAP_FRAMES)  # landed past it: back off
        if 0 <= index <= before:  # seek landed no further than we were: no keyframe in between
            self.gop = max(self.gop or 0, target - index + 1)
        self.last_key = index
        return frame, index

    def frame_at(self, target: int):
        """Return the decoded frame with index ``target`` (targets must increase)."""
        if self._should_seek(target):
            frame, index = self._seek_to(target)
        else:
            frame, index = self._next(target)
        while index < target:
            self.last_index = index
            frame, index = self._next(target)
        self.last_index = index
        if index != target:
            raise DataFormatError(
                self.path,
                "frame_index",
                target,
                f"frame missing from the stream (next decoded frame is {index})",
            )
        return frame


class _RgbConverter:
    """Frame -> (H, W, 3) uint8 RGB, bilinear resize to ``size`` (height_px, width_px) if given.

    One reformatter (swscale context) serves every frame of a video: ``frame.to_ndarray(format=...)``
    builds a new one per frame, which cost 3x the conversion itself at 64 px (identical pixels).
    """

    def __init__(self, size: tuple[int, int] | None) -> None:
        self.height: int | None = None if size is None else int(size[0])
        self.width: int | None = None if size is None else int(size[1])
        self.reformatter = VideoReformatter()

    def __call__(self, frame: av.VideoFrame) -> np.ndarray:
        rgb = self.reformatter.reformat(
            frame, format="rgb24", width=self.width, height=self.height, interpolation="BILINEAR"
        )
        return rgb.to_ndarray()


def decode_frames(
    path: str | Path, frame_indices: Sequence[int] | np.ndarray, size: tuple[int, int] | None = None
) -> np.ndarray:
    """Decode the frames with the given indices.

    Args:
        path: video file.
        frame_indices: (T,) frame indices in any order; repeats allowed.
        size: (height_px, width_px) to resize every frame to, or None for the stored size.

    Returns:
        (T, H, W, 3) uint8 RGB frames in the requested order.

    Raises:
        DataFormatError: unreadable or truncated file, negative index or index past the end
            (the message names the file and the frame index).
    """
    path = Path(path)
    indices = np.asarray(frame_indices, dtype=np.int64).reshape(-1)
    if indices.size == 0:
        raise DataFormatError(path, "frame_indices", [], "no frame requested")
    if indices.min() < 0:
        raise DataFormatError(path, "frame_index", int(indices.min()), "negative frame index")
    if size is not None and (len(size) != 2 or min(size) <= 0):
        raise DataFormatError(path, "size", size, "size must be (height_px, width_px) > 0")
    wanted = np.unique(indices)  # sorted
    container = _open(path)
    try:
        stream = container.streams.video[0]
        n_frames = int(stream.frames or 0)
        if n_frames > 0 and wanted[-1] >= n_frames:
            raise DataFormatError(
                path, "frame_index", int(wanted[-1]), f"index past the end of a {n_frames}-frame video"
            )
        decoder = _SeekingDecoder(container, path)
        to_rgb = _RgbConverter(size)
        decoded = [to_rgb(decoder.frame_at(target)) for target in wanted.tolist()]
    finally:
        container.close()
    unique_frames = np.stack(decoded)  # (U, H, W, 3)
    return unique_frames[np.searchsorted(wanted, indices)]  # (T, H, W, 3)


def decode_all_frames(path: str | Path, size: tuple[int, int] | None = None) -> np.ndarray:
    """Decode every frame front to back (no seeking): frame ``i`` of the result is frame index ``i``.

    Args:
        path: video file.
        size: (height_px, width_px) to resize every frame to, or None for the stored size.

    Returns:
        (N, H, W, 3) uint8 RGB frames.

    Raises:
        DataFormatError: unreadable file, a frame missing from the stream, or no frame at all.
    """
    path = Path(path)
    to_rgb = _RgbConverter(size)
    container = _open(path)
    try:
        decoder = _SeekingDecoder(container, path)
        decoder.frames = container.decode(decoder.stream)
        decoded: list[np.ndarray] = []
        try:
            for frame in decoder.frames:
                index = decoder._index(frame)
                if index != len(decoded):
                    raise DataFormatError(
                        path,
                        "frame_index",
                        len(decoded),
                        f"frame missing from the stream (next decoded frame is {index})",
                    )
                decoded.append(to_rgb(frame))
        except av.FFmpegError as err:
            raise DataFormatError(path, "frame_index", len(decoded), f"cannot decode video: {err}") from err
    finally:
        container.close()
    if not decoded:
        raise DataFormatError(path, "frames", 0, "video has no decodable frame")
    return np.stack(decoded)


def write_video(
    path: str | Path,
    frames: np.ndarray,
    fps: float,
    codec: str = "libx264",
    gop: int = 12,
    audio: np.ndarray | None = None,
    audio_rate_hz: int = 16_000,
) -> None:
    """Write RGB frames to a video file (for synthetic data and tests), optionally with a mono audio track.

    Args:
        path: output file (.mp4 for libx264/mpeg4).
        frames: (T, H, W, 3) uint8, H and W even (yuv420p).
        fps: frame rate.
        codec: "libx264" or "mpeg4".
        gop: keyframe interval in frames (small, so seeking pays off).
        audio: optional (N,) float samples in [-1, 1], written as an AAC stream starting with frame 0
            (see :func:`skillsight.data.readers.audio.add_audio_stream`).
        audio_rate_hz: sample rate of ``audio``.

    Raises:
        DataFormatError: bad frame array, fps or codec.
    """
    path = Path(path)
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or frames.shape[0] == 0:
        raise DataFormatError(
            path,
            "frames",
            getattr(frames, "shape", None),
            "frames must be a non-empty (T, H, W, 3) uint8 array",
        )
    T, H, W, _ = frames.shape
    if H % 2 or W % 2:
        raise DataFormatError(path, "frames", (H, W), "height and width must be even for yuv420p")
    if codec not in ("libx264", "mpeg4"):
        raise DataFormatError(path, "codec", codec, "codec must be 'libx264' or 'mpeg4'")
    if not np.isfinite(fps) or fps <= 0:
        raise DataFormatError(path, "fps", fps, "fps must be > 0")
    if audio is not None:
        audio = check_audio_samples(path, audio)
    rate = Fraction(str(fps)).limit_denominator(100_000)
    # Regular GOPs: no extra keyframes on scene changes (x264: 0 disables; mpeg4: huge threshold).
    options = {"g": str(gop), "keyint_min": str(gop)}
    if codec == "libx264":
        options.update({"crf": "18", "preset": "veryfast", "sc_threshold": "0"})
    else:
        options.update({"sc_threshold": "1000000000"})
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream(codec, rate=rate, options=options)
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        audio_stream = None if audio is None else add_audio_stream(container, audio_rate_hz)
        if codec == "mpeg4":
            stream.codec_context.bit_rate = max(1_000_000, 8 * H * W * int(np.ceil(fps)) // 10)
        for t in range(T):
            for packet in stream.encode(av.VideoFrame.from_ndarray(frames[t], format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio_stream is not None and audio is not None:
            encode_audio(container, audio_stream, audio)
