"""Gaze-centred crops (the SkillSight fixated-object branch).

A crop of ``crop_px`` x ``crop_px`` pixels is centred on the gaze point and shifted (not shrunk) to
stay inside the frame. If the crop is larger than the frame along an axis, the crop covers the whole
frame along that axis; :func:`crop_frames` then resizes every crop to ``out_px`` so a clip's crops
always share one size.
"""

from __future__ import annotations

import numpy as np

from skillsight.exceptions import ConfigError, DataFormatError

__all__ = ["crop_frames", "gaze_crop_boxes", "resize_bilinear"]


def gaze_crop_boxes(gaze2d_01: np.ndarray, frame_hw: tuple[int, int], crop_px: int) -> np.ndarray:
    """Crop boxes centred on the gaze and kept inside the frame.

    Args:
        gaze2d_01: (T, 2) gaze (x, y) in [0, 1] of the image width/height (x right, y down).
            Values outside [0, 1] are clipped; NaN is an error (fill unobserved steps first,
            e.g. with the image centre as :func:`skillsight.gaze.normalize.normalize_clip_gaze` does).
        frame_hw: (height_px, width_px) of the frames the boxes index.
        crop_px: crop side in pixels.

    Returns:
        (T, 4) int64 boxes (x0, y0, x1, y1), half-open pixel ranges [x0, x1) x [y0, y1); each box is
        ``min(crop_px, W)`` wide and ``min(crop_px, H)`` high.
    """
    gaze = np.asarray(gaze2d_01, dtype=np.float64)
    if gaze.ndim != 2 or gaze.shape[1] != 2:
        raise DataFormatError("gaze2d_01", "shape", gaze.shape, "expected (T, 2)")
    if not np.isfinite(gaze).all():
        raise DataFormatError("gaze2d_01", "value", "NaN/inf", "gaze must be finite to place crops")
    H, W = int(frame_hw[0]), int(frame_hw[1])
    if H < 1 or W < 1 or int(crop_px) < 1:
        raise ConfigError(f"frame_hw and crop_px must be positive, got {frame_hw}, {crop_px}")
    size = np.array([min(int(crop_px), W), min(int(crop_px), H)])  # (2,) width, height
    extent = np.array([W, H])
    centre_px = np.clip(gaze, 0.0, 1.0) * extent  # (T, 2)
    top_left = np.floor(centre_px - size / 2.0 + 0.5).astype(np.int64)
    top_left = np.clip(top_left, 0, extent - size)  # shift inside the frame
    return np.concatenate([top_left, top_left + size], axis=1)  # (T, 4)


def resize_bilinear(images: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize (half-pixel centres, like OpenCV INTER_LINEAR) of a batch of images.

    Args:
        images: (N, H, W, C) any numeric dtype.
        out_hw: (height, width) of the output.

    Returns:
        (N, out_h, out_w, C) of the input dtype (rounded for integer types).
    """
    _N, H, W, _C = images.shape
    out_h, out_w = int(out_hw[0]), int(out_hw[1])
    if (out_h, out_w) == (H, W):
        return images.copy()
    ys = np.clip((np.arange(out_h) + 0.5) * (H / out_h) - 0.5, 0, H - 1)  # (out_h,)
    xs = np.clip((np.arange(out_w) + 0.5) * (W / out_w) - 0.5, 0, W - 1)  # (out_w,)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    wy = (ys - y0)[None, :, None, None]  # (1, out_h, 1, 1)
    wx = (xs - x0)[None, None, :, None]  # (1, 1, out_w, 1)
    img = images.astype(np.float32)
    top = img[:, y0][:, :, x0] * (1 - wx) + img[:, y0][:, :, x1] * wx  # (N, out_h, out_w, C)
    bottom = img[:, y1][:, :, x0] * (1 - wx) + img[:, y1][:, :, x1] * wx
    out = top * (1 - wy) + bottom * wy
    if np.issubdtype(images.dtype, np.integer):
        info = np.iinfo(images.dtype)
        return np.clip(np.round(out), info.min, info.max).astype(images.dtype)
    return out.astype(images.dtype)


def crop_frames(frames: np.ndarray, boxes: np.ndarray, out_px: int) -> np.ndarray:
    """Cut one box per frame and bring every crop to ``out_px`` x ``out_px``.

    Args:
        frames: (T, H, W, 3) frames.
        boxes: (T, 4) int boxes (x0, y0, x1, y1) from :func:`gaze_crop_boxes`.
        out_px: output side in pixels.

    Returns:
        (T, out_px, out_px, 3) crops (same dtype as frames); crops already ``out_px`` square are
        copied exactly, others are resized bilinearly.
    """
    frames = np.asarray(frames)
    boxes = np.asarray(boxes)
    if frames.ndim != 4 or boxes.shape != (frames.shape[0], 4):
        raise DataFormatError(
            "crop_frames",
            "shape",
            (frames.shape, boxes.shape),
            "expected frames (T, H, W, C) and boxes (T, 4)",
        )
    T, H, W, _C = frames.shape
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    if (
        (boxes[:, :2] < 0).any()
        or (boxes[:, 2] > W).any()
        or (boxes[:, 3] > H).any()
        or (widths < 1).any()
        or (heights < 1).any()
    ):
        raise DataFormatError("crop_frames", "boxes", boxes.tolist(), f"boxes outside a {H}x{W} frame")
    if len(set(widths.tolist())) == 1 and len(set(heights.tolist())) == 1:  # vectorised gather
        h, w = int(heights[0]), int(widths[0])
        rows = boxes[:, 1, None] + np.arange(h)[None]  # (T, h)
        cols = boxes[:, 0, None] + np.arange(w)[None]  # (T, w)
        crops = frames[np.arange(T)[:, None, None], rows[:, :, None], cols[:, None, :]]  # (T, h, w, C)
        return resize_bilinear(crops, (out_px, out_px))
    return np.concatenate(
        [
            resize_bilinear(
                frames[t : t + 1, boxes[t, 1] : boxes[t, 3], boxes[t, 0] : boxes[t, 2]], (out_px, out_px)
            )
            for t in range(T)
        ]
    )
