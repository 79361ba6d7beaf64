"""Eye-gaze geometry in the Central Pupil Frame (CPF) and rigid poses, vectorised over recordings.

Frames and conventions (see docs/aria_geometry.md):

* CPF: origin between the eyes, X left, Y up, Z forward (Project Aria convention).
* A gaze direction with yaw ``a`` and pitch ``b`` is ``normalize([tan a, tan b, 1])``.
* Vergence (March-2024 MPS model): the left eye sits at ``(+IPD/2, 0, 0)``, the right eye at
  ``(-IPD/2, 0, 0)``; each eye has its own yaw, both share the pitch.
* Poses are 4x4 homogeneous matrices ``T_a_b`` that map points of frame ``b`` into frame ``a``
  (``p_a = T_a_b @ p_b``). Quaternions are Hamilton, stored ``(x, y, z, w)``.

Every function takes whole arrays (one row per sample) and loops over nothing but fixed small
iteration counts.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "DEFAULT_IPD_M",
    "combined_to_vergence",
    "gaze_direction_cpf",
    "gaze_point_cpf",
    "gaze_point_cpf_from_world",
    "gaze_point_world",
    "invert_poses",
    "matrix_to_quat_xyzw",
    "pose_matrices",
    "quat_xyzw_to_matrix",
    "slerp_xyzw",
    "transform_points",
    "vergence_to_combined",
]

#: Inter-pupillary distance MPS uses to intersect the two eye rays (metres).
DEFAULT_IPD_M: float = 0.063


def _f64(x: np.ndarray | float) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def vergence_to_combined(
    left_yaw_rad: np.ndarray, right_yaw_rad: np.ndarray, pitch_rad: np.ndarray, ipd_m: float = DEFAULT_IPD_M
) -> tuple[np.ndarray, np.ndarray]:
    """Combined (cyclopean) yaw and depth from per-eye yaws, as projectaria_tools computes them.

    The two eye rays are intersected: ``z = IPD / (tan r - tan l)``,
    ``x = IPD/2 * (tan l + tan r) / (tan r - tan l)``, ``y = z * tan(pitch)``; then
    ``depth = |(x, y, z)|`` and ``yaw = atan(x / z)``. Both are invariant to the sign of ``z``:
    real MPS files hold rows with either order of left/right yaw (the rays then meet behind the
    eyes) and the official reader folds them with the norm; we do the same.

    Args:
        left_yaw_rad, right_yaw_rad, pitch_rad: (N,) radians in CPF.
        ipd_m: inter-pupillary distance in metres.

    Returns:
        yaw_rad (N,) and depth_m (N,). Parallel rays (equal yaws) give depth ``inf``.
    """
    tan_l = np.tan(_f64(left_yaw_rad))
    tan_r = np.tan(_f64(right_yaw_rad))
    tan_p = np.tan(_f64(pitch_rad))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = ipd_m / (tan_r - tan_l)
    # x / z simplifies to the mean tangent, exact even when the rays are parallel.
    yaw_rad = np.arctan(0.5 * (tan_l + tan_r))
    with np.errstate(invalid="ignore", over="ignore"):
        depth_m = np.abs(z) * np.sqrt(1.0 + (0.5 * (tan_l + tan_r)) ** 2 + tan_p**2)
    return yaw_rad, depth_m


def combined_to_vergence(
    yaw_rad: np.ndarray, pitch_rad: np.ndarray, depth_m: np.ndarray, ipd_m: float = DEFAULT_IPD_M
) -> tuple[np.ndarray, np.ndarray]:
    """Per-eye yaws whose rays meet at ``gaze_point_cpf(yaw, pitch, depth)`` (in front of the eyes).

    Exact inverse of :func:`vergence_to_combined` for converging rays (``left_yaw < right_yaw``,
    intersection at ``z > 0``): ``tan l = tan(yaw) - IPD/(2 z)``, ``tan r = tan(yaw) + IPD/(2 z)``
    with ``z = depth / sqrt(1 + tan^2 yaw + tan^2 pitch)``.

    Args:
        yaw_rad, pitch_rad: (N,) combined gaze angles in CPF, radians, each in (-pi/2, pi/2).
        depth_m: (N,) positive distance from the CPF origin to the gaze point, metres.
        ipd_m: inter-pupillary distance in metres.

    Returns:
        left_yaw_rad (N,), right_yaw_rad (N,).
    """
    tan_y = np.tan(_f64(yaw_rad))
    tan_p = np.tan(_f64(pitch_rad))
    z = _f64(depth_m) / np.sqrt(1.0 + tan_y**2 + tan_p**2)
    half = 0.5 * ipd_m / z
    return np.arctan(tan_y - half), np.arctan(tan_y + half)


def gaze_direction_cpf(yaw_rad: np.ndarray, pitch_rad: np.ndarray) -> np.ndarray:
    """Unit gaze directions ``normalize([tan yaw, tan pitch, 1])`` in CPF.

    Args:
        yaw_rad, pitch_rad: (N,) radians.

    Returns:
        (N, 3) unit vectors.
    """
    tan_y = np.tan(_f64(yaw_rad))
    tan_p = np.tan(_f64(pitch_rad))
    v = np.stack([tan_y, tan_p, np.ones_like(tan_y)], axis=-1)  # (N, 3)
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def gaze_point_cpf(yaw_rad: np.ndarray, pitch_rad: np.ndarray, depth_m: np.ndarray) -> np.ndarray:
    """3D gaze point ``depth * normalize([tan yaw, tan pitch, 1])`` in CPF (metres).

    Args:
        yaw_rad, pitch_rad: (N,) radians.
        depth_m: (N,) or scalar distance from the CPF origin.

    Returns:
        (N, 3) points in metres.
    """
    return gaze_direction_cpf(yaw_rad, pitch_rad) * _f64(depth_m)[..., None]


def quat_xyzw_to_matrix(q_xyzw: np.ndarray) -> np.ndarray:
    """Rotation matrices from Hamilton quaternions (normalised first).

    Args:
        q_xyzw: (..., 4) quaternions (x, y, z, w).

    Returns:
        (..., 3, 3) rotation matrices.
    """
    q = _f64(q_xyzw)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    x, y, z, w = q[..., 0], q[..., 1], q[..., 2], q[..., 3]
    out = np.empty((*q.shape[:-1], 3, 3))  # written entry by entry: no stacking of nine arrays
    out[..., 0, 0] = 1 - 2 * (y * y + z * z)
    out[..., 0, 1] = 2 * (x * y - z * w)
    out[..., 0, 2] = 2 * (x * z + y * w)
    out[..., 1, 0] = 2 * (x * y + z * w)
    out[..., 1, 1] = 1 - 2 * (x * x + z * z)
    out[..., 1, 2] = 2 * (y * z - x * w)
    out[..., 2, 0] = 2 * (x * z - y * w)
    out[..., 2, 1] = 2 * (y * z + x * w)
    out[..., 2, 2] = 1 - 2 * (x * x + y * y)
    return out


def matrix_to_quat_xyzw(rotation: np.ndarray) -> np.ndarray:
    """Hamilton quaternions (x, y, z, w) with ``w >= 0`` from rotation matrices.

    Uses the largest of the four diagonal-derived terms for each matrix (Shepperd's method), so
    it is stable for every rotation.

    Args:
        rotation: (..., 3, 3) rotation matrices.

    Returns:
        (..., 4) unit quaternions.
    """
    m = _f64(rotation)
    m00, m11, m22 = m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]
    trace = m00 + m11 + m22
    # candidates: 4w^2, 4x^2, 4y^2, 4z^2 (each = 1 + signed diagonal sum)
    cand = np.stack([1 + trace, 1 + m00 - m11 - m22, 1 - m00 + m11 - m22, 1 - m00 - m11 + m22], axis=-1)
    best = np.argmax(cand, axis=-1)
    s = 2.0 * np.sqrt(np.maximum(cand.max(axis=-1), 1e-300))  # the max IS the entry at ``best``
    d21, d02, d10 = m[..., 2, 1] - m[..., 1, 2], m[..., 0, 2] - m[..., 2, 0], m[..., 1, 0] - m[..., 0, 1]
    s21, s02, s10 = m[..., 2, 1] + m[..., 1, 2], m[..., 0, 2] + m[..., 2, 0], m[..., 1, 0] + m[..., 0, 1]
    quats = np.empty((*best.shape, 4, 4))  # (..., 4 candidates, 4), written row by row
    quats[..., 0, :3] = np.stack([d21, d02, d10], axis=-1) / s[..., None]  # w largest
    quats[..., 1, 1:] = np.stack([s10, s02, d21], axis=-1) / s[..., None]  # x largest
    quats[..., 2, 0], quats[..., 2, 2], quats[..., 2, 3] = s10 / s, s21 / s, d02 / s  # y largest
    quats[..., 3, :2] = np.stack([s02, s21], axis=-1) / s[..., None]  # z largest
    quats[..., 3, 3] = d10 / s
    quarter = s / 4
    quats[..., 0, 3], quats[..., 1, 0], quats[..., 2, 1], quats[..., 3, 2] = (
        quarter,
        quarter,
        quarter,
        quarter,
    )
    q = np.take_along_axis(quats, best[..., None, None], axis=-2)[..., 0, :]
    q = np.where(q[..., 3:4] < 0, -q, q)
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def pose_matrices(t: np.ndarray, q_xyzw: np.ndarray) -> np.ndarray:
    """Homogeneous poses from translations and quaternions.

    Args:
        t: (N, 3) translations in metres (or (3,) for one pose).
        q_xyzw: (N, 4) rotations (or (4,)).

    Returns:
        (N, 4, 4) matrices (or (4, 4)).
    """
    t = _f64(t)
    rot = quat_xyzw_to_matrix(q_xyzw)
    out = np.zeros((*rot.shape[:-2], 4, 4))
    out[..., :3, :3] = rot
    out[..., :3, 3] = t
    out[..., 3, 3] = 1.0
    return out


def invert_poses(T: np.ndarray) -> np.ndarray:
    """Inverse of rigid poses: ``[R t; 0 1]^-1 = [R^T  -R^T t; 0 1]``.

    Args:
        T: (..., 4, 4) rigid transforms.

    Returns:
        (..., 4, 4) inverses.
    """
    T = _f64(T)
    rot_t = np.swapaxes(T[..., :3, :3], -1, -2)
    out = np.zeros_like(T)
    out[..., :3, :3] = rot_t
    out[..., :3, 3] = -np.einsum("...ij,...j->...i", rot_t, T[..., :3, 3])
    out[..., 3, 3] = 1.0
    return out


def transform_points(T: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply one pose (4, 4) to all points, or one pose per point (N, 4, 4).

    Args:
        T: (4, 4) or (N, 4, 4) transforms ``T_a_b``.
        points: (N, 3) points in frame b.

    Returns:
        (N, 3) points in frame a.
    """
    T = _f64(T)
    p = _f64(points)
    if T.ndim == 2:
        return p @ T[:3, :3].T + T[:3, 3]
    return np.einsum("nij,nj->ni", T[:, :3, :3], p) + T[:, :3, 3]


def slerp_xyzw(q0: np.ndarray, q1: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Spherical linear interpolation along the shorter arc.

    Args:
        q0, q1: (N, 4) unit quaternions (x, y, z, w).
        alpha: (N,) interpolation weights in [0, 1] (0 -> q0, 1 -> q1).

    Returns:
        (N, 4) unit quaternions.
    """
    q0 = _f64(q0)
    q1 = _f64(q1)
    a = _f64(alpha)[..., None]
    dot = np.sum(q0 * q1, axis=-1, keepdims=True)
    q1 = np.where(dot < 0, -q1, q1)
    dot = np.abs(dot)
    theta = np.arccos(np.clip(dot, -1.0, 1.0))
    sin_theta = np.sin(theta)
    near = sin_theta < 1e-9  # nearly identical rotations: linear blend is exact enough
    safe = np.where(near, 1.0, sin_theta)
    w0 = np.where(near, 1.0 - a, np.sin((1.0 - a) * theta) / safe)
    w1 = np.where(near, a, np.sin(a * theta) / safe)
    q = w0 * q0 + w1 * q1
    return q / np.linalg.norm(q, axis=-1, keepdims=True)


def gaze_point_world(
    point_cpf_m: np.ndarray, T_world_device: np.ndarray, T_device_cpf: np.ndarray
) -> np.ndarray:
    """World gaze points ``T_world_device @ T_device_cpf @ p_cpf``.

    Args:
        point_cpf_m: (N, 3) gaze points in CPF, metres.
        T_world_device: (N, 4, 4) device poses at the gaze timestamps (or one (4, 4)).
        T_device_cpf: (4, 4) CPF pose in the device frame (from the calibration).

    Returns:
        (N, 3) points in the world frame, metres.
    """
    point_device_m = transform_points(T_device_cpf, point_cpf_m)
    return transform_points(T_world_device, point_device_m)


def gaze_point_cpf_from_world(
    point_world_m: np.ndarray, T_world_device: np.ndarray, T_device_cpf: np.ndarray
) -> np.ndarray:
    """Inverse of :func:`gaze_point_world`: world points back into CPF.

    Args:
        point_world_m: (N, 3) points in the world frame.
        T_world_device: (N, 4, 4) or (4, 4) device poses.
        T_device_cpf: (4, 4) CPF pose in the device frame.

    Returns:
        (N, 3) points in CPF.
    """
    point_device_m = transform_points(invert_poses(T_world_device), point_world_m)
    return transform_points(invert_poses(T_device_cpf), point_device_m)
