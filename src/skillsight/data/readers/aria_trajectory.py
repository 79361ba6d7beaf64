"""Aria MPS closed-loop trajectory CSVs <-> :class:`Trajectory`, and device poses at query times.

Both file forms are read: the 20-column one (graph_uid, tracking_timestamp_us, utc_timestamp_ns,
t{x,y,z}_world_device, q{x,y,z,w}_world_device, device linear/angular velocities, gravity_world,
quality_score) and the 28-column one that appends geo_available and ECEF pose columns.
Quaternions are Hamilton (x, y, z, w) and map device points into the world frame.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from skillsight.data.readers.aria_csv import (
    check_no_nan,
    check_strictly_increasing,
    check_timestamp_steps_us,
    format_float_column,
    read_csv_columns,
    read_csv_header,
    write_csv_columns,
)
from skillsight.exceptions import DataFormatError
from skillsight.gaze.geometry import quat_xyzw_to_matrix
from skillsight.gaze.tracks import Trajectory

__all__ = ["TRAJECTORY_COLUMNS_20", "read_trajectory_csv", "write_trajectory_csv"]

TS = "tracking_timestamp_us"
_T = ["tx_world_device", "ty_world_device", "tz_world_device"]
_Q = ["qx_world_device", "qy_world_device", "qz_world_device", "qw_world_device"]
_VEL = [f"device_linear_velocity_{axis}_device" for axis in "xyz"]
_ANG = ["angular_velocity_x_device", "angular_velocity_y_device", "angular_velocity_z_device"]
_GRAV = ["gravity_x_world", "gravity_y_world", "gravity_z_world"]

#: The 20-column closed-loop trajectory header, in file order.
TRAJECTORY_COLUMNS_20: list[str] = [
    "graph_uid",
    TS,
    "utc_timestamp_ns",
    *_T,
    *_Q,
    *_VEL,
    *_ANG,
    *_GRAV,
    "quality_score",
]

_QUAT_NORM_TOL = 1e-3
#: plausible median step between trajectory rows (10 kHz .. 2 Hz; MPS writes 1 kHz), microseconds.
TRAJECTORY_STEP_RANGE_US: tuple[float, float] = (100.0, 500_000.0)


def read_trajectory_csv(path: str | Path) -> Trajectory:
    """Read a closed-loop trajectory CSV (20- or 28-column form).

    Raises:
        DataFormatError: empty, gzip or binary file, duplicated or missing pose column, a row with
            another cell count than the header, an empty, unparsable or non-finite pose cell, a
            non-unit quaternion, or timestamps that do not strictly increase or are not microseconds.
    """
    path = Path(path)
    header = read_csv_header(path)
    required = [TS, *_T, *_Q]
    has_quality = "quality_score" in header
    cols = read_csv_columns(
        path,
        required + (["quality_score"] if has_quality else []),
        int_columns=[TS],
        nullable_columns=["quality_score"],
    )
    for name in required[1:]:
        check_no_nan(path, name, cols[name])
    ts = cols[TS]
    check_strictly_increasing(path, TS, ts)
    check_timestamp_steps_us(path, TS, ts, *TRAJECTORY_STEP_RANGE_US)
    t = np.stack([cols[c] for c in _T], axis=-1)  # (N, 3)
    q = np.stack([cols[c] for c in _Q], axis=-1)  # (N, 4)
    norm = np.linalg.norm(q, axis=-1)
    bad = np.flatnonzero(np.abs(norm - 1.0) > _QUAT_NORM_TOL)
    if bad.size:
        i = int(bad[0])
        reason = f"line {i + 2}: quaternion norm {norm[i]:.6f} is not 1"
        raise DataFormatError(path, "q{x,y,z,w}_world_device", q[i].tolist(), reason)
    quality = cols["quality_score"] if has_quality else np.full(len(ts), np.nan)
    q_unit = q / norm[:, None]
    return Trajectory(
        timestamps_us=ts, t_world_device_m=t, q_world_device_xyzw=q_unit, quality=quality, source=str(path)
    )


def _velocities(traj: Trajectory) -> tuple[np.ndarray, np.ndarray]:
    """Device-frame linear (m/s) and angular (rad/s) velocities by finite differences."""
    n = len(traj)
    if n < 2:
        return np.zeros((n, 3)), np.zeros((n, 3))
    dt_s = np.diff(np.asarray(traj.timestamps_us, dtype=np.float64)) * 1e-6  # (N-1,)
    rot = quat_xyzw_to_matrix(traj.q_world_device_xyzw)  # (N, 3, 3) R_world_device
    v_world = np.diff(traj.t_world_device_m, axis=0) / dt_s[:, None]  # (N-1, 3)
    v_dev = np.einsum("nji,nj->ni", rot[:-1], v_world)  # R^T v
    rel = np.einsum("nji,njk->nik", rot[:-1], rot[1:])  # R_i^T R_{i+1}
    angle = np.arccos(np.clip((np.trace(rel, axis1=1, axis2=2) - 1.0) / 2.0, -1.0, 1.0))
    axis_raw = np.stack(
        [rel[:, 2, 1] - rel[:, 1, 2], rel[:, 0, 2] - rel[:, 2, 0], rel[:, 1, 0] - rel[:, 0, 1]], axis=-1
    )  # (N-1, 3) = 2 sin(angle) * axis
    sin = np.sin(angle)
    scale = np.where(sin > 1e-12, angle / (2.0 * np.where(sin > 1e-12, sin, 1.0)), 0.5)
    w_dev = axis_raw * scale[:, None] / dt_s[:, None]
    return np.vstack([v_dev, v_dev[-1:]]), np.vstack([w_dev, w_dev[-1:]])


def write_trajectory_csv(
    path: str | Path,
    traj: Trajectory,
    graph_uid: str = "00000000-0000-0000-0000-000000000000",
    gravity_world: tuple[float, float, float] = (0.0, 0.0, -9.81),
) -> None:
    """Write the 20-column closed-loop trajectory form, readable by :func:`read_trajectory_csv`.

    Velocities are finite differences of the poses (forward differences, the last row repeated),
    expressed in the device frame; ``utc_timestamp_ns`` is -1 (unknown), as in older MPS files.
    """
    n = len(traj)
    ts = np.asarray(traj.timestamps_us, dtype=np.int64)
    if n and np.any(np.diff(ts) <= 0):
        raise ValueError("Trajectory.timestamps_us must strictly increase")
    vel, ang = _velocities(traj)
    t = np.asarray(traj.t_world_device_m, dtype=np.float64)
    q = np.asarray(traj.q_world_device_xyzw, dtype=np.float64)
    cells: list[list[str] | str] = [graph_uid, list(map(str, ts.tolist())), "-1"]
    cells += [format_float_column(t[:, i]) for i in range(3)]
    cells += [format_float_column(q[:, i]) for i in range(4)]
    cells += [format_float_column(vel[:, i]) for i in range(3)]
    cells += [format_float_column(ang[:, i]) for i in range(3)]
    cells += [repr(float(g)) for g in gravity_world]
    cells.append(format_float_column(np.asarray(traj.quality, dtype=np.float64)))
    write_csv_columns(path, TRAJECTORY_COLUMNS_20, cells, n)
