"""Small valid files that each robustness case then damages in one way (written into a temp folder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from skillsight.data.readers.aria import (
    nominal_rgb_calibration,
    write_device_calibration_json,
    write_gaze_csv,
    write_trajectory_csv,
)
from skillsight.gaze.tracks import GazeTrack, Trajectory

GAZE_HEADER = "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,depth_m"
T0_US = 1_000_000


def gaze_lines(n: int = 20, step_us: int = 100_000) -> list[str]:
    """Lines of a valid legacy-v1-like gaze CSV (header first), 10 Hz."""
    return [GAZE_HEADER] + [f"{T0_US + i * step_us},{0.01 * i:.3f},{-0.02 * i:.3f},1.5" for i in range(n)]


def write_lines(path: Path, lines: list[str], ending: str = "\n") -> Path:
    path.write_bytes((ending.join(lines) + ending).encode("utf-8"))
    return path


def gaze_track(n: int = 50, rate_hz: float = 10.0) -> GazeTrack:
    t = T0_US + np.round(np.arange(n) * 1e6 / rate_hz).astype(np.int64)
    yaw = 0.1 * np.sin(np.arange(n) / 5.0)
    return GazeTrack(t, yaw, 0.5 * yaw, np.full(n, 1.2), np.ones(n, bool), "test")


def write_gaze(path: Path, layout: str = "vergence") -> Path:
    write_gaze_csv(path, gaze_track(), layout=layout)
    return path


def write_trajectory(path: Path, n: int = 200) -> Path:
    t = T0_US + np.arange(n, dtype=np.int64) * 1000
    q = np.tile([0.0, 0.0, 0.0, 1.0], (n, 1))
    write_trajectory_csv(path, Trajectory(t, np.zeros((n, 3)), q, np.full(n, 1.0)))
    return path


def calibration_doc(tmp: Path) -> dict:
    path = tmp / "calib_ok.json"
    write_device_calibration_json(path, nominal_rgb_calibration())
    return json.loads(path.read_text())


def write_json(path: Path, doc: object) -> Path:
    path.write_text(json.dumps(doc))
    return path
