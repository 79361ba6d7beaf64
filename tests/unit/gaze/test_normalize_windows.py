"""The batched window normalisation equals a plain one-window-at-a-time reference, bit for bit.

The reference below is written here, straight from the rules of :mod:`skillsight.gaze.normalize`
(one window, its valid rows picked out by boolean indexing, its reference steps found by a loop); the
batched path (:func:`normalize_windows_gaze`, and :func:`normalize_clip_gaze` that goes through it)
must give the SAME float32 values and masks on random windows and on the edge cases a recording
holds: NaN-masked samples, blinks, windows without gaze or pose, static heads, far and absurd
values, one- and two-step windows.
"""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.geometry import gaze_direction_cpf, invert_poses, matrix_to_quat_xyzw, pose_matrices
from skillsight.gaze.normalize import (
    MAX_ABS_VALUE,
    NEUTRAL_VALUES,
    normalize_clip_gaze,
    normalize_windows_gaze,
)
from skillsight.gaze.resample import GazeSamples


def _reference_one_window(s: GazeSamples, far_clip_m: float = 10.0) -> tuple[np.ndarray, ...]:
    """(gaze (T, 14), gaze2d (T, 2), mask, gaze2d_mask, channel_mask) of ONE window, plainly."""
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):  # non-finite -> unobserved
        return _reference(s, far_clip_m)


def _reference(s: GazeSamples, far_clip_m: float) -> tuple[np.ndarray, ...]:
    T = len(s)
    width, height = s.image_size_px
    head_t, head_q = np.asarray(s.head_t_world_m, float), np.asarray(s.head_q_xyzw, float)
    gaze_valid = np.asarray(s.gaze_valid, bool)
    has_pose = np.isfinite(head_t).all(1) & np.isfinite(head_q).all(1)
    pose_valid = np.asarray(s.pose_valid, bool) & has_pose
    depth_valid = np.asarray(s.depth_valid, bool) & gaze_valid
    gaze2d_valid = np.asarray(s.gaze2d_valid, bool) & np.isfinite(s.gaze2d_px).all(1)
    ch = np.full((T, 14), np.nan)
    ray = np.asarray(s.point_world_m, float) - head_t
    dist = np.linalg.norm(ray, axis=1, keepdims=True)
    scale = np.where(dist > far_clip_m, far_clip_m / np.where(dist > 0, dist, 1.0), 1.0)
    if has_pose.any():
        ch[:, 0:3] = head_t + ray * scale - head_t[has_pose].mean(axis=0)
    first_gaze = next((i for i in range(T) if gaze_valid[i]), None)
    if first_gaze is not None:
        ch[:, 3:6] = np.asarray(s.dir_cpf, float) - np.asarray(s.dir_cpf, float)[first_gaze]
    if has_pose.any():
        poses = pose_matrices(head_t[has_pose], head_q[has_pose])
        rel = invert_poses(poses[0])[None] @ poses
        ch[has_pose, 6:9] = rel[:, :3, 3]
        ch[has_pose, 9:13] = matrix_to_quat_xyzw(rel[:, :3, :3])
    ch[:, 13] = np.where(depth_valid, np.minimum(np.asarray(s.depth_m, float), far_clip_m), np.nan)
    cm = np.zeros((T, 14), bool)
    cm[:, 0:3] = (gaze_valid & has_pose)[:, None]
    cm[:, 3:6] = gaze_valid[:, None]
    cm[:, 6:13] = pose_valid[:, None]
    cm[:, 13] = depth_valid
    ch[~gaze_valid, 0:6] = np.nan
    usable = np.isfinite(ch) & (np.abs(ch) <= MAX_ABS_VALUE)
    cm &= usable
    cm[:, 6:13] &= cm[:, 6:13].all(axis=1, keepdims=True)
    ch[~usable[:, 6:13].all(axis=1), 6:13] = np.nan
    gaze = np.where(np.isfinite(ch) & usable, ch, NEUTRAL_VALUES[None]).astype(np.float32)
    xy = np.asarray(s.gaze2d_px, float) / np.array([width, height], float)
    gaze2d_valid &= np.isfinite(xy).all(axis=1)
    gaze2d = np.where(gaze2d_valid[:, None], np.clip(np.nan_to_num(xy, nan=0.5), 0, 1), 0.5)
    return gaze, gaze2d.astype(np.float32), gaze_valid, gaze2d_valid, cm


def _random_steps(rng: np.random.Generator, n: int, trajectory: bool = True) -> dict[str, np.ndarray]:
    """n steps of plausible raw gaze: moving head, 10 % NaN-masked gaze, a blink, holes in pose/depth."""
    yaw, pitch = rng.uniform(-0.5, 0.5, n), rng.uniform(-0.4, 0.4, n)
    direction = gaze_direction_cpf(yaw, pitch)
    depth = rng.uniform(0.2, 25.0, n)  # some beyond the 10 m far clip
    head_t = np.cumsum(rng.normal(0, 0.05, (n, 3)), axis=0) + rng.normal(0, 3, 3)
    q = rng.normal(size=(n, 4))
    head_q = q / np.linalg.norm(q, axis=1, keepdims=True)
    gaze_valid = rng.random(n) > 0.1
    if n > 8:
        start = int(rng.integers(0, n - 4))
        gaze_valid[start : start + 4] = False  # a blink: several steps in a row
    pose_valid = rng.random(n) > 0.15 if trajectory else np.zeros(n, bool)
    depth_valid = gaze_valid & (rng.random(n) > 0.2)
    gaze2d_valid = gaze_valid & (rng.random(n) > 0.1)
    direction[~gaze_valid] = np.nan
    point_cpf = direction * np.where(depth_valid, depth, 1.0)[:, None]
    if trajectory:
        head_t[~pose_valid] = np.nan
        head_q[~pose_valid] = np.nan
    point_world = head_t + point_cpf  # any finite relation will do for the channels' arithmetic
    gaze2d_px = rng.uniform(-100, 1500, (n, 2))  # some outside the image (clipped to [0, 1])
    gaze2d_px[~gaze2d_valid] = np.nan
    return dict(
        timestamps_us=np.arange(n, dtype=np.int64) * 500_000,
        dir_cpf=direction,
        depth_m=np.where(depth_valid, depth, np.nan),
        point_cpf_m=point_cpf,
        point_world_m=point_world,
        head_t_world_m=head_t,
        head_q_xyzw=head_q,
        gaze2d_px=gaze2d_px,
        gaze_valid=gaze_valid,
        depth_valid=depth_valid,
        pose_valid=pose_valid,
        gaze2d_valid=gaze2d_valid,
    )


def _edge_windows(rng: np.random.Generator, T: int) -> list[dict[str, np.ndarray]]:
    """Windows a recording really holds, each of T steps."""
    out = []
    no_gaze = _random_steps(rng, T)
    no_gaze["gaze_valid"][:] = False
    no_gaze["dir_cpf"][:] = np.nan
    out.append(no_gaze)
    no_pose = _random_steps(rng, T)
    no_pose["head_t_world_m"][:] = np.nan
    no_pose["pose_valid"][:] = False
    out.append(no_pose)
    late = _random_steps(rng, T)  # the first gaze and the first pose come late in the window
    late["gaze_valid"][: T // 2] = False
    late["head_q_xyzw"][: T // 2] = np.nan
    out.append(late)
    absurd = _random_steps(rng, T)  # a trajectory in millimetres, a corrupt depth, an infinite point
    absurd["head_t_world_m"][0] = 5e6
    absurd["pose_valid"][0] = True
    absurd["head_q_xyzw"][0] = [0.0, 0.0, 0.0, 1.0]
    absurd["depth_m"][-1] = np.inf
    absurd["point_world_m"][T // 2] = np.inf
    out.append(absurd)
    static = _random_steps(rng, T, trajectory=False)  # no trajectory: static CPF pose, pose_valid False
    static["head_t_world_m"][:] = [0.0, 0.01, 0.0]
    static["head_q_xyzw"][:] = [0.0, 0.0, 0.0, 1.0]
    out.append(static)
    return out


def _concat(windows: list[dict[str, np.ndarray]]) -> GazeSamples:
    return GazeSamples(**{k: np.concatenate([w[k] for w in windows]) for k in windows[0]})


@pytest.mark.parametrize("T", [1, 2, 7, 16, 32])
def test_batched_windows_equal_the_plain_reference_bit_for_bit(T):
    rng = np.random.default_rng(T)
    windows = [_random_steps(rng, T) for _ in range(12)] + _edge_windows(rng, T)
    batch = normalize_windows_gaze(_concat(windows), T)
    assert batch.gaze.shape == (len(windows), T, 14) and batch.channel_mask.shape == (len(windows), T, 14)
    assert batch.gaze2d.shape == (len(windows), T, 2) and batch.mask.shape == (len(windows), T)
    for w, steps in enumerate(windows):
        ref = _reference_one_window(GazeSamples(**steps))
        got = (batch.gaze[w], batch.gaze2d[w], batch.mask[w], batch.gaze2d_mask[w], batch.channel_mask[w])
        for name, a, b in zip(("gaze", "gaze2d", "mask", "gaze2d_mask", "channel_mask"), got, ref):
            np.testing.assert_array_equal(a, b, err_msg=f"window {w} (T={T}) {name}")
            assert a.dtype == b.dtype, name
        one = normalize_clip_gaze(GazeSamples(**steps))  # the single-clip path is the same code
        np.testing.assert_array_equal(one.gaze, ref[0])
        np.testing.assert_array_equal(one.channel_mask, ref[4])
    assert np.isfinite(batch.gaze).all()
    assert not batch.mask.all() and batch.channel_mask.any()  # the cases really exercise the masks


def test_edge_cases_keep_their_meaning():
    rng = np.random.default_rng(5)
    no_gaze, no_pose, late, absurd, static = _edge_windows(rng, 8)
    batch = normalize_windows_gaze(_concat([no_gaze, no_pose, late, absurd, static]), 8)
    assert not batch.channel_mask[0][:, 0:6].any()  # no gaze: no point, no direction
    np.testing.assert_array_equal(batch.gaze[1][:, 6:13], np.broadcast_to(NEUTRAL_VALUES[6:13], (8, 7)))
    assert not batch.channel_mask[1][:, 0:3].any()  # no pose: no world point
    assert (batch.channel_mask[2][:4, 3:6] == 0).all()  # before the first gaze: unobserved
    # a head 5000 km from the rest of the window: every pose relative to it is no observation
    assert absurd["pose_valid"][0] and not batch.channel_mask[3][1:, 6:13].any()
    assert not batch.channel_mask[4][:, 6:13].any()  # static head: identity, marked invalid


def test_a_zero_step_clip_and_bad_batches():
    empty = GazeSamples(**_random_steps(np.random.default_rng(0), 0))
    norm = normalize_clip_gaze(empty)
    assert norm.gaze.shape == (0, 14) and norm.gaze2d.shape == (0, 2) and norm.mask.shape == (0,)
    samples = _concat([_random_steps(np.random.default_rng(1), 10)])
    with pytest.raises(ConfigError, match="divide"):
        normalize_windows_gaze(samples, 3)
    with pytest.raises(ConfigError, match="num_steps"):
        normalize_windows_gaze(samples, 0)
    bad = GazeSamples(**{**_random_steps(np.random.default_rng(2), 10), "depth_m": np.zeros(9)})
    with pytest.raises(DataFormatError, match="depth_m"):
        normalize_windows_gaze(bad, 5)
