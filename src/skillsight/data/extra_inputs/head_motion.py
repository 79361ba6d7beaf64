"""``head_motion`` / ``head_motion_mask``: IMU-like head motion over the clip, from the take's trajectory.

EgoDistill pairs sparse frames with the head motion between them, measured by the glasses' IMU. Ego-Exo4D
ships the IMU only inside the raw VRS recordings; what the takes carry is the MPS closed-loop trajectory
(device poses, from visual-inertial odometry). From it we derive what a gyroscope and an integrated
accelerometer measure, in the device's own frame:

* angular velocity (rad/s, 3): the rotation vector of R_k^T R_{k+1} over dt (gyroscope);
* linear velocity (m/s, 3): R_mid^T (t_{k+1} - t_k) over dt, R_mid the orientation half-way
  through the step (the accelerometer integrated once; velocity,
  not acceleration, because differentiating poses twice amplifies their noise and the body-frame
  velocity needs no gravity model).

``M`` steps (option ``head_motion_steps``, default 64) evenly span the clip from its first to its last frame
time (M + 1 poses, interpolated with :func:`skillsight.gaze.poses.pose_at`). A step is valid when both of
its poses are; invalid steps are zero in ``head_motion`` (M, 6) float32 and False in ``head_motion_mask``
(M,) bool.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation

from skillsight.data.clips import frame_timestamps_us
from skillsight.data.extra_inputs.base import ExtraInput, option
from skillsight.data.records import Take
from skillsight.exceptions import DataFormatError
from skillsight.gaze.poses import pose_at
from skillsight.gaze.tracks import Trajectory

__all__ = ["HEAD_MOTION_INPUT", "head_motion_at"]

DEFAULT_HEAD_MOTION_STEPS = 64


def head_motion_at(
    trajectory: Trajectory, start_us: int, end_us: int, steps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Body-frame angular and linear velocity over ``steps`` equal intervals of [start_us, end_us].

    Returns:
        motion (steps, 6) float32 [wx, wy, wz rad/s, vx, vy, vz m/s] (0 where invalid), valid (steps,) bool.
    """
    if steps < 1 or end_us <= start_us:
        raise ValueError(f"need steps >= 1 and end_us > start_us, got {steps}, {start_us}, {end_us}")
    query = np.round(np.linspace(start_us, end_us, steps + 1)).astype(np.int64)  # (M + 1,)
    t, q, ok = pose_at(trajectory, query)
    valid = ok[:-1] & ok[1:]  # (M,)
    motion = np.zeros((steps, 6), dtype=np.float32)
    if valid.any():
        dt_s = np.diff(query)[valid] / 1e6  # (V,)
        r0 = Rotation.from_quat(q[:-1][valid])  # scipy's (x, y, z, w) order
        r1 = Rotation.from_quat(q[1:][valid])
        turn = (r0.inv() * r1).as_rotvec()  # (V, 3) in the device frame at the step start
        omega = turn / dt_s[:, None]
        r_mid = r0 * Rotation.from_rotvec(turn / 2)  # mid-step orientation: the chord of an arc is along it
        velocity = r_mid.inv().apply(t[1:][valid] - t[:-1][valid]) / dt_s[:, None]  # (V, 3)
        motion[valid] = np.concatenate([omega, velocity], axis=1)
    return motion, valid


def build_head_motion(ds: Any, take: Take, indices: np.ndarray, fps: float) -> dict[str, torch.Tensor]:
    """``head_motion`` (M, 6) and ``head_motion_mask`` (M,) over the clip's span."""
    records = ds.gaze_records(take)
    if records.trajectory is None:
        raise DataFormatError(
            take.take_uid, "trajectory_path", None, f"take {take.take_name}: head motion needs the trajectory"
        )
    steps = int(option(ds.input_options, "head_motion_steps", DEFAULT_HEAD_MOTION_STEPS))
    times_us = frame_timestamps_us(indices, fps, int(records.gaze.timestamps_us[0]))
    end_us = int(times_us[-1]) if int(times_us[-1]) > int(times_us[0]) else int(times_us[0]) + 1
    motion, valid = head_motion_at(records.trajectory, int(times_us[0]), end_us, steps)
    return {"head_motion": torch.from_numpy(motion), "head_motion_mask": torch.from_numpy(valid)}


def _files(take: Take) -> list:
    return [("gaze_path", take.gaze_path), ("trajectory_path", take.trajectory_path)]


HEAD_MOTION_INPUT = ExtraInput(
    keys=("head_motion", "head_motion_mask"), build=build_head_motion, files=_files
)
