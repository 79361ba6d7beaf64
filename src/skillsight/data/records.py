"""Typed records every source is turned into.

Units and frames are in the field names: ``*_us`` microseconds on the device clock, ``*_rad``
radians, ``*_m`` metres, ``*_px`` pixels, ``*_cpf`` Central Pupil Frame (X left, Y up, Z forward),
``*_world`` the trajectory's world frame. Arrays are numpy; the first axis is time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

__all__ = [
    "PROFICIENCY_LABELS",
    "SCENARIOS",
    "GazeTrack",
    "Gaze2DTrack",
    "Trajectory",
    "Fisheye624Camera",
    "DeviceCalibration",
    "Motion",
    "Take",
]

#: Ego-Exo4D proficiency labels, index = class id (Novice=0 .. Late Expert=3).
PROFICIENCY_LABELS: tuple[str, ...] = ("Novice", "Early Expert", "Intermediate Expert", "Late Expert")

#: Ego-Exo4D demonstrator-proficiency scenarios (scenario_name / parent_task_name), index = scenario id.
SCENARIOS: tuple[str, ...] = ("Basketball", "Cooking", "Dance", "Music", "Rock Climbing", "Soccer")


@dataclass(frozen=True)
class GazeTrack:
    """Eye gaze of one recording in CPF, one row per sample.

    Attributes:
        timestamps_us: (N,) int64, strictly increasing, device clock.
        yaw_rad: (N,) combined (cyclopean) yaw.
        pitch_rad: (N,) pitch.
        depth_m: (N,) gaze depth; NaN where the file has none.
        depth_valid: (N,) bool, True where depth_m is a real value.
        layout: "legacy_v1" | "legacy_v2" | "vergence" | "gen2" (or another reader's name).
        source: path of the file it was read from (for error messages).
        left_yaw_rad / right_yaw_rad: (N,) per-eye yaw when the layout has it.
    """

    timestamps_us: np.ndarray
    yaw_rad: np.ndarray
    pitch_rad: np.ndarray
    depth_m: np.ndarray
    depth_valid: np.ndarray
    layout: str
    source: str = ""
    left_yaw_rad: Optional[np.ndarray] = None
    right_yaw_rad: Optional[np.ndarray] = None

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


@dataclass(frozen=True)
class Gaze2DTrack:
    """Gaze projected into the (upright) ego RGB image.

    Attributes:
        timestamps_us: (N,) int64.
        xy_px: (N, 2) pixel coordinates (x right, y down) in an image of ``image_size_px``.
        image_size_px: (width, height) of the image the pixels refer to (1408x1408 for Aria RGB).
        upright: True if the pixels refer to the upright (rotated) image as in Ego-Exo4D MP4s.
    """

    timestamps_us: np.ndarray
    xy_px: np.ndarray
    image_size_px: tuple[int, int]
    upright: bool = True
    source: str = ""

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


@dataclass(frozen=True)
class Trajectory:
    """Device poses T_world_device over time (MPS closed-loop trajectory).

    Attributes:
        timestamps_us: (N,) int64, strictly increasing.
        t_world_device_m: (N, 3) translation.
        q_world_device_xyzw: (N, 4) unit Hamilton quaternion, (x, y, z, w) order.
        quality: (N,) quality score (NaN if absent).
    """

    timestamps_us: np.ndarray
    t_world_device_m: np.ndarray
    q_world_device_xyzw: np.ndarray
    quality: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


@dataclass(frozen=True)
class Fisheye624Camera:
    """Project Aria Fisheye624 camera.

    Attributes:
        params: (15,) fx, cx, cy, k0..k5, p0, p1, s0..s3 (single focal length, as Aria uses).
        width_px, height_px: image size of the raw (not rotated) sensor image.
        label: camera label, e.g. "camera-rgb".
    """

    params: np.ndarray
    width_px: int
    height_px: int
    label: str = "camera-rgb"


@dataclass(frozen=True)
class DeviceCalibration:
    """What gaze projection needs from an Aria device calibration.

    Attributes:
        T_device_cpf: (4, 4) pose of the CPF in the device frame.
        T_device_camera: (4, 4) pose of the RGB camera in the device frame.
        camera: the RGB camera intrinsics.
    """

    T_device_cpf: np.ndarray
    T_device_camera: np.ndarray
    camera: Fisheye624Camera
    source: str = ""


@dataclass(frozen=True)
class Motion:
    """Body motion (or any per-frame feature matrix) without absolute timestamps.

    Attributes:
        values: (N, F) float32 features per time step.
        feature_names: F column names.
        rate_hz: sampling rate if known (None if unknown).
    """

    values: np.ndarray
    feature_names: tuple[str, ...]
    rate_hz: Optional[float] = None
    source: str = ""


@dataclass
class Take:
    """One Ego-Exo4D-style take with the paths of everything a model may read.

    Attributes:
        take_uid, take_name: identifiers from takes.json.
        scenario: scenario name (one of SCENARIOS for Ego-Exo4D).
        task_name: sub-task (the "action" class of the SkillSight student).
        label: proficiency class id (index into PROFICIENCY_LABELS) or None when unlabelled (test).
        split: "train" | "val" | "test".
        ego_camera: camera id of the ego (Aria) stream, discovered from takes.json.
        video_paths: camera id -> path of the (448 px downscaled) MP4; the ego camera included.
        gaze_path, gaze2d_path, trajectory_path, calibration_path: files, None when absent.
        duration_sec: take duration.
        participant_id: who performed it (for leakage checks and grouped splits).
    """

    take_uid: str
    take_name: str
    scenario: str
    task_name: str
    label: Optional[int]
    split: str
    ego_camera: str
    video_paths: dict[str, Path] = field(default_factory=dict)
    gaze_path: Optional[Path] = None
    gaze2d_path: Optional[Path] = None
    trajectory_path: Optional[Path] = None
    calibration_path: Optional[Path] = None
    duration_sec: float = 0.0
    participant_id: str = ""

    @property
    def exo_cameras(self) -> list[str]:
        """Exo camera ids, sorted (every camera but the ego one)."""
        return sorted(c for c in self.video_paths if c != self.ego_camera)
