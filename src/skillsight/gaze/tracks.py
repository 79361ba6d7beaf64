"""Typed records of the sensor streams gaze processing consumes (eye gaze, 2D gaze, head poses, calibration).

Units and frames are in the field names: ``*_us`` microseconds on the device clock, ``*_rad``
radians, ``*_m`` metres, ``*_px`` pixels, ``*_cpf`` Central Pupil Frame (X left, Y up, Z forward),
``*_world`` the trajectory's world frame. Arrays are numpy; the first axis is time. Readers in
:mod:`skillsight.data.readers` build them from files; everything in :mod:`skillsight.gaze` consumes them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DeviceCalibration", "Fisheye624Camera", "Gaze2DTrack", "GazeTrack", "Trajectory"]


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
    left_yaw_rad: np.ndarray | None = None
    right_yaw_rad: np.ndarray | None = None

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
