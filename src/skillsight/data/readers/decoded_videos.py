"""In-memory cache of whole decoded videos, for small videos that every epoch revisits.

:func:`skillsight.data.readers.video.decode_frames` seeks and decodes only a clip's frames, which is right for
long, large videos. Small ones (the 64 px synthetic takes of the demo) are revisited by every epoch and
every run, and seeking there costs ~4 decoded frames and one RGB conversion per needed frame: profiling
the tiny TimeSformer run showed 90 % of its time in the decoder. This cache decodes a video ONCE, front
to back, keeps its frames as one uint8 array and serves clips by indexing.

Entries are keyed by the file's resolved path, size, modification time and the output frame size, so a
rewritten file is decoded again. Memory is bounded (least recently used videos are dropped first); a
video larger than the whole budget is served by seeking instead and never cached. One process-wide
instance (:func:`shared_decoded_videos`) lets consecutive runs of one process (the demo) share it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from skillsight.data.readers.video import decode_all_frames, decode_frames, probe_video

__all__ = ["DecodedVideoCache", "shared_decoded_videos"]

_Key = tuple[str, int, int, int]


class DecodedVideoCache:
    """LRU cache of whole decoded videos (``(N, S, S, 3)`` uint8 per video) under a byte budget.

    Args:
        max_bytes: memory budget of the cached frames.
    """

    def __init__(self, max_bytes: int) -> None:
        self._reset(max_bytes)

    def _reset(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._videos: OrderedDict[_Key, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._too_big: set[_Key] = set()  # probed once, then always served by seeking
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def cached_bytes(self) -> int:
        """Bytes of frames held now."""
        return self._bytes

    def frames(self, path: str | Path, frame_indices: Sequence[int] | np.ndarray, size_px: int) -> np.ndarray:
        """(T, size_px, size_px, 3) uint8 frames ``frame_indices`` of ``path``; same errors as
        :func:`~skillsight.data.readers.video.decode_frames` (missing file, index past the end, ...)."""
        path = Path(path)
        key = self._key(path, size_px)
        indices = np.asarray(frame_indices, dtype=np.int64).reshape(-1)
        with self._lock:
            video = self._videos.get(key)
            if video is not None:
                self._videos.move_to_end(key)
                self.hits += 1
        if video is None:
            if key in self._too_big or probe_video(path).n_frames * size_px * size_px * 3 > self.max_bytes:
                self._too_big.add(key)
                return decode_frames(path, indices, size=(size_px, size_px))
            video = decode_all_frames(path, size=(size_px, size_px))
            self._store(key, video)
        if indices.size == 0 or indices.min() < 0 or indices.max() >= len(video):
            return decode_frames(path, indices, size=(size_px, size_px))  # raises the decoder's error
        return video[indices]

    @staticmethod
    def _key(path: Path, size_px: int) -> _Key:
        try:
            stat = path.stat()
        except OSError:
            return (str(path), -1, -1, int(size_px))  # the decoder raises the file error
        return (str(path.resolve()), int(stat.st_size), int(stat.st_mtime_ns), int(size_px))

    def _store(self, key: _Key, video: np.ndarray) -> None:
        with self._lock:
            self.misses += 1
            if key in self._videos:
                return
            self._videos[key] = video
            self._bytes += video.nbytes
            while self._bytes > self.max_bytes and len(self._videos) > 1:
                _, dropped = self._videos.popitem(last=False)
                self._bytes -= dropped.nbytes

    def __getstate__(self) -> dict:
        """Pickled (e.g. into spawned DataLoader workers) empty: each process fills its own."""
        return {"max_bytes": self.max_bytes}

    def __setstate__(self, state: dict) -> None:
        self._reset(state["max_bytes"])


_SHARED = DecodedVideoCache(0)  # budget raised by the first caller


def shared_decoded_videos(max_mb: int) -> DecodedVideoCache:
    """The process-wide cache, its budget raised to at least ``max_mb`` MiB."""
    _SHARED.max_bytes = max(_SHARED.max_bytes, int(max_mb) << 20)
    return _SHARED
