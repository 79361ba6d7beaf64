"""Camera models (Aria Fisheye624, pinhole), the upright (90-degree) image frame, gaze -> RGB pixels.

Pixels are ``(x right, y down)`` with the centre of the top-left pixel at ``(0, 0)``, as in
projectaria_tools. Camera frames are ``X right, Y down, Z forward`` (optical axis).

Fisheye624 parameters (15,): ``fx, cx, cy, k0..k5, p0, p1, s0..s3`` (one focal length)::

    a, b = x/z, y/z;  r = |(a, b)|;  th = atan(r)
    (xr, yr) = (th + k0 th^3 + ... + k5 th^13) / r * (a, b)
    uv = (xr, yr) + 2 ((xr, yr).p) (xr, yr) + |(xr, yr)|^2 p
    u += s0 rd^2 + s1 rd^4;  v += s2 rd^2 + s3 rd^4     (rd^2 = xr^2 + yr^2)
    pixel = fx * uv + (cx, cy)

Upright frame: the Ego-Exo4D ego MP4s are the raw Aria RGB frames turned 90 degrees clockwise,
so a raw pixel ``(x, y)`` of an image ``H`` rows high lands at ``(H-1-y, x)``
(:func:`to_upright_px`). projectaria_tools 2.3.0's ``make_upright`` gaze helper instead turns the
camera pose by -90 degrees about its optical axis and keeps the raw intrinsics (principal point and
distortion not rotated); :func:`project_gaze_to_rgb` reproduces that by default
(``upright_mode="make_upright"``), see docs/aria_geometry.md for the ~15 px difference.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from skillsight.gaze.geometry import invert_poses, transform_points
from skillsight.gaze.tracks import DeviceCalibration

__all__ = [
    "FISHEYE624_NUM_PARAMS",
    "T_CAMERA_CAMERA_CW90",
    "T_camera_cpf",
    "from_upright_px",
    "project_fisheye624",
    "project_gaze_to_rgb",
    "project_pinhole",
    "rotate_fisheye624_params_cw90",
    "to_upright_px",
    "unproject_fisheye624",
    "unproject_pinhole",
]

FISHEYE624_NUM_PARAMS = 15
_NEWTON_ITERS = 20
_NEWTON_TOL = 1e-12

#: Pose of the clockwise-rotated camera in the raw camera frame: rotZ(-90 deg).
T_CAMERA_CAMERA_CW90: np.ndarray = np.array(
    [[0.0, 1.0, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]]
)


def _check_params(params: np.ndarray) -> np.ndarray:
    p = np.asarray(params, dtype=np.float64).reshape(-1)
    if p.shape[0] != FISHEYE624_NUM_PARAMS:
        raise ValueError(f"Fisheye624 needs {FISHEYE624_NUM_PARAMS} parameters, got {p.shape[0]}")
    return p


def _tangential_thin_prism(xr: np.ndarray, yr: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distorted (u, v) from the radially distorted (xr, yr)."""
    rd2 = xr * xr + yr * yr
    dot2 = 2.0 * (xr * p[9] + yr * p[10])
    u = xr + dot2 * xr + rd2 * p[9] + p[11] * rd2 + p[12] * rd2 * rd2
    v = yr + dot2 * yr + rd2 * p[10] + p[13] * rd2 + p[14] * rd2 * rd2
    return u, v


def project_fisheye624(points_camera_m: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Project camera-frame points with the Aria Fisheye624 model.

    Args:
        points_camera_m: (N, 3) points in the camera frame (metres; only direction matters).
        params: (15,) ``fx, cx, cy, k0..k5, p0, p1, s0..s3``.

    Returns:
        (N, 2) pixels; NaN rows for points with ``z <= 0`` (behind the camera).
    """
    p = _check_params(params)
    pts = np.asarray(points_camera_m, dtype=np.float64).reshape(-1, 3)
    z = pts[:, 2]
    front = z > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # z <= 0 rows become NaN below
        a = pts[:, 0] / z
        b = pts[:, 1] / z
        r = np.hypot(a, b)
        th = np.arctan(r)
        th2 = th * th
        radial = 1.0 + th2 * (p[3] + th2 * (p[4] + th2 * (p[5] + th2 * (p[6] + th2 * (p[7] + th2 * p[8])))))
        small = r < np.finfo(np.float64).eps
        th_div_r = np.where(small, 1.0, th / np.where(small, 1.0, r))
        xr = radial * th_div_r * a
        yr = radial * th_div_r * b
        u, v = _tangential_thin_prism(xr, yr, p)
    px = np.stack([p[0] * u + p[1], p[0] * v + p[2]], axis=-1)  # (N, 2)
    px[~front] = np.nan
    return px


def unproject_fisheye624(pixels: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Unit rays for pixels under the Fisheye624 model (inverse of :func:`project_fisheye624`).

    Two vectorised Newton solves as in projectaria_tools: first undo the tangential and thin-prism
    terms (2x2 Jacobian), then solve ``th (1 + k0 th^2 + ...) = |(xr, yr)|`` for ``th``.

    Args:
        pixels: (N, 2) pixel coordinates.
        params: (15,) Fisheye624 parameters.

    Returns:
        (N, 3) unit rays in the camera frame (``z > 0``).
    """
    p = _check_params(params)
    px = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    u_target = (px[:, 0] - p[1]) / p[0]
    v_target = (px[:, 1] - p[2]) / p[0]
    xr, yr = u_target.copy(), v_target.copy()
    for _ in range(_NEWTON_ITERS):
        u, v = _tangential_thin_prism(xr, yr, p)
        rd2 = xr * xr + yr * yr
        # Jacobian of (u, v) w.r.t. (xr, yr)
        common = 2.0 * (xr * p[9] + yr * p[10])
        thin_u = 2.0 * p[11] + 4.0 * p[12] * rd2
        thin_v = 2.0 * p[13] + 4.0 * p[14] * rd2
        j00 = 1.0 + common + 2.0 * xr * p[9] + 2.0 * xr * p[9] + xr * thin_u
        j01 = 2.0 * xr * p[10] + 2.0 * yr * p[9] + yr * thin_u
        j10 = 2.0 * yr * p[9] + 2.0 * xr * p[10] + xr * thin_v
        j11 = 1.0 + common + 2.0 * yr * p[10] + 2.0 * yr * p[10] + yr * thin_v
        det = j00 * j11 - j01 * j10
        eu, ev = u_target - u, v_target - v
        dx = (j11 * eu - j01 * ev) / det
        dy = (-j10 * eu + j00 * ev) / det
        xr += dx
        yr += dy
        if np.all(np.abs(dx) + np.abs(dy) < _NEWTON_TOL):
            break
    norm = np.hypot(xr, yr)
    th = norm.copy()
    for _ in range(_NEWTON_ITERS):
        th2 = th * th
        poly = 1.0 + th2 * (p[3] + th2 * (p[4] + th2 * (p[5] + th2 * (p[6] + th2 * (p[7] + th2 * p[8])))))
        dpoly = 1.0 + th2 * (
            3 * p[3]
            + th2 * (5 * p[4] + th2 * (7 * p[5] + th2 * (9 * p[6] + th2 * (11 * p[7] + th2 * 13 * p[8]))))
        )
        step = (norm - th * poly) / np.where(np.abs(dpoly) > 1e-15, dpoly, 1e-15)
        th = np.clip(th + step, 0.0, 0.999 * np.pi / 2)
        if np.all(np.abs(step) < _NEWTON_TOL):
            break
    on_axis = norm == 0.0
    scale = np.where(on_axis, 0.0, np.tan(th) / np.where(on_axis, 1.0, norm))
    rays = np.stack([scale * xr, scale * yr, np.ones_like(xr)], axis=-1)  # (N, 3)
    return rays / np.linalg.norm(rays, axis=-1, keepdims=True)


def project_pinhole(points_camera_m: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Pinhole projection ``(fx x/z + cx, fy y/z + cy)``.

    Args:
        points_camera_m: (N, 3) camera-frame points.
        params: (4,) ``fx, fy, cx, cy`` (projectaria_tools' Linear model order).

    Returns:
        (N, 2) pixels; NaN rows for ``z <= 0``.
    """
    fx, fy, cx, cy = np.asarray(params, dtype=np.float64).reshape(4)
    pts = np.asarray(points_camera_m, dtype=np.float64).reshape(-1, 3)
    z = pts[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        px = np.stack([fx * pts[:, 0] / z + cx, fy * pts[:, 1] / z + cy], axis=-1)
    px[~(z > 0)] = np.nan
    return px


def unproject_pinhole(pixels: np.ndarray, params: np.ndarray) -> np.ndarray:
    """Unit rays for pixels under the pinhole model.

    Args:
        pixels: (N, 2) pixels.
        params: (4,) ``fx, fy, cx, cy``.

    Returns:
        (N, 3) unit rays (``z > 0``).
    """
    fx, fy, cx, cy = np.asarray(params, dtype=np.float64).reshape(4)
    px = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
    rays = np.stack([(px[:, 0] - cx) / fx, (px[:, 1] - cy) / fy, np.ones(len(px))], axis=-1)
    return rays / np.linalg.norm(rays, axis=-1, keepdims=True)


def rotate_fisheye624_params_cw90(params: np.ndarray, raw_height_px: int) -> np.ndarray:
    """Fisheye624 parameters of the same camera once its images are turned 90 degrees clockwise.

    Principal point ``(H-1-cy, cx)``, tangential ``(-p1, p0)``, thin prism ``(-s2, -s3, s0, s1)``
    (what newer projectaria_tools' ``rotateCameraCalibCW90Deg`` does). Used with the camera pose
    ``T_device_camera @ T_CAMERA_CAMERA_CW90`` it gives exactly :func:`to_upright_px` of the raw
    projection.

    Args:
        params: (15,) raw-image parameters.
        raw_height_px: height of the raw image in pixels.

    Returns:
        (15,) parameters for the upright image.
    """
    p = _check_params(params)
    principal = [raw_height_px - 1 - p[2], p[1]]
    return np.array([p[0], *principal, *p[3:9], -p[10], p[9], -p[13], -p[14], p[11], p[12]])


def to_upright_px(xy_px: np.ndarray, raw_height_px: int = 1408) -> np.ndarray:
    """Raw-image pixels -> pixels of the image turned 90 degrees clockwise: ``(H-1-y, x)``.

    Args:
        xy_px: (N, 2) raw pixels.
        raw_height_px: height H of the raw image (1408 for Aria RGB at full resolution).

    Returns:
        (N, 2) upright pixels (the upright image is H wide).
    """
    xy = np.asarray(xy_px, dtype=np.float64).reshape(-1, 2)
    return np.stack([raw_height_px - 1 - xy[:, 1], xy[:, 0]], axis=-1)


def from_upright_px(xy_upright_px: np.ndarray, raw_height_px: int = 1408) -> np.ndarray:
    """Inverse of :func:`to_upright_px`: ``(x', y') -> (y', H-1-x')``.

    Args:
        xy_upright_px: (N, 2) pixels in the upright image.
        raw_height_px: height H of the raw image.

    Returns:
        (N, 2) raw pixels.
    """
    xy = np.asarray(xy_upright_px, dtype=np.float64).reshape(-1, 2)
    return np.stack([xy[:, 1], raw_height_px - 1 - xy[:, 0]], axis=-1)


def T_camera_cpf(calibration: DeviceCalibration, rotate_cw90: bool = False) -> np.ndarray:
    """``inverse(T_device_camera [@ rotZ(-90)]) @ T_device_cpf`` (4, 4)."""
    T_device_camera = np.asarray(calibration.T_device_camera, dtype=np.float64)
    if rotate_cw90:
        T_device_camera = T_device_camera @ T_CAMERA_CAMERA_CW90
    return invert_poses(T_device_camera) @ np.asarray(calibration.T_device_cpf, dtype=np.float64)


def project_gaze_to_rgb(
    point_cpf_m: np.ndarray,
    calibration: DeviceCalibration,
    upright: bool = False,
    upright_mode: Literal["make_upright", "rotate_image"] = "make_upright",
) -> np.ndarray:
    """Project CPF gaze points into the RGB image.

    Args:
        point_cpf_m: (N, 3) gaze points in CPF (e.g. ``gaze_point_cpf(yaw, pitch, depth)``).
        calibration: device calibration (RGB intrinsics, ``T_device_camera``, ``T_device_cpf``).
        upright: False -> raw sensor image; True -> the 90-degree clockwise (upright) image.
        upright_mode: how ``upright=True`` is computed.
            ``"make_upright"``: projectaria_tools 2.3.0 ``get_gaze_vector_reprojection(...,
            make_upright=True)`` with the raw camera calibration: the camera pose is turned by
            rotZ(-90 deg) and the raw intrinsics are kept. Matches the official golden values.
            ``"rotate_image"``: the raw pixel turned with the image, ``(H-1-y, x)``; this is where
            the point lies in an MP4 made by rotating raw frames.

    Returns:
        (N, 2) pixels; NaN rows where the point is behind the camera.
    """
    params = np.asarray(calibration.camera.params, dtype=np.float64)
    if not upright:
        return project_fisheye624(transform_points(T_camera_cpf(calibration), point_cpf_m), params)
    if upright_mode == "make_upright":
        turned = transform_points(T_camera_cpf(calibration, rotate_cw90=True), point_cpf_m)
        return project_fisheye624(turned, params)
    if upright_mode == "rotate_image":
        raw = project_fisheye624(transform_points(T_camera_cpf(calibration), point_cpf_m), params)
        return to_upright_px(raw, calibration.camera.height_px)
    raise ValueError(f"upright_mode must be 'make_upright' or 'rotate_image', got {upright_mode!r}")
