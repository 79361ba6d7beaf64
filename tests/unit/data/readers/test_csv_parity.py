"""The pyarrow-based CSV reader returns exactly what a plain-Python parse of the same text gives."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.aria import read_gaze_csv, read_trajectory_csv, write_gaze_csv
from skillsight.data.readers.aria_csv import read_csv_columns
from skillsight.gaze.tracks import GazeTrack


def _plain(path: Path, columns, ints, nullable) -> dict[str, np.ndarray]:
    """Reference: the csv module and Python's int()/float(), empty -> NaN where allowed."""
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header = [c.strip() for c in rows[0]]
    out = {}
    for name in columns:
        j = header.index(name)
        cells = [r[j].strip() for r in rows[1:] if r]
        if name in ints:
            out[name] = np.array([int(c) for c in cells], dtype=np.int64)
        else:
            out[name] = np.array([float(c) if c else np.nan for c in cells], dtype=np.float64)
            assert name in nullable or np.isfinite(out[name]).all()
    return out


@pytest.mark.parametrize("layout", ["vergence", "legacy_v1", "legacy_v2", "gen2"])
@pytest.mark.parametrize("empty_fraction", [0.0, 0.2])
def test_gaze_columns_equal_a_plain_parse(tmp_path: Path, layout: str, empty_fraction: float) -> None:
    rng = np.random.default_rng(7)
    n = 500
    valid = rng.random(n) >= empty_fraction
    track = GazeTrack(
        timestamps_us=10_000_000 + np.cumsum(rng.integers(90_000, 110_000, n)).astype(np.int64),
        yaw_rad=rng.uniform(-0.7, 0.7, n),
        pitch_rad=rng.uniform(-0.6, 0.5, n),
        depth_m=np.where(valid, rng.uniform(0.2, 4.0, n), np.nan),
        depth_valid=valid,
        layout="test",
    )
    path = tmp_path / "gaze.csv"
    write_gaze_csv(path, track, layout=layout, bound_halfwidth_rad=0.01)
    with open(path, newline="") as fh:
        header = next(csv.reader(fh))
    numeric = [c for c in header if c != "session_uid"]
    nullable = ["depth_m"] if "depth_m" in header else []
    got = read_csv_columns(path, numeric, int_columns=["tracking_timestamp_us"], nullable_columns=nullable)
    ref = _plain(path, numeric, ["tracking_timestamp_us"], nullable)
    for name in numeric:
        assert got[name].dtype == ref[name].dtype
        np.testing.assert_array_equal(got[name], ref[name], err_msg=name)
    back = read_gaze_csv(path)
    np.testing.assert_array_equal(back.timestamps_us, track.timestamps_us)
    if layout != "gen2":
        np.testing.assert_array_equal(back.depth_valid, valid)


def test_real_files_equal_a_plain_parse(shared_data_dir: Path) -> None:
    root = shared_data_dir / "aria-mps-samples"
    for rel in (
        "gen1/vergence/generalized_gaze.csv",
        "gen1/legacy_v1/eyegaze.csv",
        "gen2/general_eye_gaze.csv",
    ):
        path = root / rel
        track = read_gaze_csv(path)
        ref = _plain(path, ["tracking_timestamp_us", "pitch_rads_cpf"], ["tracking_timestamp_us"], [])
        np.testing.assert_array_equal(track.timestamps_us, ref["tracking_timestamp_us"])
        np.testing.assert_array_equal(track.pitch_rad, ref["pitch_rads_cpf"])
    traj = read_trajectory_csv(root / "trajectory/closed_loop_trajectory.csv")
    ref = _plain(root / "trajectory/closed_loop_trajectory.csv", ["tx_world_device"], [], [])
    np.testing.assert_array_equal(traj.t_world_device_m[:, 0], ref["tx_world_device"])


def test_spaces_around_cells_and_crlf_or_lone_cr_line_ends_read_the_same(tmp_path: Path) -> None:
    body = [
        "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,depth_m",
        "1000000, 0.1 ,0.2,",
        "1100000,0.15,0.25,1.5",
    ]
    for end in ("\n", "\r\n", "\r"):
        path = tmp_path / f"g{len(end)}{ord(end[0])}.csv"
        path.write_bytes(end.join(body).encode() + end.encode())
        track = read_gaze_csv(path)
        np.testing.assert_array_equal(track.yaw_rad, [0.1, 0.15])
        assert track.depth_valid.tolist() == [False, True]
