"""Test clips of a take decoded in ONE pass give exactly the frames of decoding each clip on its own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.data import take_reader
from skillsight.data.clip_planner import ClipPlanner
from skillsight.data.datasets import SkillClipDataset
from skillsight.data.item_builders import video_item
from skillsight.data.readers.video import decode_frames, write_video
from skillsight.data.records import Take

FPS, SIZE = 10, 32
N_FRAMES = (130, 95)  # 13 s and 9.5 s: ten 8 s test clips overlap heavily, the last ends at the end


def _noisy_frames(n: int, seed: int) -> np.ndarray:
    """Moving gradient + noise: every frame differs, so a wrong frame cannot pass for the right one."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    t = np.arange(n)[:, None, None]
    base = np.stack([(xx + 5 * t) % 256, (yy + 3 * t) % 256, (xx + yy + 7 * t) % 256], axis=-1)
    return np.clip(base + rng.normal(0, 8, base.shape), 0, 255).astype(np.uint8)


def _take(root: Path, i: int, n_frames: int, gop: int) -> Take:
    videos = {"aria01": root / f"take{i}" / "ego.mp4", "cam01": root / f"take{i}" / "cam01.mp4"}
    for v, path in enumerate(videos.values()):
        write_video(path, _noisy_frames(n_frames, 10 * i + v), FPS, gop=gop)
    return Take(
        take_uid=f"uid{i}",
        take_name=f"take{i}",
        scenario="Music",
        task_name="piano",
        label=i % 4,
        split="test",
        ego_camera="aria01",
        video_paths=videos,
        duration_sec=n_frames / FPS,
    )


@pytest.fixture(scope="module", params=[3, 12])
def takes(request, tmp_path_factory) -> list[Take]:
    root = tmp_path_factory.mktemp(f"gop{request.param}")
    return [_take(root, i, n, gop=request.param) for i, n in enumerate(N_FRAMES)]


def test_one_pass_frames_equal_the_per_clip_decoding(takes, monkeypatch):
    calls: list[int] = []

    def counting(path, indices, size=None):
        calls.append(len(np.unique(indices)))
        return decode_frames(path, indices, size=size)

    monkeypatch.setattr(take_reader, "decode_frames", counting)
    ds = SkillClipDataset(takes, ("video", "exo_video"), mode="test", num_clips=10, frame_size_px=SIZE)
    order = list(range(len(ds)))
    for index in order:
        item = ds[index]
        take, _, indices, _ = ds.clip_plan(index)
        for key, cam in (("video", "aria01"), ("exo_video", "cam01")):
            per_clip = video_item(decode_frames(take.video_paths[cam], indices, size=(SIZE, SIZE)))
            got = item[key] if key == "video" else item[key][0]
            torch.testing.assert_close(got, per_clip, rtol=0, atol=0)
    # ONE decoding call per video of each take (ego + exo), each for the union of its clips' frames
    assert len(calls) == 2 * len(takes)
    last = ds.clip_plan(len(ds) - 1)[2]
    assert last[-1] >= N_FRAMES[-1] - FPS  # the last clip reaches the final second of the video
    first_two = [set(ds.clip_plan(k)[2].tolist()) for k in range(2)]
    assert first_two[0] & first_two[1]  # the clips overlap: shared frames are decoded once


def test_items_in_any_order_and_frames_outside_the_clips(takes):
    ds = SkillClipDataset(takes, ("video",), mode="test", num_clips=10, frame_size_px=SIZE)
    for index in (12, 3, 19, 0, 11, 9):  # hops between takes drop and re-decode the held frames
        take, _, indices, _ = ds.clip_plan(index)
        ref = video_item(decode_frames(take.video_paths["aria01"], indices, size=(SIZE, SIZE)))
        torch.testing.assert_close(ds[index]["video"], ref, rtol=0, atol=0)
    take, n = takes[0], N_FRAMES[0]
    path = take.video_paths["aria01"]
    clips = [np.arange(0, 16), np.arange(10, 26), np.arange(n - 16, n), np.array([n - 1, 40, 40, 7])]
    union = np.unique(np.concatenate(clips))  # overlapping clips, one ending on the last frame
    for clip in clips:
        got = ds.reader.decode_clip(take, path, clip, union)
        np.testing.assert_array_equal(got, decode_frames(path, clip, size=(SIZE, SIZE)))
    union = ds.planner.take_frame_indices(0, N_FRAMES[0], FPS)
    outside = np.array([1, 2, 3])  # not frames of any test clip (those sit on a 5-frame grid)
    assert not np.isin(outside, union).all()
    got = ds.reader.decode_clip(take, path, outside, union)
    np.testing.assert_array_equal(got, decode_frames(path, outside, size=(SIZE, SIZE)))


def test_take_frame_indices_is_the_sorted_union_of_the_test_clips():
    planner = ClipPlanner(2, "test", 10, 0, 16, 2.0)
    union = planner.take_frame_indices(0, 130, 10.0)
    per_clip = [planner.frame_indices(planner.slot(k), 130, 10.0, 0) for k in range(10)]
    np.testing.assert_array_equal(union, np.unique(np.concatenate(per_clip)))
    assert ClipPlanner(2, "train", 10, 0, 16, 2.0).take_frame_indices(0, 130, 10.0) is None
