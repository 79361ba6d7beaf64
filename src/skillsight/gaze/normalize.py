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
    "normalize_windows_gaze",
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
_IDENTITY_Q = np.array([0.0, 0.0, 0.0, 1.0])


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

    The clip goes through :func:`normalize_windows_gaze` as a batch of one window, so a training
    clip, an evaluation clip and a served window share one implementation.

    Args:
        samples: raw gaze of the clip at its T frame timestamps.
        image_size_px: (width, height) the 2D gaze pixels refer to; None -> ``samples.image_size_px``
            (1408 x 1408 for the upright Aria RGB image).
        far_clip_m: far points and depths are clipped to this many metres.

    Returns:
        NormalizedGaze with ``gaze`` (T, 14), ``gaze2d`` (T, 2) and the validity masks.
    """
    batch = normalize_windows_gaze(samples, max(len(samples), 1), image_size_px, far_clip_m)
    if len(samples) == 0:  # no step: (0, ...) arrays, as a clip of zero steps has
        return NormalizedGaze(*(np.zeros((0, *a.shape[2:]), a.dtype) for a in _fields(batch)))
    return NormalizedGaze(*(a[0] for a in _fields(batch)))


def _fields(norm: NormalizedGaze) -> tuple[np.ndarray, ...]:
    return norm.gaze, norm.gaze2d, norm.mask, norm.gaze2d_mask, norm.channel_mask


def normalize_windows_gaze(
    samples: GazeSamples,
    num_steps: int,
    image_size_px: tuple[int, int] | None = None,
    far_clip_m: float = FAR_CLIP_M,
) -> NormalizedGaze:
    """Normalise W windows of ``num_steps`` steps each in one vectorised pass.

    ``samples`` holds the W * T steps window after window (what one :func:`gaze_samples_at` call
    on the (W * T,) step times of W windows returns); each window is normalised relative to
    itself, exactly as :func:`normalize_clip_gaze` would normalise it alone.

    Args:
        samples: raw gaze of W * T steps (T = ``num_steps``).
        num_steps: T, the steps of one window (>= 1).
        image_size_px: (width, height) of the 2D gaze pixels; None -> ``samples.image_size_px``.
        far_clip_m: far points and depths are clipped to this many metres.

    Returns:
        NormalizedGaze whose arrays carry a leading window axis: ``gaze`` (W, T, 14), ``gaze2d``
        (W, T, 2), ``mask`` and ``gaze2d_mask`` (W, T), ``channel_mask`` (W, T, 14).

    Raises:
        ConfigError: ``num_steps`` < 1 or not dividing the number of steps, bad ``far_clip_m`` or
            image size.
        DataFormatError: a per-step array of ``samples`` has the wrong shape.
    """
    n = _check(samples)
    if num_steps < 1 or n % num_steps:
        raise ConfigError(f"num_steps={num_steps} must be >= 1 and divide the {n} steps of the samples")
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):  # non-finite -> unobserved below
        return _normalize(samples, n // num_steps, num_steps, image_size_px, far_clip_m)


def _first_index(flags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W, T) bool -> (W,) index of the first True of each window (0 when none) and (W,) any."""
    return np.argmax(flags, axis=1), np.asarray(flags.any(axis=1))


def _normalize(
    samples: GazeSamples, W: int, T: int, image_size_px: tuple[int, int] | None, far_clip_m: float
) -> NormalizedGaze:
    if not np.isfinite(far_clip_m) or far_clip_m <= 0:
        raise ConfigError(f"far_clip_m must be > 0, got {far_clip_m}")
    width, height = samples.image_size_px if image_size_px is None else image_size_px
    if width <= 0 or height <= 0:
        raise ConfigError(f"image_size_px must be positive, got {(width, height)}")

    def steps(name: str, dtype: type) -> np.ndarray:  # (W, T, ...) view of a per-step array
        a: np.ndarray = np.asarray(getattr(samples, name), dtype=dtype)
        return a.reshape(W, T, *a.shape[1:])

    head_t, head_q = steps("head_t_world_m", np.float64), steps("head_q_xyzw", np.float64)  # (W, T, 3|4)
    gaze_valid = steps("gaze_valid", bool)  # (W, T)
    has_pose = np.isfinite(head_t).all(-1) & np.isfinite(head_q).all(-1)  # (W, T)
    pose_valid = steps("pose_valid", bool) & has_pose
    depth_valid = steps("depth_valid", bool) & gaze_valid
    gaze2d_px = steps("gaze2d_px", np.float64)  # (W, T, 2)
    gaze2d_valid = steps("gaze2d_valid", bool) & np.isfinite(gaze2d_px).all(-1)
    channels = np.empty((W, T, NUM_GAZE_CHANNELS))  # (W, T, 14) every channel written below
    windows = np.arange(W)

    # world point relative to the window's mean head position, far points pulled back along the ray
    ray = steps("point_world_m", np.float64) - head_t  # (W, T, 3)
    dist = np.linalg.norm(ray, axis=-1, keepdims=True)  # (W, T, 1)
    scale = np.where(dist > far_clip_m, far_clip_m / np.where(dist > 0, dist, 1.0), 1.0)
    # rows summed in step order, absent ones as +0.0: the same sum as the mean over the pose rows
    pose_sum = np.where(has_pose[..., None], head_t, 0.0).sum(axis=1)  # (W, 3)
    mean_head = pose_sum / np.maximum(has_pose.sum(axis=1), 1)[:, None]  # (W, 3)
    channels[..., _POINT] = head_t + ray * scale - mean_head[:, None]
    point_ok = gaze_valid & has_pose

    # direction minus the first observed direction
    ref, has_ref = _first_index(gaze_valid)
    direction = steps("dir_cpf", np.float64)  # (W, T, 3)
    channels[..., _DIR] = direction - direction[windows, ref][:, None]

    # head pose relative to the first step with a pose: T_ref^-1 @ T_i (NaN where no pose)
    ref_pose, any_pose = _first_index(has_pose)
    poses = pose_matrices(head_t, head_q)  # (W, T, 4, 4)
    rel = invert_poses(poses[windows, ref_pose])[:, None] @ poses  # (W, T, 4, 4)
    channels[..., 6:9] = rel[..., :3, 3]
    channels[..., 9:13] = matrix_to_quat_xyzw(rel[..., :3, :3])
    channels[..., _HEAD][~has_pose] = np.nan
    if not (any_pose.all() and has_ref.all()):  # windows without any pose / any gaze: nothing relative
        channels[~any_pose, :, _POINT] = np.nan
        channels[~has_ref, :, _DIR] = np.nan

    depth_m = np.minimum(steps("depth_m", np.float64), far_clip_m)
    channels[..., 13] = np.where(depth_valid, depth_m, np.nan)

    channel_mask = np.zeros((W, T, NUM_GAZE_CHANNELS), dtype=bool)
    channel_mask[..., _POINT] = point_ok[..., None]
    channel_mask[..., _DIR] = gaze_valid[..., None]
    channel_mask[..., _HEAD] = pose_valid[..., None]
    channel_mask[..., _DEPTH] = depth_valid[..., None]
    # values of unobserved gaze steps are not kept (they could hold a stale default depth)
    channels[..., 0:6][~gaze_valid] = np.nan
    usable = np.isfinite(channels) & (np.abs(channels) <= MAX_ABS_VALUE)  # (W, T, 14)
    channel_mask &= usable
    channel_mask[..., _HEAD] &= channel_mask[..., _HEAD].all(axis=-1, keepdims=True)  # a pose: all or nothing
    head_unusable = ~usable[..., _HEAD].all(axis=-1)  # (W, T) no full pose value (even the static identity)
    channels[..., 6:13][head_unusable] = np.nan
    gaze = np.where(np.isfinite(channels) & usable, channels, NEUTRAL_VALUES).astype(np.float32)

    xy01 = gaze2d_px / np.array([width, height], dtype=np.float64)  # (W, T, 2)
    gaze2d_valid = gaze2d_valid & np.isfinite(xy01).all(axis=-1)
    gaze2d = np.where(gaze2d_valid[..., None], np.clip(np.nan_to_num(xy01, nan=0.5), 0.0, 1.0), 0.5)
    return NormalizedGaze(
        gaze=gaze,
        gaze2d=gaze2d.astype(np.float32),
        mask=gaze_valid.copy(),
        gaze2d_mask=gaze2d_valid,
        channel_mask=channel_mask,
    )
