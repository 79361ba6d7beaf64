"""Resample gaze (10 Hz in Ego-Exo4D) at clip-frame timestamps, and gather what a clip needs.

:func:`resample_track` is plain linear interpolation that refuses to bridge gaps: a query is invalid
when it falls before the first or after the last sample, or between two samples further apart than
``max_gap_us`` (default 250 ms: 2.5 periods of 10 Hz gaze, so one dropped sample is bridged but a
blink or tracking loss of 3+ samples is not). :func:`gaze_samples_at` turns a recording's gaze,
trajectory, 2D gaze and calibration into the raw per-step arrays of a clip (:class:`GazeSamples`),
which :func:`skillsight.gaze.normalize.normalize_clip_gaze` turns into model inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.exceptions import DataFormatError
from skillsight.gaze.aria_cad import cad_T_device_cpf
from skillsight.gaze.geometry import gaze_direction_cpf, matrix_to_quat_xyzw, pose_matrices, transform_points
from skillsight.gaze.poses import pose_at
from skillsight.gaze.projection import project_gaze_to_rgb, to_upright_px
from skillsight.gaze.tracks import DeviceCalibration, Gaze2DTrack, GazeTrack, Trajectory

__all__ = [
    "ARIA_RGB_SIZE_PX",
    "DEFAULT_DEPTH_M",
    "DEFAULT_MAX_GAP_US",
    "GazeSamples",
    "gaze_samples_at",
    "resample_track",
]

#: Longest gap between two gaze samples that interpolation bridges (microseconds).
DEFAULT_MAX_GAP_US = 250_000
#: Gaze depth used to place the 3D point where the recording has none (metres).
DEFAULT_DEPTH_M = 1.0
#: Image size of the upright Aria RGB frame, the default for 2D gaze (width, height).
ARIA_RGB_SIZE_PX = (1408, 1408)


@dataclass(frozen=True)
class GazeSamples:
    """Raw gaze of one clip at its frame timestamps (before per-clip normalisation).

    "Head" is the Central Pupil Frame (CPF): its pose in the world is
    ``T_world_cpf = T_world_device @ T_device_cpf``. Without a trajectory the world frame is the
    device frame and the head is assumed static (``head_*`` = ``T_device_cpf``, ``pose_valid`` all
    False, ``has_trajectory`` False).

    Attributes:
        timestamps_us: (T,) int64 query times (device clock).
        dir_cpf: (T, 3) unit gaze direction in CPF; NaN where ``gaze_valid`` is False.
        depth_m: (T,) gaze depth; NaN where ``depth_valid`` is False.
        point_cpf_m: (T, 3) gaze point in CPF at ``depth_m`` (the default depth where it is unknown).
        point_world_m: (T, 3) that point in the world (device frame without a trajectory).
        head_t_world_m: (T, 3) CPF origin in the world; NaN where ``pose_valid`` is False
            (with a trajectory).
        head_q_xyzw: (T, 4) CPF orientation in the world (Hamilton, x y z w).
        gaze2d_px: (T, 2) gaze in the upright RGB image (x right, y down); NaN where invalid.
        gaze_valid: (T,) yaw/pitch observed (within the track, no long gap).
        depth_valid: (T,) depth observed.
        pose_valid: (T,) device pose known (always False without a trajectory).
        gaze2d_valid: (T,) 2D gaze known.
        image_size_px: (width, height) of the image ``gaze2d_px`` refers to.
        has_trajectory: whether a trajectory was given.
    """

    timestamps_us: np.ndarray
    dir_cpf: np.ndarray
    depth_m: np.ndarray
    point_cpf_m: np.ndarray
    point_world_m: np.ndarray
    head_t_world_m: np.ndarray
    head_q_xyzw: np.ndarray
    gaze2d_px: np.ndarray
    gaze_valid: np.ndarray
    depth_valid: np.ndarray
    pose_valid: np.ndarray
    gaze2d_valid: np.ndarray
    image_size_px: tuple[int, int] = (1408, 1408)
    has_trajectory: bool = True

    def __len__(self) -> int:
        return int(self.timestamps_us.shape[0])


def resample_track(
    timestamps_us: np.ndarray, values: np.ndarray, query_us: np.ndarray, max_gap_us: int = DEFAULT_MAX_GAP_US
) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation of a multi-channel track at query times, with a validity flag.

    Args:
        timestamps_us: (N,) strictly increasing sample times.
        values: (N, C) samples (NaN allowed: it propagates to the queries that use it).
        query_us: (M,) query times.
        max_gap_us: the longest sample spacing bridged by interpolation.

    Returns:
        values (M, C) float64, NaN where invalid; valid (M,) bool, True where the query lies within
        the track, both neighbours are at most ``max_gap_us`` apart (or the query hits a sample
        exactly) and every interpolated channel is finite.
    """
    ts = np.asarray(timestamps_us, dtype=np.int64)
    vals = np.asarray(values, dtype=np.float64)
    query = np.asarray(query_us, dtype=np.int64)
    if ts.ndim != 1 or vals.ndim != 2 or vals.shape[0] != ts.shape[0]:
        raise DataFormatError(
            "resample_track", "shape", (ts.shape, vals.shape), "expected timestamps (N,) and values (N, C)"
        )
    M, C = query.shape[0], vals.shape[1]
    out = np.full((M, C), np.nan)
    if ts.shape[0] == 0:
        return out, np.zeros(M, dtype=bool)
    if ts.shape[0] > 1 and (np.diff(ts) <= 0).any():
        raise DataFormatError("resample_track", "timestamps_us", ts[:5].tolist(), "not strictly increasing")
    right = np.searchsorted(ts, query, side="left")  # first sample at or after the query
    exact = (right < ts.shape[0]) & (ts[np.minimum(right, ts.shape[0] - 1)] == query)
    inside = (right > 0) & (right < ts.shape[0])
    lo = np.clip(right - 1, 0, ts.shape[0] - 1)
    hi = np.clip(right, 0, ts.shape[0] - 1)
    gap = ts[hi] - ts[lo]
    between = inside & (gap <= max_gap_us)
    weight = np.where(gap > 0, (query - ts[lo]) / np.maximum(gap, 1), 0.0)[:, None]  # (M, 1)
    with np.errstate(invalid="ignore"):  # inf x 0 -> NaN: such queries are marked invalid below
        interpolated = vals[lo] * (1.0 - weight) + vals[hi] * weight  # (M, C)
    out[between] = interpolated[between]
    out[exact] = vals[hi[exact]]
    valid = (between | exact) & np.isfinite(out).all(axis=1)
    out[~valid] = np.nan
    return out, valid


def _gaze2d_at(
    gaze2d: Gaze2DTrack, query_us: np.ndarray, max_gap_us: int
) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    xy, valid = resample_track(gaze2d.timestamps_us, gaze2d.xy_px, query_us, max_gap_us)
    width, height = (int(v) for v in gaze2d.image_size_px)
    if not gaze2d.upright:  # raw sensor pixels -> the upright image of the Ego-Exo4D MP4s
        xy = to_upright_px(xy, raw_height_px=height)
        width, height = height, width
    return xy, valid, (width, height)


def gaze_samples_at(
    gaze: GazeTrack,
    query_us: np.ndarray,
    trajectory: Trajectory | None = None,
    gaze2d: Gaze2DTrack | None = None,
    calibration: DeviceCalibration | None = None,
    default_depth_m: float = DEFAULT_DEPTH_M,
    max_gap_us: int = DEFAULT_MAX_GAP_US,
) -> GazeSamples:
    """Gather a clip's raw gaze at its frame timestamps.

    Args:
        gaze: the recording's eye gaze (CPF yaw/pitch/depth).
        query_us: (T,) frame timestamps on the device clock.
        trajectory: device poses; None -> the device is taken as static and the "world" is the
            device frame (``pose_valid`` all False).
        gaze2d: 2D gaze in the RGB image; None -> projected from the 3D gaze with ``calibration``
            into the upright image as the Ego-Exo4D MP4s show it (raw pixel turned with the image,
            ``upright_mode="rotate_image"``), or unknown (NaN, ``gaze2d_valid`` False) without one.
        calibration: device calibration (``T_device_cpf`` and the RGB camera); None -> the Aria
            Gen1 factory (CAD, DVT-S) ``T_device_cpf`` is used for the head pose.
        default_depth_m: depth that places the 3D point where the recording has no depth
            (``depth_m`` stays NaN and ``depth_valid`` False there).
        max_gap_us: longest gaze/2D-gaze sample gap bridged by interpolation (trajectory gaps use
            :func:`skillsight.gaze.poses.pose_at`'s own limit).

    Returns:
        GazeSamples with T rows.
    """
    query = np.asarray(query_us, dtype=np.int64).reshape(-1)
    T = query.shape[0]
    angles, gaze_valid = resample_track(
        gaze.timestamps_us, np.stack([gaze.yaw_rad, gaze.pitch_rad], 1), query, max_gap_us
    )  # (T, 2)
    direction = gaze_direction_cpf(angles[:, 0], angles[:, 1])  # (T, 3), NaN where invalid
    depth_track = np.where(np.asarray(gaze.depth_valid, bool), gaze.depth_m, np.nan)[:, None]
    depth, depth_valid = resample_track(gaze.timestamps_us, depth_track, query, max_gap_us)
    depth_valid &= gaze_valid
    depth_m = np.where(depth_valid, depth[:, 0], np.nan)
    point_cpf = direction * np.where(depth_valid, depth_m, float(default_depth_m))[:, None]  # (T, 3)

    T_device_cpf = (
        np.asarray(calibration.T_device_cpf, dtype=np.float64)
        if calibration is not None
        else cad_T_device_cpf("DVT-S")
    )
    if trajectory is not None:
        t_wd, q_wd, pose_valid = pose_at(trajectory, query, mode="interpolate")
        T_world_cpf = np.full((T, 4, 4), np.nan)
        if pose_valid.any():
            T_world_cpf[pose_valid] = pose_matrices(t_wd[pose_valid], q_wd[pose_valid]) @ T_device_cpf
    else:
        pose_valid = np.zeros(T, dtype=bool)
        T_world_cpf = np.broadcast_to(T_device_cpf, (T, 4, 4)).copy()
    has_pose = np.isfinite(T_world_cpf).all(axis=(1, 2))
    head_t = T_world_cpf[:, :3, 3]  # (T, 3)
    head_q = np.full((T, 4), np.nan)
    point_world = np.full((T, 3), np.nan)
    if has_pose.any():
        head_q[has_pose] = matrix_to_quat_xyzw(T_world_cpf[has_pose, :3, :3])
        point_world[has_pose] = transform_points(T_world_cpf[has_pose], point_cpf[has_pose])

    if gaze2d is not None:
        gaze2d_px, gaze2d_valid, image_size = _gaze2d_at(gaze2d, query, max_gap_us)
    elif calibration is not None:
        gaze2d_px = np.full((T, 2), np.nan)
        if gaze_valid.any():
            gaze2d_px[gaze_valid] = project_gaze_to_rgb(
                point_cpf[gaze_valid], calibration, upright=True, upright_mode="rotate_image"
            )
        gaze2d_valid = np.isfinite(gaze2d_px).all(axis=1)
        image_size = (int(calibration.camera.height_px), int(calibration.camera.width_px))  # upright: turned
    else:
        gaze2d_px, gaze2d_valid = np.full((T, 2), np.nan), np.zeros(T, dtype=bool)
        image_size = ARIA_RGB_SIZE_PX
    return GazeSamples(
        timestamps_us=query,
        dir_cpf=direction,
        depth_m=depth_m,
        point_cpf_m=point_cpf,
        point_world_m=point_world,
        head_t_world_m=head_t,
        head_q_xyzw=head_q,
        gaze2d_px=gaze2d_px,
        gaze_valid=gaze_valid,
        depth_valid=depth_valid,
        pose_valid=pose_valid & has_pose,
        gaze2d_valid=gaze2d_valid,
        image_size_px=image_size,
        has_trajectory=trajectory is not None,
    )
