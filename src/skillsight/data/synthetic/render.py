"""Vectorised ray casting of the synthetic scenes into small RGB videos (ego fisheye and exo pinhole views).

The scene is a checkered floor (z = 0), a striped surround at infinity and a handful of shaded spheres
(task target, props, tool/ball, hands or feet, the performer's body). Every pixel of every frame is one
ray; all frames of a view are cast at once with numpy, so a 64 px, 160-frame video takes tens of ms.
Colours are float RGB in 0..255 until the final ``uint8`` cast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.data.synthetic.behaviour import TakeBehaviour
from skillsight.data.synthetic.scenes import SceneSpec
from skillsight.gaze.projection import from_upright_px, unproject_fisheye624
from skillsight.gaze.tracks import DeviceCalibration

__all__ = [
    "Spheres",
    "ego_pixel_rays",
    "exo_camera_poses",
    "pinhole_pixel_rays",
    "render_view",
    "scene_spheres",
]

_LIGHT = np.array([0.3, 0.2, 1.0]) / np.linalg.norm([0.3, 0.2, 1.0])
_FOG_M = 30.0
_SKIN_RGB = (224, 172, 140)
_SHOE_RGB = (40, 40, 50)
_BODY_RGB = (60, 70, 90)
_HEAD_RGB = (200, 150, 120)


@dataclass(frozen=True)
class Spheres:
    """S spheres over T frames: centres (T, S, 3) m, radii (S,) m, colours (S, 3), stripes (S,) (0 = none)."""

    centres_m: np.ndarray
    radii_m: np.ndarray
    rgb: np.ndarray
    stripes: np.ndarray


def ego_pixel_rays(calib: DeviceCalibration, frame_px: int) -> tuple[np.ndarray, np.ndarray]:
    """Unit rays (camera frame) through the pixel centres of a ``frame_px`` square upright ego video.

    The video is the raw Aria RGB image turned 90 degrees clockwise and downscaled: upright pixel (i, j) of
    the small frame covers upright full-resolution pixel ``((i + 0.5) * S / frame_px - 0.5, ...)``.

    Returns:
        rays (frame_px * frame_px, 3) row-major over (y, x); valid (same length) False outside the lens
        circle (rays more than 85 degrees off axis), rendered black as the Aria vignette.
    """
    size = calib.camera.height_px
    centres = (np.arange(frame_px) + 0.5) * size / frame_px - 0.5
    xx, yy = np.meshgrid(centres, centres)  # (H, W) upright full-resolution pixel coordinates
    upright = np.stack([xx.ravel(), yy.ravel()], axis=1)  # (P, 2)
    rays = unproject_fisheye624(from_upright_px(upright, size), calib.camera.params)  # (P, 3)
    return rays, rays[:, 2] > np.cos(np.deg2rad(85.0))


def pinhole_pixel_rays(frame_px: int, hfov_deg: float) -> np.ndarray:
    """Unit rays (camera frame: x right, y down, z forward) of a square pinhole camera, (P, 3)."""
    f = 0.5 * frame_px / np.tan(np.deg2rad(hfov_deg) / 2)
    c = (np.arange(frame_px) + 0.5 - frame_px / 2) / f
    xx, yy = np.meshgrid(c, c)
    rays = np.stack([xx.ravel(), yy.ravel(), np.ones(xx.size)], axis=1)
    return rays / np.linalg.norm(rays, axis=1, keepdims=True)


def exo_camera_poses(n_views: int = 4, radius_m: float = 3.2, height_m: float = 1.9) -> list[np.ndarray]:
    """Fixed exo cameras on a circle around the performer, looking at (0, 0, 1.1): (4, 4) T_world_camera."""
    poses = []
    for k in range(n_views):
        ang = np.deg2rad(45.0 + 360.0 * k / n_views)
        origin = np.array([radius_m * np.cos(ang), radius_m * np.sin(ang), height_m])
        forward = np.array([0.0, 0.0, 1.1]) - origin
        forward /= np.linalg.norm(forward)
        right = np.cross(forward, [0.0, 0.0, 1.0])
        right /= np.linalg.norm(right)
        down = np.cross(forward, right)
        T = np.eye(4)
        T[:3, :3] = np.stack([right, down, forward], axis=1)
        T[:3, 3] = origin
        poses.append(T)
    return poses


def _grey_mix(rgb: tuple[int, int, int], saturation: float) -> np.ndarray:
    c = np.asarray(rgb, dtype=np.float64)
    grey = c.mean()
    return grey + saturation * (c - grey)


def scene_spheres(scene: SceneSpec, b: TakeBehaviour, with_body: bool) -> Spheres:
    """The spheres of one take: target, props, tool/ball, two effectors (and torso + head for exo views)."""
    n = len(b.frame_times_s)
    feet = scene.name == "Soccer"
    centres = [np.broadcast_to(b.target_world_m, (n, 3))]
    radii = [scene.target_radius_m]
    rgb = [np.asarray(scene.target_rgb, dtype=np.float64)]
    stripes = [0.0]
    for p in b.props_world_m:
        centres.append(np.broadcast_to(p, (n, 3)))
        radii.append(0.09)
        rgb.append(np.asarray(scene.prop_rgb, dtype=np.float64))
        stripes.append(0.0)
    centres.append(b.object_world_m)
    radii.append(scene.object_radius_m)
    rgb.append(_grey_mix(scene.object_rgb, b.object_style.saturation))
    stripes.append(b.object_style.stripes)
    for side in range(2):
        centres.append(b.effectors_world_m[:, side])
        radii.append(0.07 if feet else 0.05)
        rgb.append(np.asarray(_SHOE_RGB if feet else _SKIN_RGB, dtype=np.float64))
        stripes.append(0.0)
    if with_body:
        centres.append(b.body_world_m)
        radii.append(0.24)
        rgb.append(np.asarray(_BODY_RGB, dtype=np.float64))
        stripes.append(0.0)
        centres.append(b.head_pos_world_m[b.frame_head_index])
        radii.append(0.11)
        rgb.append(np.asarray(_HEAD_RGB, dtype=np.float64))
        stripes.append(0.0)
    return Spheres(
        centres_m=np.stack(centres, axis=1),  # (T, S, 3)
        radii_m=np.asarray(radii),
        rgb=np.stack(rgb),
        stripes=np.asarray(stripes),
    )


def render_view(
    scene: SceneSpec,
    spheres: Spheres,
    origins_m: np.ndarray,
    R_world_camera: np.ndarray,
    rays_camera: np.ndarray,
    frame_px: int,
    valid: np.ndarray | None = None,
) -> np.ndarray:
    """Cast every pixel of every frame.

    Args:
        scene: colours and floor tiling.
        spheres: the take's spheres (T frames).
        origins_m: (T, 3) camera centres in the world.
        R_world_camera: (T, 3, 3) camera axes in the world (columns).
        rays_camera: (P, 3) unit pixel rays in the camera frame, P = frame_px ** 2, row-major.
        frame_px: output side length.
        valid: (P,) False for pixels outside the lens (black).

    Returns:
        (T, frame_px, frame_px, 3) uint8 frames.
    """
    T = origins_m.shape[0]
    P = rays_camera.shape[0]
    R = R_world_camera.astype(np.float32)
    r = rays_camera.astype(np.float32).T  # (3, P)
    # (T, P) world ray components; explicit multiply-adds (a (T,3)@(3,P) matmul is ~6x slower here)
    dx, dy, dz = (R[:, k, 0:1] * r[0] + R[:, k, 1:2] * r[1] + R[:, k, 2:3] * r[2] for k in range(3))
    origins = origins_m.astype(np.float32)  # (T, 3)
    # Materials are indices into a palette; per-pixel brightness and fog are kept apart and applied once.
    n_s = spheres.radii_m.shape[0]
    palette = np.concatenate(
        [
            np.asarray(scene.wall_rgb, np.float32),
            np.asarray(scene.floor_rgb, np.float32),
            spheres.rgb.astype(np.float32),
            0.35 * spheres.rgb.astype(np.float32),
        ]
    )  # (4 + 2 S, 3): wall 0/1, floor 2/3, sphere s at 4+s, its dark stripe at 4+S+s
    # surround at infinity: vertical stripes in azimuth (materials 0/1), darker upwards
    material = (np.sin(np.arctan2(dy, dx) * scene.wall_stripes) <= 0).astype(np.uint8).ravel()  # (T*P,)
    light = (1.0 - 0.35 * np.clip(dz, 0, 1)).ravel()  # (T*P,)
    fog = np.ones(T * P, dtype=np.float32)
    depth = np.full(T * P, np.inf, dtype=np.float32)
    d = np.stack([dx.ravel(), dy.ravel(), dz.ravel()], axis=1)  # (T*P, 3)
    # floor z = 0, checkered (materials 2/3), fading into the surround with distance
    idx = np.flatnonzero(dz.ravel() < -1e-4)
    o = origins[idx // P]  # (K, 3)
    t_floor = -o[:, 2] / d[idx, 2]
    hx = o[:, 0] + t_floor * d[idx, 0]
    hy = o[:, 1] + t_floor * d[idx, 1]
    tile = scene.floor_tile_m
    material[idx] = 2 + ((np.floor(hx / tile) + np.floor(hy / tile)) % 2).astype(np.uint8)
    light[idx] = 1.0
    fog[idx] = np.exp(-t_floor / _FOG_M)
    depth[idx] = t_floor
    # spheres, nearest wins; only the pixels a sphere covers are touched
    sun = _LIGHT.astype(np.float32)
    for s in range(n_s):
        radius = np.float32(spheres.radii_m[s])
        oc = spheres.centres_m[:, s, :].astype(np.float32) - origins  # (T, 3)
        bproj = dx * oc[:, 0:1] + dy * oc[:, 1:2] + dz * oc[:, 2:3]  # (T, P) = d . oc
        disc = bproj * bproj - ((oc * oc).sum(-1) - radius * radius)[:, None]
        idx = np.flatnonzero(disc > 0)
        if idx.size == 0:
            continue
        t_hit = bproj.ravel()[idx] - np.sqrt(disc.ravel()[idx])
        keep = (t_hit > 0.02) & (t_hit < depth[idx])
        idx, t_hit = idx[keep], t_hit[keep]
        normal = (t_hit[:, None] * d[idx] - oc[idx // P]) / radius  # (K, 3)
        mat = np.full(idx.size, 4 + s, dtype=np.uint8)
        if spheres.stripes[s] > 0:
            dark = np.sin(np.pi * spheres.stripes[s] * (normal[:, 2] + 1.0)) <= 0
            mat[dark] = 4 + n_s + s
        material[idx] = mat
        light[idx] = 0.45 + 0.55 * np.clip(normal @ sun, 0.0, 1.0)
        fog[idx] = 1.0
        depth[idx] = t_hit
    colour = palette[material] * (light * fog)[:, None] + (1.0 - fog)[:, None] * palette[1]  # (T*P, 3)
    frames = (np.minimum(colour, 255.0) + 0.5).astype(np.uint8).reshape(T, P, 3)  # colours are >= 0
    if valid is not None:
        frames *= valid.astype(np.uint8)[None, :, None]
    return frames.reshape(T, frame_px, frame_px, 3)
