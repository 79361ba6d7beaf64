"""Dense optical flow of whole videos, computed once and cached on disk.

Method: TV-L1 (Zach, Pock, Bischof 2007; the flow of two-stream action networks and of Li et al.'s
ranking model) through OpenCV's ``cv2.optflow.DualTVL1OpticalFlow`` at its default parameters, which
opencv-contrib-python-headless provides (the ``vision`` extra installs it; plain opencv-python-headless
has no TV-L1). Farneback (``method="farneback"``) is only ever an explicit choice: asking for TV-L1
without the contrib module is an error, never a silent fallback. :func:`flow_method_record` describes
the method a run used (the ranking run folder's ``flow.json``). The flow of a video resized to
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
    "DEFAULT_FLOW_METHOD",
    "FlowMethod",
    "available_flow_method",
    "compute_flow",
    "flow_cache_path",
    "flow_method_record",
    "stack_flow",
    "video_flow",
]

FlowMethod = Literal["tvl1", "farneback"]
#: the method used when none is named: TV-L1, as the papers compute flow.
DEFAULT_FLOW_METHOD: FlowMethod = "tvl1"
#: Farneback's parameters here (OpenCV's calcOpticalFlowFarneback arguments).
_FARNEBACK = dict(pyr_scale=0.5, levels=3, winsize=9, iterations=3, poly_n=5, poly_sigma=1.1, flags=0)


def _cv2():
    try:
        import cv2
    except ImportError as err:  # pragma: no cover - depends on the install
        raise MissingDependencyError("opencv-contrib-python-headless", "vision") from err
    return cv2


def available_flow_method() -> FlowMethod:
    """ "tvl1" when OpenCV's contrib optflow module is installed, else "farneback" (what this install
    can compute; runs never pick a method from it: they use the one configured)."""
    cv2 = _cv2()
    return (
        "tvl1"
        if hasattr(cv2, "optflow") and hasattr(cv2.optflow, "DualTVL1OpticalFlow_create")
        else "farneback"
    )


def _resolve(method: FlowMethod | None) -> FlowMethod:
    """``method`` (None: :data:`DEFAULT_FLOW_METHOD`), checked to be computable here."""
    method = DEFAULT_FLOW_METHOD if method is None else method
    if method not in ("tvl1", "farneback"):
        raise DataFormatError("flow", "method", method, "flow method must be 'tvl1' or 'farneback'")
    if method == "tvl1" and available_flow_method() != "tvl1":
        raise MissingDependencyError(
            "TV-L1 optical flow (cv2.optflow, from opencv-contrib-python-headless; uninstall "
            "opencv-python-headless first, or choose Farneback explicitly: data.flow_method=farneback)",
            "vision",
        )
    return method


def flow_method_record(method: FlowMethod | None = None) -> dict[str, object]:
    """What computes flow for ``method``: the method, OpenCV's function and version, its parameters.

    Raises:
        MissingDependencyError: TV-L1 asked for without OpenCV's contrib module.
    """
    cv2 = _cv2()
    method = _resolve(method)
    if method == "tvl1":
        solver = cv2.optflow.DualTVL1OpticalFlow_create()
        names = ("Tau", "Lambda", "Theta", "ScalesNumber", "WarpingsNumber", "Epsilon", "InnerIterations")
        params: dict[str, object] = {n: getattr(solver, f"get{n}")() for n in names}
        function = "cv2.optflow.DualTVL1OpticalFlow"
    else:
        params, function = dict(_FARNEBACK), "cv2.calcOpticalFlowFarneback"
    return {"method": method, "function": function, "opencv": str(cv2.__version__), "parameters": params}


def compute_flow(frames: np.ndarray, method: FlowMethod | None = None) -> np.ndarray:
    """Flow between consecutive frames.

    Args:
        frames: (T, H, W, 3) uint8 RGB frames, T >= 2.
        method: "tvl1", "farneback" or None for :data:`DEFAULT_FLOW_METHOD` (TV-L1).

    Returns:
        (T - 1, H, W, 2) float32 flow in pixels (dx, dy) from frame j to frame j + 1.

    Raises:
        MissingDependencyError: TV-L1 without OpenCV's contrib module (never a silent Farneback).
    """
    cv2 = _cv2()
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or frames.shape[0] < 2:
        raise DataFormatError(
            "frames", "frames", getattr(frames, "shape", None), "flow needs (T >= 2, H, W, 3) uint8 frames"
        )
    method = _resolve(method)
    if method == "tvl1":
        solver = cv2.optflow.DualTVL1OpticalFlow_create()
    gray = np.stack([cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in frames])  # (T, H, W)
    out = np.empty((len(frames) - 1, *gray.shape[1:], 2), dtype=np.float32)
    for j in range(len(frames) - 1):
        if method == "tvl1":
            out[j] = solver.calc(gray[j], gray[j + 1], None)
        else:
            out[j] = cv2.calcOpticalFlowFarneback(gray[j], gray[j + 1], None, **_FARNEBACK)
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
        method: flow method (None: :data:`DEFAULT_FLOW_METHOD`).
        chunk_frames: frames decoded at once while computing.

    Returns:
        (T - 1, H, W, 2) float16 memory-mapped array.
    """
    from skillsight.data.readers.video import decode_frames, probe_video

    method = _resolve(method)
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
