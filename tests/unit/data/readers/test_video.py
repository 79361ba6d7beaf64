"""Video probe / decode / write round trips on tiny synthetic videos."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from skillsight.data.readers import video as video_mod
from skillsight.data.readers.video import VideoInfo, decode_frames, probe_video, write_video
from skillsight.exceptions import DataFormatError

N_FRAMES = 90
H, W = 32, 48


def _barcode_frames(n: int) -> np.ndarray:
    """Frame t shows t as two 16-level blocks (robust to lossy coding)."""
    frames = np.zeros((n, H, W, 3), np.uint8)
    t = np.arange(n)
    frames[:, :, : W // 2] = ((t // 16) * 16 + 8)[:, None, None, None]
    frames[:, :, W // 2 :] = ((t % 16) * 16 + 8)[:, None, None, None]
    return frames


def _read_barcode(frames: np.ndarray) -> np.ndarray:
    """(T, H, W, 3) -> (T,) frame numbers written by _barcode_frames."""
    hi = frames[:, 4:-4, 4 : W // 2 - 4].mean(axis=(1, 2, 3))
    lo = frames[:, 4:-4, W // 2 + 4 : -4].mean(axis=(1, 2, 3))
    return (np.round((hi - 8) / 16) * 16 + np.round((lo - 8) / 16)).astype(int)


def _full_decode(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(video=0)])


@pytest.fixture(scope="module", params=["libx264", "mpeg4"])
def video_path(request, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("video") / f"clip_{request.param}.mp4"
    write_video(path, _barcode_frames(N_FRAMES), fps=30.0, codec=request.param, gop=8)
    return path


def test_probe_reports_exact_frame_count_fps_and_size(video_path: Path) -> None:
    info = probe_video(video_path)
    assert info == VideoInfo(
        n_frames=N_FRAMES, fps=30.0, width_px=W, height_px=H, duration_s=pytest.approx(3.0)
    )


def test_decode_returns_requested_frames_in_requested_order_with_repeats(video_path: Path) -> None:
    indices = [40, 3, 3, 89, 0, 17, 40, 88]
    frames = decode_frames(video_path, indices)
    assert frames.shape == (len(indices), H, W, 3) and frames.dtype == np.uint8
    np.testing.assert_array_equal(_read_barcode(frames), indices)
    # bit-identical to decoding the whole file and picking
    np.testing.assert_array_equal(frames, _full_decode(video_path)[indices])


def test_decode_strided_clip_matches_full_decode_and_skips_frames(video_path: Path, monkeypatch) -> None:
    indices = np.arange(2, N_FRAMES, 15)
    decoders = []
    original = video_mod._SeekingDecoder

    class Spy(original):  # records how many frames were decoded
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            decoders.append(self)

    monkeypatch.setattr(video_mod, "_SeekingDecoder", Spy)
    frames = decode_frames(video_path, indices)
    np.testing.assert_array_equal(frames, _full_decode(video_path)[indices])
    assert decoders[0].n_decoded < N_FRAMES * 0.8  # seeking skipped whole GOPs
    assert decoders[0].n_seeks >= 2


def test_short_clip_late_in_video_does_not_decode_from_start(video_path: Path, monkeypatch) -> None:
    decoders = []
    original = video_mod._SeekingDecoder

    class Spy(original):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            decoders.append(self)

    monkeypatch.setattr(video_mod, "_SeekingDecoder", Spy)
    frames = decode_frames(video_path, [81, 82])
    np.testing.assert_array_equal(_read_barcode(frames), [81, 82])
    assert decoders[0].n_decoded <= 8 + 2  # at most one GOP before the target


def test_decode_resizes_to_height_width(video_path: Path) -> None:
    frames = decode_frames(video_path, [0, 1], size=(16, 20))
    assert frames.shape == (2, 16, 20, 3)


def test_index_past_end_names_file_and_index(video_path: Path) -> None:
    with pytest.raises(DataFormatError) as err:
        decode_frames(video_path, [5, N_FRAMES])
    assert str(video_path) in str(err.value) and str(N_FRAMES) in str(err.value)
    with pytest.raises(DataFormatError):
        decode_frames(video_path, [-1])


def test_missing_garbage_and_truncated_files_raise(tmp_path: Path, video_path: Path) -> None:
    with pytest.raises(DataFormatError, match="does not exist"):
        probe_video(tmp_path / "absent.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video" * 100)
    with pytest.raises(DataFormatError, match=r"garbage\.mp4"):
        probe_video(garbage)
    truncated = tmp_path / "truncated.mp4"
    data = video_path.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"truncated\.mp4"):
        decode_frames(truncated, [0, N_FRAMES - 1])


def test_truncated_data_with_index_up_front_names_frame(tmp_path: Path) -> None:
    """moov atom first (faststart), media data cut: the missing frame index is named."""
    path = tmp_path / "fast.mp4"
    frames = _barcode_frames(N_FRAMES)
    with av.open(str(path), mode="w", options={"movflags": "faststart"}) as container:
        stream = container.add_stream("libx264", rate=30, options={"g": "8"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.6)])
    assert probe_video(path).n_frames == N_FRAMES  # the index still claims every frame
    with pytest.raises(DataFormatError, match="frame_index"):
        decode_frames(path, [N_FRAMES - 1])


def test_write_video_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="even"):
        write_video(tmp_path / "odd.mp4", np.zeros((2, 31, 48, 3), np.uint8), fps=30)
    with pytest.raises(DataFormatError, match="uint8"):
        write_video(tmp_path / "f.mp4", np.zeros((2, 32, 48, 3), np.float32), fps=30)
    with pytest.raises(DataFormatError, match="codec"):
        write_video(tmp_path / "c.mp4", np.zeros((2, 32, 48, 3), np.uint8), fps=30, codec="vp9")
