"""Inference API: train/serve parity of the gaze windows, row parsing = the file reader, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.data.datasets import SkillClipDataset
from skillsight.data.readers.aria import (
    nominal_rgb_calibration,
    read_device_calibration,
    read_gaze_csv,
    read_trajectory_csv,
    write_device_calibration_json,
    write_gaze_csv,
    write_trajectory_csv,
)
from skillsight.data.records import Take
from skillsight.deploy.gaze_rows import GazeRowParser, iter_csv_rows
from skillsight.deploy.inference import SkillEstimator, to_gaze_track
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.tracks import GazeTrack, Trajectory
from tests.unit.deploy._runs import NUM_STEPS, make_run, synthetic_track

LAYOUTS = ("legacy_v1", "legacy_v2", "vergence", "gen2")


def _trajectory(t0_us: int, duration_s: float) -> Trajectory:
    n = int(duration_s * 100)
    ts = t0_us - 200_000 + np.arange(n, dtype=np.int64) * 10_000
    t = np.arange(n) / 100.0
    angle = 0.3 * np.sin(t / 4.0)  # turning about z while walking
    q = np.stack([np.zeros(n), np.zeros(n), np.sin(angle / 2), np.cos(angle / 2)], 1)
    pos = np.stack([0.2 * t, 0.1 * np.sin(t), 1.6 + 0.01 * np.cos(3 * t)], 1)
    return Trajectory(ts, pos, q, np.ones(n))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return make_run(tmp_path_factory.mktemp("run") / "student")


@pytest.fixture(scope="module")
def take(tmp_path_factory):
    """A take written with the Aria writers: vergence gaze with a gap, trajectory, calibration."""
    root = tmp_path_factory.mktemp("take")
    track = synthetic_track(duration_s=20.0)
    keep = (track.timestamps_us < 11_000_000) | (track.timestamps_us > 12_500_000)  # 1.5 s tracking loss
    track = GazeTrack(
        track.timestamps_us[keep],
        track.yaw_rad[keep],
        track.pitch_rad[keep],
        track.depth_m[keep],
        track.depth_valid[keep],
        "synthetic",
    )
    write_gaze_csv(root / "gaze.csv", track, layout="vergence")
    write_trajectory_csv(root / "traj.csv", _trajectory(int(track.timestamps_us[0]), 21.0))
    write_device_calibration_json(root / "calib.json", nominal_rgb_calibration())
    return Take(
        take_uid="t1",
        take_name="take_1",
        scenario="Cooking",
        task_name="a",
        label=2,
        split="test",
        ego_camera="aria01",
        gaze_path=root / "gaze.csv",
        trajectory_path=root / "traj.csv",
        calibration_path=root / "calib.json",
        duration_sec=20.0,
    )


def test_train_serve_parity_of_the_gaze_window(run, take):
    """The dataset's item for a clip == what the inference API feeds the model for that window."""
    names = ["gaze", "gaze_mask", "gaze_channel_mask"]
    ds = SkillClipDataset([take], names, mode="test", num_clips=6, num_frames=NUM_STEPS)
    est = SkillEstimator.from_run(run, backend="torch")
    gaze = read_gaze_csv(take.gaze_path)
    traj, calib = read_trajectory_csv(take.trajectory_path), read_device_calibration(take.calibration_path)
    t0 = int(gaze.timestamps_us[0])
    masked_steps = 0
    for i in range(len(ds)):
        item = ds[i]
        start_us = t0 + round(item["clip_start"] * 1e6 / 30.0)  # the clip's first frame on the device clock
        inputs, samples, _ = est.window_inputs(gaze, start_us, traj, calib)
        np.testing.assert_array_equal(inputs["gaze"][0], item["gaze"].numpy())
        np.testing.assert_array_equal(inputs["gaze_mask"][0], item["gaze_mask"].numpy())
        np.testing.assert_array_equal(inputs["gaze_channel_mask"][0], item["gaze_channel_mask"].numpy())
        assert samples.pose_valid.all()
        masked_steps += int((~inputs["gaze_mask"]).sum())
        with torch.no_grad():
            expected = est.backend.model(**{n: item[n][None] for n in names})["logits"]
        np.testing.assert_allclose(est.backend.logits(inputs), expected.numpy(), atol=1e-6)
    assert masked_steps > 0  # the tracking loss is masked in both


@pytest.mark.parametrize("layout", LAYOUTS)
def test_rows_parse_like_the_file_reader(tmp_path, layout):
    track = synthetic_track(duration_s=3.0)
    write_gaze_csv(tmp_path / "g.csv", track, layout=layout)
    expected = read_gaze_csv(tmp_path / "g.csv")
    rows = GazeRowParser(source="t").parse(iter_csv_rows(tmp_path / "g.csv"))
    np.testing.assert_array_equal(rows.timestamps_us, expected.timestamps_us)
    np.testing.assert_array_equal(rows.yaw_rad, expected.yaw_rad)
    np.testing.assert_array_equal(rows.pitch_rad, expected.pitch_rad)
    np.testing.assert_array_equal(rows.depth_valid, expected.depth_valid)
    np.testing.assert_array_equal(rows.depth_m[rows.depth_valid], expected.depth_m[expected.depth_valid])


def test_onnx_and_torch_give_the_same_windows(run, take):
    kw = {"trajectory": take.trajectory_path, "calibration": take.calibration_path, "hop_s": 2.0}
    a = SkillEstimator.from_run(run, backend="torch").predict_windows(take.gaze_path, **kw)
    b = SkillEstimator.from_run(run, backend="onnx").predict_windows(take.gaze_path, **kw)
    assert [w.start_us for w in a] == [w.start_us for w in b] and len(
        a
    ) == 9  # starts 0..16 s, last step <= 20 s
    for x, y in zip(a, b):
        assert x.skipped == y.skipped
        if x.skipped is None:
            np.testing.assert_allclose(x.probabilities, y.probabilities, atol=1e-5)
            assert x.label == y.label and x.latency_ms > 0 and abs(x.probabilities.sum() - 1) < 1e-9


def test_row_mappings_nan_rows_and_sorting(run):
    track = synthetic_track(duration_s=10.0)
    rows = [
        {"tracking_timestamp_us": str(t), "yaw_rads_cpf": y, "pitch_rads_cpf": p, "depth_m": ""}
        for t, y, p in zip(track.timestamps_us, track.yaw_rad, track.pitch_rad)
    ]
    est = SkillEstimator.from_run(run, backend="torch")
    clean = est.predict_windows(rows)
    for r in rows[30:45]:
        r["yaw_rads_cpf"] = "nan"  # 1.5 s of tracking loss
    rows[5], rows[6] = rows[6], rows[5]
    parsed, counts = to_gaze_track(rows)
    assert counts["nan_rows"] == 15 and counts["reordered"] == 2
    assert np.all(np.diff(parsed.timestamps_us) > 0)
    lossy = est.predict_windows(rows)
    assert [w.start_us for w in lossy] == [w.start_us for w in clean]
    assert lossy[0].valid_steps < clean[0].valid_steps == NUM_STEPS


def test_short_recording_gives_one_skipped_window(run):
    est = SkillEstimator.from_run(run, backend="torch")
    out = est.predict_windows(synthetic_track(duration_s=0.5))
    assert len(out) == 1 and out[0].probabilities is None
    assert out[0].skipped == f"1/{NUM_STEPS} steps have gaze, {NUM_STEPS // 2} needed"


def test_bad_input_raises_clear_errors(run, tmp_path):
    est = SkillEstimator.from_run(run, backend="torch")
    with pytest.raises(DataFormatError, match="no gaze rows"):
        est.predict_windows([])
    with pytest.raises(DataFormatError, match="not a known Aria MPS gaze layout"):
        est.predict_windows([{"timestamp": 1, "x": 0.1}])
    with pytest.raises(ConfigError, match="trained on 4 s windows"):
        est.predict_windows(synthetic_track(), window_s=8.0)
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(DataFormatError, match="empty"):
        est.predict_windows(tmp_path / "empty.csv")
    with pytest.raises(ConfigError, match="backend"):
        SkillEstimator.from_run(run, backend="tensorrt")


def test_batched_window_preparation_equals_one_window_at_a_time(run, take):
    """windows_inputs (one resampling call for every window) == each window resampled on its own."""
    from skillsight.gaze.normalize import normalize_clip_gaze
    from skillsight.gaze.resample import gaze_samples_at

    est = SkillEstimator.from_run(run, backend="torch")
    gaze = read_gaze_csv(take.gaze_path)
    traj, calib = read_trajectory_csv(take.trajectory_path), read_device_calibration(take.calibration_path)
    starts = int(gaze.timestamps_us[0]) + 250_000 * np.arange(60)  # overlapping windows, across the gap
    batched = est.windows_inputs(gaze, starts, traj, calib)
    assert len(batched) == len(starts)
    for start, (inputs, samples, norm) in zip(starts, batched):
        alone = gaze_samples_at(
            gaze, est.spec.query_us(int(start)), traj, None, calib, max_gap_us=est.spec.max_gap_us
        )
        for field in (
            "timestamps_us",
            "point_world_m",
            "head_q_xyzw",
            "gaze2d_px",
            "gaze_valid",
            "pose_valid",
        ):
            np.testing.assert_array_equal(getattr(samples, field), getattr(alone, field))
        ref = normalize_clip_gaze(alone, far_clip_m=est.spec.far_clip_m)
        np.testing.assert_array_equal(inputs["gaze"][0], ref.gaze)
        np.testing.assert_array_equal(inputs["gaze_channel_mask"][0], ref.channel_mask)
        np.testing.assert_array_equal(norm.mask, ref.mask)
    preds = est.predict_windows(gaze, traj, calib, hop_s=0.25)
    one_by_one = [est.predict_window(gaze, int(p.start_us), traj, calib) for p in preds]
    assert [p.label for p in preds] == [p.label for p in one_by_one]
    assert sum(p.probabilities is not None for p in preds) > 10
    for a, b in zip(preds, one_by_one):
        if a.probabilities is not None:
            np.testing.assert_array_equal(a.probabilities, b.probabilities)
