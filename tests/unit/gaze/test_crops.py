"""Gaze-centred crop boxes and crops."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillsight.exceptions import DataFormatError
from skillsight.gaze.crops import crop_frames, gaze_crop_boxes, resize_bilinear


def test_box_is_centred_on_gaze_when_it_fits() -> None:
    boxes = gaze_crop_boxes(np.array([[0.5, 0.5], [0.25, 0.75]]), (400, 800), 100)
    np.testing.assert_array_equal(boxes, [[350, 150, 450, 250], [150, 250, 250, 350]])


def test_box_is_shifted_inside_near_edges_and_outside_points_are_clipped() -> None:
    boxes = gaze_crop_boxes(np.array([[0.0, 0.0], [1.0, 1.0], [1.7, -0.3]]), (400, 800), 100)
    np.testing.assert_array_equal(boxes, [[0, 0, 100, 100], [700, 300, 800, 400], [700, 0, 800, 100]])


def test_crop_larger_than_frame_covers_whole_frame_axis() -> None:
    boxes = gaze_crop_boxes(np.array([[0.9, 0.1]]), (64, 200), 100)
    np.testing.assert_array_equal(boxes, [[100, 0, 200, 64]])  # 100 wide (shifted left), all 64 high
    boxes = gaze_crop_boxes(np.array([[0.9, 0.1]]), (64, 48), 100)
    np.testing.assert_array_equal(boxes, [[0, 0, 48, 64]])


def test_nan_gaze_raises() -> None:
    with pytest.raises(DataFormatError):
        gaze_crop_boxes(np.array([[np.nan, 0.5]]), (10, 10), 4)


def test_crops_equal_frame_slices_when_no_resize() -> None:
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 255, (3, 40, 60, 3), dtype=np.uint8)
    gaze = np.array([[0.5, 0.5], [0.0, 1.0], [0.8, 0.3]])
    boxes = gaze_crop_boxes(gaze, (40, 60), 16)
    crops = crop_frames(frames, boxes, 16)
    assert crops.shape == (3, 16, 16, 3) and crops.dtype == np.uint8
    for t, (x0, y0, x1, y1) in enumerate(boxes):
        np.testing.assert_array_equal(crops[t], frames[t, y0:y1, x0:x1])


def test_oversized_crops_are_resized_to_out_px() -> None:
    frames = np.full((2, 20, 30, 3), 77, np.uint8)
    boxes = gaze_crop_boxes(np.array([[0.5, 0.5], [0.1, 0.9]]), (20, 30), 64)
    crops = crop_frames(frames, boxes, 32)
    assert crops.shape == (2, 32, 32, 3)
    assert (crops == 77).all()


def test_resize_bilinear_matches_opencv() -> None:
    cv2 = pytest.importorskip("cv2")
    rng = np.random.default_rng(1)
    image = rng.random((13, 17, 3)).astype(np.float32)
    ours = resize_bilinear(image[None], (29, 8))[0]
    ref = cv2.resize(image, (8, 29), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_crop_frames_rejects_boxes_outside_frame() -> None:
    with pytest.raises(DataFormatError):
        crop_frames(np.zeros((1, 10, 10, 3), np.uint8), np.array([[5, 5, 15, 15]]), 4)


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-0.5, 1.5),
    y=st.floats(-0.5, 1.5),
    h=st.integers(1, 300),
    w=st.integers(1, 300),
    crop=st.integers(1, 400),
)
def test_boxes_always_lie_inside_the_frame_with_the_right_size(
    x: float, y: float, h: int, w: int, crop: int
) -> None:
    ((x0, y0, x1, y1),) = gaze_crop_boxes(np.array([[x, y]]), (h, w), crop)
    assert x0 >= 0 and x1 <= w and y0 >= 0 and y1 <= h
    assert (x1 - x0, y1 - y0) == (min(crop, w), min(crop, h))
    if crop <= min(h, w) and 0.2 < x < 0.8 and 0.2 < y < 0.8 and crop < 0.4 * min(h, w):
        assert abs((x0 + x1) / 2 - x * w) <= 1 and abs((y0 + y1) / 2 - y * h) <= 1  # centred
