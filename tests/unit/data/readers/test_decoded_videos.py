"""The in-memory decoded-video cache serves exactly the frames the seeking decoder gives."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.decoded_videos import DecodedVideoCache
from skillsight.data.readers.video import decode_all_frames, decode_frames, write_video
from skillsight.exceptions import DataFormatError

N_FRAMES, SIDE = 40, 32


def _frames(n: int, level: int = 0) -> np.ndarray:
    """Frame t is a flat grey of value 4t + level (distinct after lossy coding)."""
    values = (np.arange(n) * 4 + 40 + level).astype(np.uint8)
    return np.broadcast_to(values[:, None, None, None], (n, SIDE, SIDE, 3)).copy()


@pytest.fixture()
def video(tmp_path: Path) -> Path:
    path = tmp_path / "take.mp4"
    write_video(path, _frames(N_FRAMES), fps=10.0, gop=8)
    return path


def test_decode_all_frames_equals_decoding_each_frame(video: Path) -> None:
    every = decode_all_frames(video, size=(16, 16))
    assert every.shape == (N_FRAMES, 16, 16, 3)
    np.testing.assert_array_equal(every, decode_frames(video, range(N_FRAMES), size=(16, 16)))


def test_cache_serves_the_seeking_decoders_frames_and_decodes_once(video: Path) -> None:
    cache = DecodedVideoCache(max_bytes=1 << 20)
    for indices in ([0, 5, 10, 15], [39, 3, 3, 20], [7]):
        np.testing.assert_array_equal(
            cache.frames(video, indices, 16), decode_frames(video, indices, size=(16, 16))
        )
    assert (cache.misses, cache.hits) == (1, 2)
    assert cache.cached_bytes == N_FRAMES * 16 * 16 * 3


def test_rewritten_file_is_decoded_again(video: Path) -> None:
    cache = DecodedVideoCache(max_bytes=1 << 20)
    before = cache.frames(video, [0], 16)
    write_video(video, _frames(N_FRAMES, level=100), fps=10.0, gop=8)
    os.utime(video, ns=(1, 1))  # a different mtime even on coarse clocks
    after = cache.frames(video, [0], 16)
    assert after.mean() > before.mean() + 50 and cache.misses == 2


def test_bad_indices_raise_the_decoders_error(video: Path) -> None:
    cache = DecodedVideoCache(max_bytes=1 << 20)
    with pytest.raises(DataFormatError, match="frame_index"):
        cache.frames(video, [N_FRAMES], 16)
    with pytest.raises(DataFormatError, match="does not exist"):
        cache.frames(video.with_name("missing.mp4"), [0], 16)


def test_budget_evicts_least_recent_and_skips_videos_larger_than_it(tmp_path: Path) -> None:
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"v{i}.mp4")
        write_video(paths[-1], _frames(N_FRAMES, level=i), fps=10.0, gop=8)
    one_video = N_FRAMES * 16 * 16 * 3
    cache = DecodedVideoCache(max_bytes=2 * one_video)
    for path in paths:
        cache.frames(path, [1], 16)
    assert cache.cached_bytes == 2 * one_video  # the first one was dropped
    small = DecodedVideoCache(max_bytes=one_video - 1)
    for _ in range(2):  # probed once, then served by seeking without probing again
        np.testing.assert_array_equal(
            small.frames(paths[0], [2], 16), decode_frames(paths[0], [2], size=(16, 16))
        )
    assert small.cached_bytes == 0 and len(small._too_big) == 1
