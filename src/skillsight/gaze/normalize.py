"""THE per-clip gaze normalisation shared by training, evaluation and streaming inference.

From the raw samples of one clip (:class:`skillsight.gaze.resample.GazeSamples`) it builds the 14
sequence channels of SkillSight (:data:`GAZE_CHANNELS`), each relative to the clip:

* ``point_*_m`` (3): world gaze point minus the clip's mean head (CPF) position; a point further
  than ``far_clip_m`` (10 m) from the eyes is pulled back along its ray to ``far_clip_m``;
* ``dir_*`` (3): unit gaze direction in CPF minus the direction at the first observed step;
* ``head_*`` (7): head pose relative to the first step with a pose, ``T_0^-1 T_i``, as translation
  (metres, in the first step's head frame) and quaternion (x, y, z, w) with ``w >= 0``;
* ``depth_m`` (1): gaze depth, clipped to ``far_clip_m``.

and the 2D gaze ``gaze2d`` in [0, 1], divided by the IMAGE SIZE (width, height); the official code
divides by the head quaternion's w column, a defect we do not copy. Points outside the image are
clipped to [0, 1].

Missing data (nothing is silently invented; validity is returned next to every value):

* ``mask`` (T,) is True where the gaze (yaw/pitch) was observed; ``channel_mask`` (T, 14) says which
  channel of which step holds an observed value, and models read it (the ``gaze_channel_mask``
  input): a step can have gaze but no head pose or no depth. An unobserved channel holds a neutral
  value, never a made-up observation: 0 for points, directions, translations and depth, and the
  IDENTITY rotation (0, 0, 0, 1) for the head quaternion (a (0, 0, 0, 0) quaternion is not a
  rotation and never reaches a model). Values that are not finite or beyond :data:`MAX_ABS_VALUE`
  (a trajectory in the wrong unit, a corrupt row) are unobserved too; so every output is finite.
* Steps without 2D gaze get the image centre (0.5, 0.5) (so crop boxes stay well defined) and
  ``gaze2d_mask`` False; the teacher's gaze prior reads that mask and gives those frames no prior.
* Without a trajectory the device is taken as static: the "world" is the device frame, the head
  pose channels are the identity (0, 0, 0, 0, 0, 0, 1), marked invalid in ``channel_mask``, and the
  point channels are the gaze point in the device frame minus the CPF origin.
* Reference steps: the first observed gaze step for ``dir_*``, the first step with a pose for
  ``head_*``; steps before them are normalised against that later reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.geometry import invert_poses, matrix_to_quat_xyzw, pose_matrices
from skillsight.gaze.resample import GazeSamples

__all__ = [
    "FAR_CLIP_M",
    "GAZE_CHANNELS",
    "MAX_ABS_VALUE",
    "NEUTRAL_VALUES",
    "NUM_GAZE_CHANNELS",
    "NormalizedGaze",
    "normalize_clip_gaze",
]

#: The 14 sequence channels, in order.
GAZE_CHANNELS: tuple[str, ...] = (
    "point_x_m",
    "point_y_m",
    "point_z_m",
    "dir_x",
    "dir_y",
    "dir_z",
    "head_tx_m",
    "head_ty_m",
    "head_tz_m",
    "head_qx",
    "head_qy",
    "head_qz",
    "head_qw",
    "depth_m",
)
NUM_GAZE_CHANNELS = len(GAZE_CHANNELS)
#: Far points are pulled back to this distance from the eyes (metres).
FAR_CLIP_M = 10.0
#: A channel value beyond this magnitude (1000 km, or a quaternion component) is not an observation.
MAX_ABS_VALUE = 1e6
#: (14,) value of each channel where it is unobserved: zeros, and the identity quaternion w = 1.
NEUTRAL_VALUES = np.array([0.0] * 12 + [1.0, 0.0], dtype=np.float32)

_POINT, _DIR, _HEAD, _DEPTH = slice(0, 3), slice(3, 6), slice(6, 13), slice(13, 14)


@dataclass(frozen=True)
class NormalizedGaze:
    """Model-ready gaze of one clip.

    Attributes:
        gaze: (T, 14) float32 channels of :data:`GAZE_CHANNELS`; unobserved values are
            :data:`NEUTRAL_VALUES` (finite everywhere).
        gaze2d: (T, 2) float32 (x, y) in [0, 1] of the image width/height; (0.5, 0.5) where unknown.
        mask: (T,) bool, True where the gaze was observed.
        gaze2d_mask: (T,) bool, True where the 2D gaze was observed.
        channel_mask: (T, 14) bool, True where a channel holds an observed value.
    """

    gaze: np.ndarray
    gaze2d: np.ndarray
    mask: np.ndarray
    gaze2d_mask: np.ndarray
    channel_mask: np.ndarray


def _first(flags: np.ndarray) -> int | None:
    hits = np.flatnonzero(flags)
    return int(hits[0]) if hits.size else None


def _check(samples: GazeSamples) -> int:
    T = len(samples)
    shapes = {
        "dir_cpf": (T, 3),
        "depth_m": (T,),
        "point_world_m": (T, 3),
        "head_t_world_m": (T, 3),
        "head_q_xyzw": (T, 4),
        "gaze2d_px": (T, 2),
        "gaze_valid": (T,),
        "depth_valid": (T,),
        "pose_valid": (T,),
        "gaze2d_valid": (T,),
    }
    for name, shape in shapes.items():
        got = np.shape(getattr(samples, name))
        if got != shape:
            raise DataFormatError("GazeSamples", name, got, f"expected shape {shape}")
    return T


def normalize_clip_gaze(
    samples: GazeSamples, image_size_px: tuple[int, int] | None = None, far_clip_m: float = FAR_CLIP_M
) -> NormalizedGaze:
    """Normalise one clip's gaze relative to the clip (see the module docstring).

    Args:
        samples: raw gaze of the clip at its T frame timestamps.
        image_size_px: (width, height) the 2D gaze pixels refer to; None -> ``samples.image_size_px``
            (1408 x 1408 for the upright Aria RGB image).
        far_clip_m: far points and depths are clipped to this many metres.

    Returns:
        NormalizedGaze with ``gaze`` (T, 14), ``gaze2d`` (T, 2) and the validity masks.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # non-finite raw values become unobserved below
        return _normalize(samples, image_size_px, far_clip_m)


def _normalize(
    samples: GazeSamples, image_size_px: tuple[int, int] | None, far_clip_m: float
) -> NormalizedGaze:
    T = _check(samples)
    if not np.isfinite(far_clip_m) or far_clip_m <= 0:
        raise ConfigError(f"far_clip_m must be > 0, got {far_clip_m}")
    width, height = samples.image_size_px if image_size_px is None else image_size_px
    if width <= 0 or height <= 0:
        raise ConfigError(f"image_size_px must be positive, got {(width, height)}")
    gaze_valid = np.asarray(samples.gaze_valid, bool)
    has_pose = np.isfinite(samples.head_t_world_m).all(1) & np.isfinite(samples.head_q_xyzw).all(1)  # (T,)
    pose_valid = np.asarray(samples.pose_valid, bool) & has_pose
    depth_valid = np.asarray(samples.depth_valid, bool) & gaze_valid
    gaze2d_valid = np.asarray(samples.gaze2d_valid, bool) & np.isfinite(samples.gaze2d_px).all(1)
    channels = np.full((T, NUM_GAZE_CHANNELS), np.nan)

    # world point relative to the clip's mean head position, far points pulled back along the ray
    head_t = np.asarray(samples.head_t_world_m, dtype=np.float64)  # (T, 3)
    ray = np.asarray(samples.point_world_m, dtype=np.float64) - head_t  # (T, 3)
    dist = np.linalg.norm(ray, axis=1, keepdims=True)  # (T, 1)
    scale = np.where(dist > far_clip_m, far_clip_m / np.where(dist > 0, dist, 1.0), 1.0)
    if has_pose.any():
        mean_head = head_t[has_pose].mean(axis=0)  # (3,)
        channels[:, _POINT] = head_t + ray * scale - mean_head
    point_ok = gaze_valid & has_pose

    # direction minus the first observed direction
    ref = _first(gaze_valid)
    if ref is not None:
        direction = np.asarray(samples.dir_cpf, dtype=np.float64)
        channels[:, _DIR] = direction - direction[ref]

    # head pose relative to the first step with a pose: T_ref^-1 @ T_i
    ref_pose = _first(has_pose)
    if ref_pose is not None:
        poses = pose_matrices(head_t[has_pose], samples.head_q_xyzw[has_pose])  # (P, 4, 4)
        rel = invert_poses(poses[0])[None] @ poses  # (P, 4, 4); poses[0] is step ref_pose
        channels[has_pose, 6:9] = rel[:, :3, 3]
        channels[has_pose, 9:13] = matrix_to_quat_xyzw(rel[:, :3, :3])

    depth_m = np.minimum(np.asarray(samples.depth_m, dtype=np.float64), far_clip_m)
    channels[:, 13] = np.where(depth_valid, depth_m, np.nan)

    channel_mask = np.zeros((T, NUM_GAZE_CHANNELS), dtype=bool)
    channel_mask[:, _POINT] = point_ok[:, None]
    channel_mask[:, _DIR] = gaze_valid[:, None]
    channel_mask[:, _HEAD] = pose_valid[:, None]
    channel_mask[:, _DEPTH] = depth_valid[:, None]
    # values of unobserved gaze steps are not kept (they could hold a stale default depth)
    channels[~gaze_valid, 0:6] = np.nan
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(channels) & (np.abs(channels) <= MAX_ABS_VALUE)  # (T, 14)
    channel_mask &= usable
    channel_mask[:, _HEAD] &= channel_mask[:, _HEAD].all(axis=1, keepdims=True)  # a pose is all or nothing
    head_unusable = ~usable[:, _HEAD].all(axis=1)  # (T,) no full pose value (even the static identity)
    channels[head_unusable, 6:13] = np.nan
    gaze = np.where(np.isfinite(channels) & usable, channels, NEUTRAL_VALUES[None, :]).astype(np.float32)

    xy01 = np.asarray(samples.gaze2d_px, dtype=np.float64) / np.array([width, height], dtype=np.float64)
    gaze2d_valid = gaze2d_valid & np.isfinite(xy01).all(axis=1)
    gaze2d = np.where(gaze2d_valid[:, None], np.clip(np.nan_to_num(xy01, nan=0.5), 0.0, 1.0), 0.5)
    return NormalizedGaze(
        gaze=gaze,
        gaze2d=gaze2d.astype(np.float32),
        mask=gaze_valid.copy(),
        gaze2d_mask=gaze2d_valid,
        channel_mask=channel_mask,
    )
