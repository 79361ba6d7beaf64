"""SkillClipDataset on tiny takes written in the real file layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.data import clips, take_reader
from skillsight.data.datasets import CROP_MEAN, CROP_STD, VIDEO_MEAN, VIDEO_STD, SkillClipDataset
from skillsight.data.readers import aria
from skillsight.data.readers.decoded_videos import DecodedVideoCache
from skillsight.data.readers.egoexo4d import read_gaze2d_csv, write_gaze2d_csv
from skillsight.data.readers.video import write_video
from skillsight.data.records import SCENARIOS, Take
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.crops import gaze_crop_boxes
from skillsight.gaze.geometry import pose_matrices
from skillsight.gaze.normalize import normalize_clip_gaze
from skillsight.gaze.resample import gaze_samples_at
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera, Gaze2DTrack, GazeTrack, Trajectory

FPS = 10
SIZE = 32
N_FRAMES = (120, 100, 60)  # the last take is shorter than a clip (80 frames at 10 fps)
T0_US = 5_000_000


def _barcode(n: int, view: int) -> np.ndarray:
    """Frame t of view v shows (t, v) as 16-level blocks: left half t // 16, right t % 16, top row v."""
    frames = np.zeros((n, SIZE, SIZE, 3), np.uint8)
    t = np.arange(n)
    frames[:, 4:, : SIZE // 2] = ((t // 16) * 16 + 8)[:, None, None, None]
    frames[:, 4:, SIZE // 2 :] = ((t % 16) * 16 + 8)[:, None, None, None]
    frames[:, :4] = 40 * view + 8
    return frames


def _read_barcode(video: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(..., T, 3, H, W) normalised -> frame numbers (..., T) and view ids (..., T)."""
    px = (video * VIDEO_STD + VIDEO_MEAN) * 255.0
    hi = px[..., 8:-4, 4 : SIZE // 2 - 4].mean(dim=(-1, -2, -3)).numpy()
    lo = px[..., 8:-4, SIZE // 2 + 4 : -4].mean(dim=(-1, -2, -3)).numpy()
    view = px[..., 1:3, 4:-4].mean(dim=(-1, -2, -3)).numpy()
    frame = np.round((hi - 8) / 16) * 16 + np.round((lo - 8) / 16)
    return frame.astype(int), np.round((view - 8) / 40).astype(int)


def _calibration() -> DeviceCalibration:
    params = np.array([610.0, 715.0, 716.0, 0.4, -0.5, 0.1, 1.0, -1.6, 0.7, 1e-4, -2e-4, 1e-4, 0, 0, 0])
    T_device_camera = pose_matrices(np.array([-0.005, 0.01, 0.0]), np.array([0.0, 0.0, 0.0, 1.0]))
    return DeviceCalibration(
        T_device_cpf=aria.cad_T_device_cpf(),
        T_device_camera=T_device_camera,
        camera=Fisheye624Camera(params=params, width_px=1408, height_px=1408),
    )


def _write_take(root: Path, i: int, n_frames: int, scenario: str, task: str, label: int) -> Take:
    folder = root / f"take{i}"
    rng = np.random.default_rng(i)
    videos = {"aria01": folder / "ego.mp4", "cam01": folder / "cam01.mp4", "cam02": folder / "cam02.mp4"}
    for view, path in enumerate(videos.values()):
        write_video(path, _barcode(n_frames, view), FPS, gop=8)
    duration_us = int(n_frames / FPS * 1e6)
    gaze_ts = T0_US + np.arange(0, duration_us, 100_000, dtype=np.int64)  # 10 Hz
    n = len(gaze_ts)
    gaze = GazeTrack(
        gaze_ts,
        rng.uniform(-0.3, 0.3, n),
        rng.uniform(-0.2, 0.2, n),
        rng.uniform(0.5, 3.0, n),
        np.ones(n, bool),
        "vergence",
    )
    aria.write_gaze_csv(folder / "eye_gaze" / "general_eye_gaze.csv", gaze)
    traj_ts = T0_US - 200_000 + np.arange(0, duration_us + 400_000, 10_000, dtype=np.int64)  # 100 Hz
    m = len(traj_ts)
    half = np.linspace(0, 0.4, m)
    q = np.stack([np.zeros(m), np.sin(half), np.zeros(m), np.cos(half)], axis=1)
    aria.write_trajectory_csv(
        folder / "trajectory" / "closed_loop_trajectory.csv",
        Trajectory(traj_ts, np.cumsum(rng.normal(0, 0.01, (m, 3)), 0), q, np.ones(m)),
    )
    xy = np.stack([rng.uniform(0, 1408, n), rng.uniform(0, 1408, n)], axis=1)
    write_gaze2d_csv(folder / "eye_gaze" / "general_eye_gaze_2d.csv", Gaze2DTrack(gaze_ts, xy, (1408, 1408)))
    aria.write_device_calibration_json(folder / "device_calibration.json", _calibration())
    return Take(
        take_uid=f"uid{i}",
        take_name=f"take{i}",
        scenario=scenario,
        task_name=task,
        label=label,
        split="train",
        ego_camera="aria01",
        video_paths=videos,
        gaze_path=folder / "eye_gaze" / "general_eye_gaze.csv",
        gaze2d_path=folder / "eye_gaze" / "general_eye_gaze_2d.csv",
        trajectory_path=folder / "trajectory" / "closed_loop_trajectory.csv",
        calibration_path=folder / "device_calibration.json",
        duration_sec=n_frames / FPS,
    )


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> list[Take]:
    root = tmp_path_factory.mktemp("takes")
    spec = [("Music", "piano", 3), ("Soccer", "juggling", 0), ("Music", "guitar", 1)]
    return [_write_take(root, i, n, *spec[i]) for i, n in enumerate(N_FRAMES)]


VOCAB = ("piano", "guitar", "juggling")
KW = dict(frame_size_px=SIZE, crop_px=16, action_vocab=VOCAB)


def test_test_mode_items_follow_the_clip_protocol(takes: list[Take]) -> None:
    ds = SkillClipDataset(takes, ("video", "gaze", "gaze_mask", "scenario"), mode="test", num_clips=4, **KW)
    assert len(ds) == 12
    item = ds[5]  # take 1, clip 1
    assert set(item) == {
        "video",
        "gaze",
        "gaze_mask",
        "scenario",
        "label",
        "take_uid",
        "clip_index",
        "clip_start",
    }
    assert item["video"].shape == (16, 3, SIZE, SIZE) and item["video"].dtype == torch.float32
    assert item["gaze"].shape == (16, 14) and item["gaze_mask"].dtype == torch.bool
    assert (item["take_uid"], item["clip_index"]) == ("uid1", 1)
    assert item["scenario"].item() == SCENARIOS.index("Soccer") and item["label"].item() == 0
    start = clips.test_clip_starts(100, FPS, num_clips=4)[1]
    expected = clips.clip_frame_indices(100, FPS, start=start)
    frames, _ = _read_barcode(item["video"])
    np.testing.assert_array_equal(frames, expected)
    assert item["clip_start"] == expected[0]
    short = ds[8]  # take 2: 60 frames < one clip -> starts at 0, last frame repeated
    frames, _ = _read_barcode(short["video"])
    np.testing.assert_array_equal(frames, np.minimum(np.arange(16) * 5, 59))


def test_gaze_channels_equal_the_library_pipeline(takes: list[Take]) -> None:
    ds = SkillClipDataset(
        takes, ("gaze", "gaze_mask", "gaze2d", "gaze2d_mask"), mode="test", num_clips=3, **KW
    )
    take, _clip_index, indices, fps = ds.clip_plan(4)
    gaze = aria.read_gaze_csv(take.gaze_path)
    samples = gaze_samples_at(
        gaze,
        clips.frame_timestamps_us(indices, fps, T0_US),
        aria.read_trajectory_csv(take.trajectory_path),
        read_gaze2d_csv(take.gaze2d_path),
        aria.read_device_calibration(take.calibration_path),
    )
    expected = normalize_clip_gaze(samples)
    item = ds[4]
    np.testing.assert_allclose(item["gaze"].numpy(), expected.gaze, atol=1e-6)
    np.testing.assert_array_equal(item["gaze_mask"].numpy(), expected.mask)
    np.testing.assert_allclose(item["gaze2d"].numpy(), expected.gaze2d, atol=1e-6)
    assert item["gaze_mask"].all() and item["gaze2d_mask"].all()
    assert item["gaze"][:, 6:13].abs().sum() > 0  # the head moved: relative poses are not all identity


def test_gaze_only_model_never_opens_a_video(takes: list[Take], monkeypatch) -> None:
    def fail(*args, **kwargs):
        raise AssertionError("a gaze-only dataset touched a video")

    monkeypatch.setattr(take_reader, "decode_frames", fail)
    monkeypatch.setattr(take_reader, "probe_video", fail)
    ds = SkillClipDataset(
        takes, ("gaze", "gaze_mask", "scenario"), mode="test", num_clips=2, gaze_timeline_fps=FPS, **KW
    )
    items = [ds[i] for i in range(len(ds))]
    assert all(
        set(it) == {"gaze", "gaze_mask", "scenario", "label", "take_uid", "clip_index", "clip_start"}
        for it in items
    )


def test_video_free_timeline_gives_the_same_clips_as_the_video(takes: list[Take], monkeypatch) -> None:
    with_video = SkillClipDataset(takes, ("video", "gaze"), mode="test", num_clips=3, **KW)
    gaze_only = SkillClipDataset(takes, ("gaze",), mode="test", num_clips=3, gaze_timeline_fps=FPS, **KW)
    for i in range(len(gaze_only)):
        a, b = with_video[i], gaze_only[i]
        assert a["clip_start"] == b["clip_start"]
        torch.testing.assert_close(a["gaze"], b["gaze"])


def test_train_mode_one_seeded_clip_per_take_per_epoch(takes: list[Take]) -> None:
    ds = SkillClipDataset(takes, ("gaze",), mode="train", seed=3, gaze_timeline_fps=FPS, **KW)
    assert len(ds) == 3
    ds.set_epoch(0)
    epoch0 = [ds.clip_plan(i)[2][0] for i in range(3)]
    assert epoch0 == [ds.clip_plan(i)[2][0] for i in range(3)]  # deterministic
    starts = set()
    for epoch in range(12):
        ds.set_epoch(epoch)
        starts.add(int(ds.clip_plan(0)[2][0]))
        assert ds.clip_plan(2)[2][0] == 0  # the short take has one possible start
        assert ds[0]["clip_index"] == -1
    assert len(starts) > 3 and max(starts) <= 120 - 80
    ds.set_epoch(0)
    clone = SkillClipDataset(takes, ("gaze",), mode="train", seed=3, gaze_timeline_fps=FPS, **KW)
    torch.testing.assert_close(ds[1]["gaze"], clone[1]["gaze"])


def test_train_mode_several_clips_per_take_keep_the_single_clip_draw_first(takes: list[Take]) -> None:
    one = SkillClipDataset(takes, ("gaze",), mode="train", seed=3, gaze_timeline_fps=FPS, **KW)
    four = SkillClipDataset(
        takes, ("gaze",), mode="train", seed=3, gaze_timeline_fps=FPS, train_clips_per_take=4, **KW
    )
    assert len(four) == 4 * len(one) == 12
    for epoch in range(3):
        one.set_epoch(epoch)
        four.set_epoch(epoch)
        assert [four.clip_plan(i)[0].take_uid for i in range(12)] == [
            t.take_uid for t in takes for _ in range(4)
        ]
        # one clip per take draws from (seed, epoch, take) exactly as the protocol always did
        rng = np.random.default_rng([3, epoch, 0])
        assert one.clip_plan(0)[2][0] == clips.train_clip_start(120, FPS, rng)
    starts = {int(four.clip_plan(i)[2][0]) for i in range(4)}
    assert len(starts) > 1, "the draws of one take differ"
    with pytest.raises(ConfigError, match="train_clips_per_take"):
        SkillClipDataset(takes, ("gaze",), mode="train", train_clips_per_take=0, **KW)


def test_exo_views_are_time_synchronised(takes: list[Take]) -> None:
    ds = SkillClipDataset(takes, ("video", "exo_video"), mode="test", num_clips=2, **KW)
    item = ds[2]  # take 1, clip 0
    assert item["exo_video"].shape == (2, 16, 3, SIZE, SIZE)
    exo_frames, exo_views = _read_barcode(item["exo_video"])
    ego_frames, ego_view = _read_barcode(item["video"])
    np.testing.assert_array_equal(exo_frames, np.stack([ego_frames, ego_frames]))
    np.testing.assert_array_equal(exo_views, np.array([[1] * 16, [2] * 16]))
    assert (ego_view == 0).all()
    with pytest.raises(DataFormatError, match="exo views"):
        SkillClipDataset(takes, ("exo_video",), mode="test", num_exo_views=3, **KW)


def test_decoded_video_cache_gives_identical_items(takes: list[Take]) -> None:
    keys = ("video", "exo_video", "crops", "gaze2d")
    plain = SkillClipDataset(takes, keys, mode="test", num_clips=2, **KW)
    cache = DecodedVideoCache(max_bytes=1 << 26)
    cached = SkillClipDataset(takes, keys, mode="test", num_clips=2, decoded_videos=cache, **KW)
    for index in range(len(plain)):
        a, b = plain[index], cached[index]
        for key in keys:
            torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert cache.misses == 3 * len(takes)  # ego + 2 exo views, each decoded once


def test_crops_are_the_frame_regions_around_the_gaze(takes: list[Take]) -> None:
    ds = SkillClipDataset(takes, ("video", "crops", "gaze2d"), mode="test", num_clips=2, **KW)
    item = ds[0]
    assert item["crops"].shape == (16, 3, 16, 16)
    frames = item["video"] * VIDEO_STD + VIDEO_MEAN  # (T, 3, H, W) in [0, 1]
    boxes = gaze_crop_boxes(item["gaze2d"].numpy(), (SIZE, SIZE), 16)
    mean = torch.tensor(CROP_MEAN).view(3, 1, 1)
    std = torch.tensor(CROP_STD).view(3, 1, 1)
    crops = item["crops"] * std + mean
    for t, (x0, y0, x1, y1) in enumerate(boxes):
        torch.testing.assert_close(crops[t], frames[t, :, y0:y1, x0:x1], atol=1e-5, rtol=0)


def test_action_vocabulary_and_labels(takes: list[Take]) -> None:
    ds = SkillClipDataset(
        takes, ("gaze",), mode="test", num_clips=1, targets=("label", "action"), gaze_timeline_fps=FPS, **KW
    )
    assert [ds[i]["action"].item() for i in range(3)] == [0, 2, 1]
    with pytest.raises(ConfigError, match="action_vocab"):
        SkillClipDataset(takes, ("gaze",), targets=("action",), frame_size_px=SIZE)
    with pytest.raises(DataFormatError, match="juggling"):
        SkillClipDataset(takes, ("gaze",), targets=("action",), action_vocab=("piano", "guitar"))
    with pytest.raises(ConfigError, match="crop_features"):
        SkillClipDataset(takes, ("crop_features",))
    unlabelled = [Take(**{**vars(takes[0]), "label": None})]
    with pytest.raises(DataFormatError, match="no label"):
        SkillClipDataset(unlabelled, ("gaze",))
    assert SkillClipDataset(unlabelled, ("gaze",), allow_unlabelled=True, **KW)[0]["label"].item() == -1


def test_missing_and_corrupt_files_name_the_take_and_file(takes: list[Take], tmp_path: Path) -> None:
    missing = [Take(**{**vars(takes[0]), "gaze_path": tmp_path / "nope.csv"})]
    with pytest.raises(DataFormatError, match="uid0"):
        SkillClipDataset(missing, ("gaze",))
    SkillClipDataset(missing, ("video",), **KW)  # video-only: the gaze file is not needed
    bad = tmp_path / "bad_gaze.csv"
    bad.write_text("tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf\n1,abc,0.1\n")
    corrupt = [Take(**{**vars(takes[0]), "gaze_path": bad})]
    ds = SkillClipDataset(corrupt, ("gaze",), mode="test", **KW)
    with pytest.raises(DataFormatError) as err:
        ds[0]
    assert "uid0" in str(err.value) and "bad_gaze.csv" in str(err.value)
    truncated = tmp_path / "trunc.mp4"
    truncated.write_bytes(Path(takes[0].video_paths["aria01"]).read_bytes()[:300])
    broken = [Take(**{**vars(takes[0]), "video_paths": {**takes[0].video_paths, "aria01": truncated}})]
    with pytest.raises(DataFormatError) as err:
        SkillClipDataset(broken, ("video",), mode="test", **KW)[0]
    assert "uid0" in str(err.value) and "trunc.mp4" in str(err.value)


def test_batches_collate(takes: list[Take]) -> None:
    ds = SkillClipDataset(takes, ("video", "gaze", "gaze_mask", "scenario"), mode="test", num_clips=2, **KW)
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=3)))
    assert batch["video"].shape == (3, 16, 3, SIZE, SIZE) and batch["gaze"].shape == (3, 16, 14)
    assert batch["label"].dtype == torch.long and batch["take_uid"] == ["uid0", "uid0", "uid1"]


def test_crop_normalisation_is_what_the_frozen_dinov2_expects() -> None:
    from skillsight.models.layers.crop_features import DINOV2_PIXEL_MEAN, DINOV2_PIXEL_STD

    assert (tuple(DINOV2_PIXEL_MEAN), tuple(DINOV2_PIXEL_STD)) == (CROP_MEAN, CROP_STD)
