"""Streaming over every real Aria MPS sample gaze file (all layouts), with the trajectory where it fits."""

from __future__ import annotations

import pytest
from _paths import shared_data_dir
from tests.unit.deploy._runs import make_run

from skillsight.data.readers.aria import read_device_calibration, read_trajectory_csv
from skillsight.deploy.gaze_rows import iter_csv_rows
from skillsight.deploy.inference import SkillEstimator
from skillsight.deploy.streaming import GazeStream

pytestmark = pytest.mark.realdata

# (gaze file, trajectory overlapping it, calibration, rows, windows at hop 1 s with 4 s windows, predicted)
FILES = [
    ("gen1/legacy_v1/eyegaze.csv", "trajectory/closed_loop_trajectory.csv", None, 123, 9, 9),
    ("gen1/legacy_v2/generalized_eye_gaze.csv", "trajectory/closed_loop_trajectory.csv", None, 123, 9, 9),
    ("gen1/vergence/generalized_gaze.csv", "trajectory/closed_loop_trajectory.csv", None, 123, 9, 9),
    ("gen1/general_eye_gaze_30hz.csv", "trajectory/closed_loop_trajectory_20col.csv", None, 6, 1, 0),
    ("gen2/general_eye_gaze.csv", None, None, 5, 1, 0),
    ("gen2/personalized_eye_gaze.csv", None, None, 5, 1, 0),
    ("aea/general_eye_gaze.csv", None, "aea/device_calibration.json", 4, 1, 0),
]


@pytest.fixture(scope="module")
def samples():
    return shared_data_dir("aria-mps-samples")


@pytest.fixture(scope="module")
def estimator(tmp_path_factory):
    return SkillEstimator.from_run(make_run(tmp_path_factory.mktemp("run") / "student"), backend="auto")


def test_every_sample_file_is_covered(samples):
    on_disk = {str(p.relative_to(samples)) for p in samples.rglob("*gaze*.csv")}
    assert on_disk == {f[0] for f in FILES}


@pytest.mark.parametrize("rel,traj_rel,calib_rel,rows,windows,predicted", FILES)
def test_stream_real_file(samples, estimator, rel, traj_rel, calib_rel, rows, windows, predicted):
    traj = read_trajectory_csv(samples / traj_rel) if traj_rel else None
    calib = read_device_calibration(samples / calib_rel) if calib_rel else None
    stream = GazeStream(estimator, hop_s=1.0, trajectory=traj, calibration=calib, source=rel)
    out = stream.push_many(iter_csv_rows(samples / rel)) + stream.close()
    s = stream.stats
    assert (s.rows, s.accepted, s.nan_rows, s.late_dropped, s.duplicates) == (rows, rows, 0, 0, 0)
    assert len(out) == windows and s.predicted == predicted
    for w in out:
        if w.skipped is None:
            assert w.valid_steps == 8 and abs(w.probabilities.sum() - 1) < 1e-6 and w.latency_ms > 0
        else:
            assert w.skipped == "1/8 steps have gaze, 4 needed"  # recording shorter than one step
    offline = estimator.predict_windows(samples / rel, trajectory=traj, calibration=calib, hop_s=1.0)
    assert [w.label for w in offline] == [w.label for w in out]


def test_trajectory_poses_reach_the_window(samples, estimator):
    """The 1 kHz trajectory covers 0.2 s of the 12 s gen1 gaze: windows whose step falls in it get a pose."""
    traj = read_trajectory_csv(samples / "trajectory/closed_loop_trajectory.csv")
    stream = GazeStream(estimator, hop_s=0.1, trajectory=traj)
    out = stream.push_many(iter_csv_rows(samples / "gen1/vergence/generalized_gaze.csv")) + stream.close()
    with_pose = [w for w in out if w.pose_steps]
    assert with_pose and all(w.pose_steps == 1 for w in with_pose)
