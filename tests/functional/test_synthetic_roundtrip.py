"""End to end: synthetic data through the real readers (Ego-Exo4D scan, MPS CSVs, calibration, video)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from skillsight.data.readers.aria import read_device_calibration, read_gaze_csv, read_trajectory_csv
from skillsight.data.readers.egoexo4d import load_takes, read_gaze2d_csv
from skillsight.data.readers.video import probe_video
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.data.synthetic.scenes import SCENES
from skillsight.data.synthetic.takes import generate_synthetic_dataset

DURATION_S = 6.0
FPS = 10


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("synthetic")
    start = time.perf_counter()
    root = generate_synthetic_dataset(
        out, takes_per_level=3, seed=3, duration_s=DURATION_S, frame_px=32, workers=2
    )
    n_takes = len(list(root.glob("takes/*")))
    print(f"\nsynthetic dataset: {n_takes} takes in {time.perf_counter() - start:.1f} s")
    return root


def _sidecars(root: Path) -> dict[str, dict]:
    docs = (json.loads(p.read_text()) for p in root.glob("takes/*/synthetic_take.json"))
    return {s["take_uid"]: s for s in docs}


def test_round_trip_through_the_reader_without_skips(dataset: Path) -> None:
    scan = load_takes(dataset, require=("gaze", "gaze2d", "video", "trajectory", "calibration", "label"))
    assert scan.skipped == [] and scan.notes == [] and scan.missing_splits == []
    sidecars = _sidecars(dataset)
    assert len(scan.takes) == len(sidecars) == 6 * 4 * 3
    for take in scan.takes:
        truth = sidecars[take.take_uid]
        assert take.scenario == truth["scenario"] and take.task_name == truth["task_name"]
        assert PROFICIENCY_LABELS[take.label] == truth["annotated_label"] == truth["true_label"]
        assert take.ego_camera.startswith("aria") and take.exo_cameras == []
    assert {t.scenario for t in scan.takes} == set(SCENARIOS)
    expected = {(s, task.name) for s in SCENARIOS for task in SCENES[s].tasks}
    assert {(t.scenario, t.task_name) for t in scan.takes} == expected
    for split in ("train", "val", "test"):
        labels = [t.label for t in scan.takes if t.split == split]
        assert sorted(set(labels)) == [0, 1, 2, 3] and len(labels) == 6 * 4


def test_files_are_readable_and_time_aligned(dataset: Path) -> None:
    take = load_takes(dataset).takes[0]
    gaze = read_gaze_csv(take.gaze_path)
    gaze2d = read_gaze2d_csv(take.gaze2d_path)
    traj = read_trajectory_csv(take.trajectory_path)
    calib = read_device_calibration(take.calibration_path)
    info = probe_video(take.video_paths[take.ego_camera])
    n = int(DURATION_S * 10)
    assert gaze.layout == "vergence" and len(gaze) == n and np.all(gaze.depth_valid)
    assert np.all(np.diff(gaze.timestamps_us) == 100_000)
    np.testing.assert_array_equal(gaze2d.timestamps_us, gaze.timestamps_us)
    assert traj.timestamps_us[0] < gaze.timestamps_us[0] and traj.timestamps_us[-1] > gaze.timestamps_us[-1]
    assert np.nanmax(gaze.depth_m) <= 4.0 + 1e-9
    assert (info.n_frames, info.width_px, info.height_px) == (int(DURATION_S * FPS), 32, 32)
    assert info.fps == pytest.approx(FPS)
    assert calib.camera.width_px == 1408 and np.isfinite(gaze2d.xy_px).mean() > 0.95
    sidecar = json.loads((take.gaze_path.parents[1] / "synthetic_take.json").read_text())
    assert sidecar["start_timestamp_us"] == gaze.timestamps_us[0]


def test_exo_views_are_discovered(tmp_path: Path) -> None:
    root = generate_synthetic_dataset(
        tmp_path,
        takes_per_level=3,
        duration_s=4.0,
        frame_px=16,
        with_exo=True,
        workers=1,
        scenarios=("Music",),
    )
    scan = load_takes(root, require=("gaze", "video", "exo"))
    assert scan.skipped == [] and len(scan.takes) == 12
    take = scan.takes[0]
    assert take.exo_cameras == ["cam01", "cam02", "cam03", "cam04"]
    infos = [probe_video(take.video_paths[c]) for c in [take.ego_camera, *take.exo_cameras]]
    assert len({(i.n_frames, i.fps) for i in infos}) == 1  # time-synchronised views


def test_experts_look_further_ahead_in_the_written_gaze(dataset: Path) -> None:
    """The expert-vs-novice gaze statistic survives writing and reading (depth is scenario-relative)."""
    scan = load_takes(dataset)
    novice, expert = [], []
    for scenario in SCENARIOS:
        depth = {
            t.take_uid: np.median(np.log(read_gaze_csv(t.gaze_path).depth_m))
            for t in scan.takes
            if t.scenario == scenario
        }
        centre = np.median(list(depth.values()))
        for t in scan.takes:
            if t.scenario == scenario and t.label in (0, 3):
                (novice if t.label == 0 else expert).append(depth[t.take_uid] - centre)
    assert mannwhitneyu(expert, novice, alternative="greater").pvalue < 0.01


def test_cli_inspect_and_synth_errors(
    dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from skillsight.cli.main import main

    main(["data", "inspect", str(dataset)])
    out = capsys.readouterr().out
    assert "Soccer" in out and "kept 72 takes" in out and "skipped 0 takes" in out
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "synth", str(tmp_path / "bad"), "--takes-per-level", "2"])
    assert exit_info.value.code == 2 and "takes_per_level" in capsys.readouterr().err
