"""Optical flow (values, cache), flow stacking, segment sampling and the pair dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import skillsight.projects.ranking.flow as flow_mod
from skillsight.exceptions import DataFormatError
from skillsight.projects.ranking.dataset import (
    PairDataset,
    TwoStreamLoader,
    VideoDataset,
    segment_frame_indices,
)
from skillsight.projects.ranking.flow import available_flow_method, compute_flow, stack_flow, video_flow
from skillsight.projects.ranking.pairs import load_epic_skills, resolve_videos


def _moving_texture(shift_px: int, n: int = 3, size: int = 48) -> np.ndarray:
    rng = np.random.default_rng(0)
    base = rng.random((size, size + shift_px * n))
    base = (
        base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))
    ) / 4  # smoother texture
    frames = np.stack(
        [base[:, size_shift : size_shift + size] for size_shift in [shift_px * (n - 1 - t) for t in range(n)]]
    )  # content moves right by shift_px per frame
    return np.repeat((frames * 255).astype(np.uint8)[..., None], 3, axis=-1)


def test_flow_recovers_a_translation() -> None:
    flow = compute_flow(_moving_texture(2))
    assert flow.shape == (2, 48, 48, 2)
    centre = flow[:, 12:36, 12:36]
    assert abs(np.median(centre[..., 0]) - 2.0) < 0.3 and abs(np.median(centre[..., 1])) < 0.3
    with pytest.raises(DataFormatError):
        compute_flow(np.zeros((1, 8, 8, 3), np.uint8))


def test_flow_is_cached_per_video_and_size(
    tiny_pairs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = tiny_pairs.video_dir / "S000.mp4"
    first = video_flow(video, tmp_path, (32, 32))
    assert first.shape == (11, 32, 32, 2) and first.dtype == np.float16
    assert len(list(tmp_path.glob("S000-*.npy"))) == 1
    calls = []
    monkeypatch.setattr(flow_mod, "compute_flow", lambda *a, **k: calls.append(1) or None)
    again = video_flow(video, tmp_path, (32, 32))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    assert not calls  # served from the cache
    other = flow_mod.flow_cache_path(video, tmp_path, (16, 16), available_flow_method())
    assert other != flow_mod.flow_cache_path(video, tmp_path, (32, 32), available_flow_method())


def test_chunked_flow_equals_one_pass(tiny_pairs, tmp_path: Path) -> None:
    video = tiny_pairs.video_dir / "S001.mp4"
    chunked = video_flow(video, tmp_path / "a", (32, 32), chunk_frames=4)  # fields 0-3, 4-7, 8-10
    whole = video_flow(video, tmp_path / "b", (32, 32), chunk_frames=1000)
    np.testing.assert_array_equal(np.asarray(chunked), np.asarray(whole))
    assert not list((tmp_path / "a").glob(".*"))  # no temporary file left behind


def test_stack_flow_order_and_clamping() -> None:
    T1, H, W = 4, 2, 3
    flow = np.arange(T1, dtype=np.float32)[:, None, None, None] * np.ones((1, H, W, 2), np.float32)
    flow[..., 1] *= -1  # dy = -field index
    out = stack_flow(flow, np.array([0, 2, 4]), stack=2)  # (N, 2K, H, W)
    assert out.shape == (3, 4, H, W)
    # frame 0 -> fields (-2, -1) clamped to (0, 0); frame 2 -> (0, 1); frame 4 -> (2, 3)
    np.testing.assert_array_equal(out[:, 0::2, 0, 0], [[0, 0], [0, 1], [2, 3]])
    np.testing.assert_array_equal(out[:, 1::2, 0, 0], -np.array([[0, 0], [0, 1], [2, 3]]))


def test_segment_sampling_protocol() -> None:
    test = segment_frame_indices(100, 25, "test")
    np.testing.assert_array_equal(test, np.arange(25) * 4 + 3)  # last frame of each 4-frame segment
    rng = np.random.default_rng(0)
    draws = np.stack([segment_frame_indices(100, 25, "train", rng) for _ in range(200)])
    assert (draws // 4 == np.arange(25)).all()  # always inside its own segment
    assert len(np.unique(draws[:, 0])) == 4  # and every frame of it gets drawn
    short = segment_frame_indices(10, 25, "test")
    assert short.min() >= 0 and short.max() == 9 and (np.diff(short) >= 0).all()
    with pytest.raises(ValueError):
        segment_frame_indices(100, 25, "train")  # no rng


def test_pair_dataset_items(tiny_pairs, tmp_path: Path) -> None:
    ann = load_epic_skills(tiny_pairs.annotation_dir, tiny_pairs.task)
    paths = resolve_videos(ann.video_ids(), tiny_pairs.video_dir).paths
    loader = TwoStreamLoader(paths, image_size=32, num_segments=3, flow_stack=2, flow_cache_dir=tmp_path)
    train, val = ann.folds[1]
    item = PairDataset(train, loader, "train", seed=0)[0]
    assert item["better_id"] == train[0].better
    assert item["better"]["frames"].shape == (3, 3, 32, 32) and item["better"]["flow"].shape == (3, 4, 32, 32)
    assert item["better"]["flow"].abs().max() <= 1.0
    test_a = PairDataset(val, loader, "test")[0]
    test_b = PairDataset(val, loader, "test")[0]
    for side in ("better", "worse"):
        for key in ("frames", "flow", "frame_indices"):
            torch.testing.assert_close(test_a[side][key], test_b[side][key])
    np.testing.assert_array_equal(test_a["better"]["frame_indices"].numpy(), [3, 7, 11])
    videos = VideoDataset([p.better for p in val] + [p.worse for p in val], loader)
    assert videos.video_ids == sorted(set(videos.video_ids)) and videos[0]["video_id"] == videos.video_ids[0]


def test_tvl1_is_the_default_and_farneback_only_an_explicit_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    from skillsight.exceptions import MissingDependencyError

    frames = _moving_texture(2)
    if available_flow_method() == "tvl1":  # the vision extra's OpenCV (contrib) is installed
        np.testing.assert_array_equal(compute_flow(frames), compute_flow(frames, "tvl1"))
        record = flow_mod.flow_method_record()
        assert record["method"] == "tvl1" and record["function"] == "cv2.optflow.DualTVL1OpticalFlow"
        assert record["parameters"]["Lambda"] == pytest.approx(0.15)  # OpenCV's TV-L1 default
        tvl1 = compute_flow(frames)[:, 12:36, 12:36]
        assert abs(np.median(tvl1[..., 0]) - 2.0) < 0.3  # TV-L1 recovers the 2 px shift too
    # an install without the contrib module: TV-L1 is refused with the fix, never replaced by Farneback
    monkeypatch.setattr(flow_mod, "available_flow_method", lambda: "farneback")
    for call in (lambda: compute_flow(frames), lambda: flow_mod.flow_method_record("tvl1")):
        with pytest.raises(MissingDependencyError, match=r"opencv-contrib.*data.flow_method=farneback"):
            call()
    assert flow_mod.flow_method_record("farneback")["method"] == "farneback"
    assert compute_flow(frames, "farneback").shape == (2, 48, 48, 2)
