"""Audio tracks in MP4s: write (AAC) -> read round trip, files without audio, bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.data.extra_inputs.audio_window import audio_window
from skillsight.data.readers.audio import AudioTrack, has_audio, read_audio
from skillsight.data.readers.video import decode_frames, write_video
from skillsight.exceptions import DataFormatError

RATE = 16_000


def _frames(n: int = 20) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 255, (n, 16, 16, 3), dtype=np.uint8)


def test_round_trip_keeps_timing_and_level(tmp_path: Path) -> None:
    audio = np.zeros(2 * RATE, np.float32)
    audio[RATE : RATE + 400] = 0.5  # a 25 ms burst at 1.0 s
    write_video(tmp_path / "a.mp4", _frames(), 10, audio=audio, audio_rate_hz=RATE)
    assert has_audio(tmp_path / "a.mp4")
    track = read_audio(tmp_path / "a.mp4", RATE)
    assert track.rate_hz == RATE and track.offset_s == pytest.approx(0.0, abs=1e-3)
    assert abs(track.duration_s - 2.0) < 0.1
    loud = np.flatnonzero(np.abs(track.samples) > 0.25) / RATE
    assert loud.min() == pytest.approx(1.0, abs=0.02) and loud.max() < 1.05  # AAC keeps the burst in place
    resampled = read_audio(tmp_path / "a.mp4", 8000)
    assert abs(len(resampled.samples) - len(track.samples) / 2) < 1100


def test_audio_does_not_change_the_video_frames(tmp_path: Path) -> None:
    frames = _frames()
    write_video(tmp_path / "a.mp4", frames, 10, audio=np.zeros(RATE, np.float32))
    write_video(tmp_path / "b.mp4", frames, 10)
    idx = [0, 7, 19]
    assert np.array_equal(decode_frames(tmp_path / "a.mp4", idx), decode_frames(tmp_path / "b.mp4", idx))


def test_a_file_without_audio_is_answered_and_refused_clearly(tmp_path: Path) -> None:
    write_video(tmp_path / "silent.mp4", _frames(), 10)
    assert not has_audio(tmp_path / "silent.mp4")
    with pytest.raises(DataFormatError, match="has no audio stream") as err:
        read_audio(tmp_path / "silent.mp4")
    assert "silent.mp4" in str(err.value)


def test_bad_files_and_samples_raise_data_format_errors(tmp_path: Path) -> None:
    (tmp_path / "junk.mp4").write_bytes(b"not a media file at all")
    with pytest.raises(DataFormatError, match="cannot open"):
        has_audio(tmp_path / "junk.mp4")
    with pytest.raises(DataFormatError, match="does not exist"):
        read_audio(tmp_path / "missing.mp4")
    with pytest.raises(DataFormatError, match="finite"):
        write_video(tmp_path / "nan.mp4", _frames(), 10, audio=np.full(100, np.nan, np.float32))
    with pytest.raises(DataFormatError, match="finite"):
        write_video(tmp_path / "2d.mp4", _frames(), 10, audio=np.zeros((2, 100), np.float32))


def test_audio_window_pads_outside_the_track() -> None:
    track = AudioTrack(samples=np.arange(1, 11, dtype=np.float32), rate_hz=10, offset_s=0.0)
    assert audio_window(track, 0.5, 4).tolist() == [6, 7, 8, 9]
    assert audio_window(track, 0.8, 4).tolist() == [9, 10, 0, 0]
    assert audio_window(track, -0.2, 4).tolist() == [0, 0, 1, 2]
    late = AudioTrack(samples=np.arange(1, 11, dtype=np.float32), rate_hz=10, offset_s=0.2)
    assert audio_window(late, 0.2, 2).tolist() == [1, 2]
