"""The audio track of a video file (PyAV): probe it, read it as mono float samples, write one (AAC).

Ego-Exo4D's frame-aligned Aria MP4s carry the glasses' microphone audio next to the RGB stream; the
synthetic generator writes the same (a mono AAC stream in the ego MP4). Audio is OPTIONAL: a file
without an audio stream is a normal case that :func:`has_audio` answers without raising, and
:func:`read_audio` refuses it with a message naming the file, so a model that needs audio can count
and report such takes instead of crashing.

Time base: sample 0 of :attr:`AudioTrack.samples` is at ``offset_s`` seconds after the first video
frame (the difference of the two streams' start times), so audio and frame indices share one clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = [
    "DEFAULT_AUDIO_RATE_HZ",
    "AudioTrack",
    "add_audio_stream",
    "check_audio_samples",
    "encode_audio",
    "has_audio",
    "read_audio",
]

#: sample rate everything is resampled to by default (the rate of common audio event models, e.g. YAMNet).
DEFAULT_AUDIO_RATE_HZ = 16_000


@dataclass(frozen=True)
class AudioTrack:
    """Mono audio of one file.

    Attributes:
        samples: (N,) float32 in [-1, 1].
        rate_hz: samples per second.
        offset_s: time of sample 0 relative to the first video frame (0 for frame-aligned files).
    """

    samples: np.ndarray
    rate_hz: int
    offset_s: float

    @property
    def duration_s(self) -> float:
        return len(self.samples) / float(self.rate_hz)


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise DataFormatError(path, "", str(path), "media file does not exist")
    try:
        return av.open(str(path), mode="r")
    except (av.FFmpegError, OSError, ValueError) as err:
        raise DataFormatError(path, "", str(path), f"cannot open media file: {err}") from err


def has_audio(path: str | Path) -> bool:
    """Whether the file has an audio stream (False for a file without one; unreadable files raise).

    Raises:
        DataFormatError: the file is missing or not a media file.
    """
    container = _open(Path(path))
    try:
        return bool(container.streams.audio)
    finally:
        container.close()


def _start_s(stream) -> float:
    if stream is None or stream.start_time is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def read_audio(path: str | Path, rate_hz: int = DEFAULT_AUDIO_RATE_HZ) -> AudioTrack:
    """Decode the first audio stream, downmixed to mono and resampled to ``rate_hz``.

    Raises:
        DataFormatError: missing/unreadable file, no audio stream ("has no audio stream"), a decoding
            error, no samples, or non-finite samples.
    """
    path = Path(path)
    if int(rate_hz) < 1000:
        raise DataFormatError(path, "rate_hz", rate_hz, "audio rate must be >= 1000 Hz")
    container = _open(path)
    try:
        if not container.streams.audio:
            raise DataFormatError(path, "streams", "audio", "file has no audio stream")
        stream = container.streams.audio[0]
        video = container.streams.video[0] if container.streams.video else None
        offset_s = _start_s(stream) - _start_s(video)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=int(rate_hz))
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.FFmpegError as err:
            raise DataFormatError(path, "audio", str(err)[:80], "cannot decode the audio stream") from err
    finally:
        container.close()
    samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
    if samples.size == 0:
        raise DataFormatError(path, "audio", 0, "audio stream has no samples")
    if not np.isfinite(samples).all():
        raise DataFormatError(path, "audio", "non-finite", "audio stream decodes to NaN or inf samples")
    return AudioTrack(samples=samples, rate_hz=int(rate_hz), offset_s=offset_s)


def add_audio_stream(container: av.container.OutputContainer, rate_hz: int) -> av.audio.stream.AudioStream:
    """Add a mono AAC stream to an output container, BEFORE any packet is muxed (then call
    :func:`encode_audio`).

    Raises:
        DataFormatError: a rate below 8 kHz.
    """
    if int(rate_hz) < 8000:
        path = getattr(container, "name", "<output>")
        raise DataFormatError(path, "audio_rate_hz", rate_hz, "audio rate must be >= 8000 Hz for AAC")
    stream = container.add_stream("aac", rate=int(rate_hz))
    stream.layout = "mono"
    return stream


def check_audio_samples(path: str | Path, samples: np.ndarray) -> np.ndarray:
    """``samples`` as float32 if they are a finite, non-empty 1-D array, else DataFormatError."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim != 1 or samples.size == 0 or not np.isfinite(samples).all():
        raise DataFormatError(
            path, "audio", getattr(samples, "shape", None), "audio must be finite (N,) samples"
        )
    return samples


def encode_audio(container: av.container.OutputContainer, stream, samples: np.ndarray) -> None:
    """Encode mono ``samples`` (N,) float in [-1, 1] (clipped) into ``stream`` of ``container``."""
    samples = check_audio_samples(getattr(container, "name", "<output>"), samples)
    rate = int(stream.codec_context.sample_rate)
    clipped = np.clip(samples, -1.0, 1.0).reshape(1, -1)
    chunk = 1024  # AAC frame size
    for start in range(0, clipped.shape[1], chunk):
        block = np.ascontiguousarray(clipped[:, start : start + chunk])
        frame = av.AudioFrame.from_ndarray(block, format="fltp", layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode(None):
        container.mux(packet)
