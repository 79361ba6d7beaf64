"""Dense optical flow of whole videos, computed once and cached on disk.

Method: OpenCV TV-L1 (``cv2.optflow.DualTVL1OpticalFlow``, opencv-contrib) when available, Farneback
otherwise (plain opencv-python-headless has no TV-L1). The flow of a video resized to
``size = (height_px, width_px)`` is a float16 array (T - 1, H, W, 2): field ``j`` maps frame ``j`` to
frame ``j + 1``, in pixels of the resized frame (x right, y down).

Cache: ``<cache_dir>/<video stem>-<key>.npy`` where ``key`` hashes the absolute path, the file size,
its modification time, the method and the size, so an edited video or another method never reuses a
stale file. Files are written atomically; reads memory-map, so a clip loads only its fields.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Literal

import numpy as np

from skillsight.exceptions import DataFormatError, MissingDependencyError

__all__ = [
    "FlowMethod",
    "available_flow_method",
    "compute_flow",
    "flow_cache_path",
    "stack_flow",
    "video_flow",
]

FlowMethod = Literal["tvl1", "farneback"]


def _cv2():
    try:
        import cv2
    except ImportError as err:  # pragma: no cover - depends on the install
        raise MissingDependencyError("opencv-python-headless", "vision") from err
    return cv2


def available_flow_method() -> FlowMethod:
    """ "tvl1" when OpenCV's contrib optflow module is installed, else "farneback"."""
    cv2 = _cv2()
    return (
        "tvl1"
        if hasattr(cv2, "optflow") and hasattr(cv2.optflow, "DualTVL1OpticalFlow_create")
        else "farneback"
    )


def compute_flow(frames: np.ndarray, method: FlowMethod | None = None) -> np.ndarray:
    """Flow between consecutive frames.

    Args:
        frames: (T, H, W, 3) uint8 RGB frames, T >= 2.
        method: "tvl1", "farneback" or None for :func:`available_flow_method`.

    Returns:
        (T - 1, H, W, 2) float32 flow in pixels (dx, dy) from frame j to frame j + 1.
    """
    cv2 = _cv2()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or frames.shape[0] < 2:
        raise DataFormatError(
            "frames", "frames", getattr(frames, "shape", None), "flow needs (T >= 2, H, W, 3) uint8 frames"
        )
    method = method or available_flow_method()
    if method == "tvl1":
        if available_flow_method() != "tvl1":
            raise MissingDependencyError("opencv-contrib-python-headless (cv2.optflow)", "vision")
        solver = cv2.optflow.DualTVL1OpticalFlow_create()
    elif method != "farneback":
        raise DataFormatError("flow", "method", method, "flow method must be 'tvl1' or 'farneback'")
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])  # (T, H, W)
    out = np.empty((len(frames) - 1, *gray.shape[1:], 2), dtype=np.float32)
    for j in range(len(frames) - 1):
        if method == "tvl1":
            out[j] = solver.calc(gray[j], gray[j + 1], None)
        else:
            out[j] = cv2.calcOpticalFlowFarneback(
                gray[j],
                gray[j + 1],
                None,
                pyr_scale=0.5,
                levels=3,
                winsize=9,
                iterations=3,
                poly_n=5,
                poly_sigma=1.1,
                flags=0,
            )
    return out


def flow_cache_path(
    video: str | Path, cache_dir: str | Path, size: tuple[int, int], method: FlowMethod
) -> Path:
    """Cache file for the flow of ``video`` at ``size`` (height_px, width_px) with ``method``."""
    video = Path(video).resolve()
    stat = video.stat()
    key = json.dumps(
        {
            "path": str(video),
            "bytes": stat.st_size,
            "mtime_ns": stat.st_mtime_ns,
            "method": method,
            "size": [int(size[0]), int(size[1])],
            "version": 1,
        },
        sort_keys=True,
    )
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    return Path(cache_dir) / f"{video.stem}-{digest}.npy"


def video_flow(
    video: str | Path,
    cache_dir: str | Path,
    size: tuple[int, int],
    method: FlowMethod | None = None,
    chunk_frames: int = 256,
) -> np.ndarray:
    """Flow of a whole video at ``size``, from the cache or computed and cached.

    The video is decoded and processed ``chunk_frames`` frames at a time and the flow is written
    into a memory-mapped file, so memory stays bounded for long videos (the cache itself holds
    ``(T - 1) * H * W * 4`` bytes: about 0.8 MB per frame at 448 x 448).

    Args:
        video: video file (decoded with :func:`skillsight.data.readers.video.decode_frames`).
        cache_dir: folder for cached ``.npy`` files (created when missing).
        size: (height_px, width_px) the frames are resized to before computing flow.
        method: flow method (None: best available).
        chunk_frames: frames decoded at once while computing.

    Returns:
        (T - 1, H, W, 2) float16 memory-mapped array.
    """
    from skillsight.data.readers.video import decode_frames, probe_video

    method = method or available_flow_method()
    video = Path(video)
    if not video.is_file():
        raise DataFormatError(video, "", str(video), "video file does not exist")
    path = flow_cache_path(video, cache_dir, size, method)
    H, W = int(size[0]), int(size[1])
    if not path.is_file():
        n_frames = probe_video(video).n_frames
        if n_frames < 2:
            raise DataFormatError(video, "n_frames", n_frames, "optical flow needs at least 2 frames")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".npy")
        os.close(fd)
        try:
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(n_frames - 1, H, W, 2))
            step = max(1, int(chunk_frames))
            for start in range(0, n_frames - 1, step):
                stop = min(start + step, n_frames - 1)  # fields start..stop-1 need frames start..stop
                frames = decode_frames(video, np.arange(start, stop + 1), size=(H, W))
                out[start:stop] = compute_flow(frames, method).astype(np.float16)
            out.flush()
            del out
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    flow = np.load(path, mmap_mode="r", allow_pickle=False)
    if flow.ndim != 4 or flow.shape[1:] != (H, W, 2):
        raise DataFormatError(path, "shape", flow.shape, f"cached flow does not have size {tuple(size)}")
    return flow


def stack_flow(flow: np.ndarray, frame_indices: np.ndarray, stack: int) -> np.ndarray:
    """Stack the ``stack`` flow fields ending at each frame (clamped at the video's start and end).

    For frame ``f`` the fields ``f - stack .. f - 1`` are used (the motion leading into ``f``); indices
    below 0 repeat the first field. Channels are ordered (dx_0, dy_0, dx_1, dy_1, ...).

    Args:
        flow: (T - 1, H, W, 2) flow of the whole video.
        frame_indices: (N,) frame indices in [0, T).
        stack: K, number of fields.

    Returns:
        (N, 2K, H, W) float32.
    """
    n_fields = flow.shape[0]
    if n_fields < 1:
        raise DataFormatError("flow", "n_fields", n_fields, "flow needs at least one field (2 frames)")
    idx = np.asarray(frame_indices, dtype=np.int64)[:, None] + np.arange(-stack, 0)[None, :]  # (N, K)
    idx = np.clip(idx, 0, n_fields - 1)
    fields = np.asarray(flow[np.unique(idx)], dtype=np.float32)  # (U, H, W, 2) read only what is needed
    picked = fields[np.searchsorted(np.unique(idx), idx)]  # (N, K, H, W, 2)
    N, K, H, W, _ = picked.shape
    return picked.transpose(0, 1, 4, 2, 3).reshape(N, 2 * K, H, W)  # (N, 2K, H, W)
