"""Generative model of skilled behaviour for one synthetic take: head motion, eye gaze and the moving scene.

Everything is simulated in the world frame of :mod:`skillsight.data.synthetic.scenes` (metres, z up).

Timeline. Actions (a shot, a stroke, a kick) happen every ``task.period_s`` (+-8 %). Gaze and video frames
are sampled at ``rate_hz`` (10 Hz, as Ego-Exo4D gaze); head pose at ``head_rate_hz`` (an integer multiple).

Gaze (eyes only -- invisible in the pixels):
  * quiet eye: from ``lead`` s before each action to ``hold`` s after it the eyes rest on the task target;
    ``lead`` grows with *anticipation*, ``hold`` with *focus*; novices skip the quiet eye more often;
  * between quiet-eye periods, fixations (gamma durations, longer with *focus*) land on areas of interest
    (AOIs): the effector (hands; feet in soccer; likelier for poor *hand-eye coordination*), far ahead
    (greater depth; likelier with *anticipation*), the tool/ball, the target, or props (wandering, poor
    *focus*); fixations jitter less with *focus*.
Head/body (trajectory, and through the moving camera also the ego video):
  * the head turns towards where the eyes look (gain 0.6, lagged), with high-frequency jitter that shrinks
    with *head stability*, plus slow body sway that shrinks with *balance*, plus a bob at each action.
Scene (video only):
  * hands wander from their working position unless *hand positioning* is good;
  * the tool/ball loops between actions and is struck towards the target at each action; its path jitters
    and the strike stops short unless *follow-through* is good; *technique* sets its colour saturation and
    stripe count (:class:`ObjectStyle`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from skillsight.data.synthetic.scenes import SceneSpec

__all__ = ["AOI_NAMES", "ObjectStyle", "TakeBehaviour", "rotation_world_cpf", "simulate_take"]

AOI_NAMES: tuple[str, ...] = ("target", "ahead", "prop", "effector", "object")
_TARGET, _AHEAD, _PROP, _EFFECTOR, _OBJECT = range(5)
HEAD_GAIN = 0.6  # fraction of a gaze shift made by the head
TRACKER_NOISE_RAD = np.deg2rad(0.3)  # eye-tracker noise (white), the same for every level
EYE_LIMIT_DEG = 50.0  # eye-in-head rotation limit; beyond it the eyes wait for the head


def _lerp(a: float, novice: float, expert: float) -> float:
    return float(novice + (expert - novice) * a)


@dataclass(frozen=True)
class ObjectStyle:
    """Look of the manipulated tool/ball: ``saturation`` in [0, 1] and ``stripes`` (bands per sphere)."""

    saturation: float
    stripes: float


@dataclass(frozen=True)
class TakeBehaviour:
    """One simulated take. N = frames (gaze samples = video frames), M = head-pose samples.

    Attributes:
        frame_times_s: (N,) seconds from the take start (k / rate_hz).
        head_times_s: (M,) seconds; covers the frames with a margin on both sides.
        head_pos_world_m: (M, 3) CPF origin in the world.
        R_world_cpf: (M, 3, 3) CPF axes (X left, Y up, Z forward) as columns in world coordinates.
        frame_head_index: (N,) index into the head arrays of each frame's time.
        gaze_point_world_m: (N, 3) fixated point (before tracker noise).
        gaze_aoi: (N,) int8 index into AOI_NAMES.
        yaw_rad, pitch_rad, depth_m: (N,) combined gaze in CPF as an eye tracker reports it (with noise).
        point_cpf_m: (N, 3) gaze point in CPF: depth_m * normalize([tan yaw, tan pitch, 1]).
        event_times_s: (E,) action times.
        target_world_m: (3,) task target centre; props_world_m: (P, 3) distractor props.
        object_world_m: (N, 3) tool/ball; effectors_world_m: (N, 2, 3) left/right hands (or feet).
        body_world_m: (N, 3) torso centre (for exo views).
        object_style: appearance driven by *technique*.
    """

    rate_hz: float
    frame_times_s: np.ndarray
    head_times_s: np.ndarray
    head_pos_world_m: np.ndarray
    R_world_cpf: np.ndarray
    frame_head_index: np.ndarray
    gaze_point_world_m: np.ndarray
    gaze_aoi: np.ndarray
    yaw_rad: np.ndarray
    pitch_rad: np.ndarray
    depth_m: np.ndarray
    point_cpf_m: np.ndarray
    event_times_s: np.ndarray
    target_world_m: np.ndarray
    props_world_m: np.ndarray
    object_world_m: np.ndarray
    effectors_world_m: np.ndarray
    body_world_m: np.ndarray
    object_style: ObjectStyle


def rotation_world_cpf(az_rad: np.ndarray, el_rad: np.ndarray, roll_rad: np.ndarray) -> np.ndarray:
    """CPF orientation for a head looking along azimuth/elevation (world z up), rolled about its forward axis.

    Returns:
        (M, 3, 3) rotation whose columns are the CPF X (left), Y (up), Z (forward) axes in world coordinates.
    """
    ca, sa, ce, se = np.cos(az_rad), np.sin(az_rad), np.cos(el_rad), np.sin(el_rad)
    forward = np.stack([ce * ca, ce * sa, se], axis=-1)  # (M, 3)
    left0 = np.stack([-sa, ca, np.zeros_like(sa)], axis=-1)  # (M, 3)
    up0 = np.cross(forward, left0)  # (M, 3)
    cr, sr = np.cos(roll_rad)[:, None], np.sin(roll_rad)[:, None]
    left = cr * left0 + sr * up0
    up = -sr * left0 + cr * up0
    return np.stack([left, up, forward], axis=-1)  # (M, 3, 3), columns = axes


def _smooth(x: np.ndarray, tau_s: float, dt_s: float) -> np.ndarray:
    """Causal one-pole low-pass along axis 0 (time constant ``tau_s``), started at the first value."""
    alpha = 1.0 - np.exp(-dt_s / max(tau_s, 1e-6))
    y, _ = lfilter([alpha], [1.0, alpha - 1.0], x, axis=0, zi=(1.0 - alpha) * x[:1])
    return y


def _coloured_noise(
    rng: np.random.Generator, shape: tuple[int, ...], tau_s: float, dt_s: float, sd: float
) -> np.ndarray:
    """Low-passed white noise along axis 0, rescaled to standard deviation ``sd``."""
    x = _smooth(rng.standard_normal(shape), tau_s, dt_s)
    return x * (sd / max(float(x.std()), 1e-9))


def _events(rng: np.random.Generator, period_s: float, duration_s: float) -> np.ndarray:
    n = int(np.ceil(duration_s / period_s)) + 2
    gaps = period_s * np.clip(1.0 + 0.08 * rng.standard_normal(n), 0.7, 1.3)
    times = rng.uniform(0.3, period_s) + np.concatenate([[0.0], np.cumsum(gaps[:-1])])
    return times[times < duration_s - 0.2]


def _since_and_until(t: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per time: seconds since the previous action, until the next one, and the previous action's index."""
    idx = np.searchsorted(events, t, side="right")  # events[idx-1] <= t < events[idx]
    prev = np.where(idx > 0, t - events[np.maximum(idx - 1, 0)], np.inf)
    nxt = np.where(idx < len(events), events[np.minimum(idx, len(events) - 1)] - t, np.inf)
    return prev, nxt, idx - 1


def simulate_take(
    scene: SceneSpec,
    task_index: int,
    attributes: dict[str, float],
    rng: np.random.Generator,
    duration_s: float,
    rate_hz: float = 10.0,
    head_rate_hz: float = 50.0,
) -> TakeBehaviour:
    """Simulate one take of ``scene.tasks[task_index]`` by a performer with the given attribute strengths.

    Args:
        scene: scenario layout.
        task_index: which sub-task.
        attributes: strengths in [0, 1] for every name in ATTRIBUTES.
        rng: the take's random generator (all randomness comes from it).
        duration_s: take length in seconds.
        rate_hz: gaze / video frame rate.
        head_rate_hz: head-pose (trajectory) rate; must be an integer multiple of ``rate_hz``.
    """
    up = round(head_rate_hz / rate_hz)
    if up < 1 or abs(up * rate_hz - head_rate_hz) > 1e-6:
        raise ValueError(f"head_rate_hz ({head_rate_hz}) must be an integer multiple of rate_hz ({rate_hz})")
    task = scene.tasks[task_index]
    a = attributes
    n = round(duration_s * rate_hz)
    margin = 2 * up  # head samples before the first frame and after the last
    t = np.arange(n) / rate_hz  # (N,)
    th = (np.arange((n - 1) * up + 1 + 2 * margin) - margin) / head_rate_hz  # (M,)
    frame_head = np.arange(n) * up + margin  # (N,)
    dt_h, dt = 1.0 / head_rate_hz, 1.0 / rate_hz
    events = _events(rng, task.period_s, duration_s)

    # --- body and head position (head grid): sway (balance) + a bob at each action
    sway_m = _lerp(a["balance"], 0.045, 0.008)
    freqs = rng.uniform(0.2, 1.0, size=(3, 3))
    phases = rng.uniform(0, 2 * np.pi, size=(3, 3))
    sway = np.sin(2 * np.pi * th[:, None, None] * freqs + phases).sum(axis=1)  # (M, 3)
    sway *= np.array([1.0, 1.0, 0.3]) * sway_m / np.sqrt(1.5)
    bump = np.exp(-(((th[:, None] - events[None, :]) / 0.25) ** 2)).sum(axis=1)  # (M,)
    head_pos = np.array([0.0, 0.0, scene.eye_height_m]) + sway
    head_pos[:, 2] += scene.event_bob_m * bump
    body = head_pos[frame_head] - np.array([0.0, 0.0, 0.55]) - 0.5 * sway[frame_head]  # (N, 3)

    # --- effectors (hands / feet) and the tool/ball (frame grid)
    since, until, prev_idx = _since_and_until(t, events)
    wander = _coloured_noise(rng, (n, 2, 3), 1.0, dt, _lerp(a["hand positioning"], 0.10, 0.015))
    target = np.asarray(scene.target_m) + np.asarray(task.target_offset_m)
    eff_centre = np.asarray(scene.effector_m) + np.array([1.0, 1.0, 0.0]) * sway[frame_head] * 0.5  # (N, 3)
    side = np.array([[0.0, 0.5, 0.0], [0.0, -0.5, 0.0]]) * scene.effector_gap_m  # (2, 3)
    effectors = eff_centre[:, None, :] + side[None] + wander  # (N, 2, 3)
    to_target = target - eff_centre
    to_target /= np.linalg.norm(to_target, axis=1, keepdims=True)
    has_prev, has_next = np.isfinite(since), np.isfinite(until)
    since0, until0 = np.where(has_prev, since, 0.0), np.where(has_next, until, 0.0)  # inf -> 0
    gap = np.where(has_prev & has_next, since0 + until0, task.period_s)
    u = np.where(has_prev, since0 / np.maximum(gap, 1e-3), t / task.period_s)  # loop phase
    loop = task.path_radius_m * np.stack(
        [0.35 * np.cos(2 * np.pi * u), np.sin(2 * np.pi * u), 0.5 * np.sin(4 * np.pi * u)], axis=1
    )  # (N, 3)
    follow = _lerp(a["follow-through"], 0.35, 1.0)
    s = np.where(np.isfinite(since), since, 10.0)
    strike = (s / 0.2) * np.exp(1.0 - s / 0.2) * np.where(s / 0.2 > 1.0, follow, 1.0)
    jitter = _coloured_noise(rng, (n, 3), 0.05, dt, _lerp(a["follow-through"], 0.05, 0.004))
    obj = eff_centre + loop + 0.45 * strike[:, None] * to_target + jitter  # (N, 3)

    # --- where the eyes look (frame grid)
    props = np.stack(
        [
            1.6 * np.array([np.cos(ang), np.sin(ang), 0.0]) + np.array([0.0, 0.0, 0.8 + 0.5 * rng.uniform()])
            for ang in rng.choice([-1.0, 1.0], 3) * rng.uniform(0.6, 1.3, 3)
        ]
    )  # (3, 3)
    probs = np.array(
        [
            0.08,
            _lerp(a["anticipation"], 0.06, 0.36),
            _lerp(a["focus"], 0.25, 0.06),
            _lerp(a["hand-eye coordination"], 0.42, 0.08),
            0.18,
        ]
    )
    probs /= probs.sum()
    mean_fix = _lerp(a["focus"], 0.30, 0.65)
    n_seg = int(np.ceil(duration_s / (0.25 * mean_fix))) + 4
    durations = rng.gamma(4.0, mean_fix / 4.0, n_seg)
    seg = np.searchsorted(np.cumsum(durations), t, side="right")  # (N,) fixation index per frame
    seg_aoi = rng.choice(len(AOI_NAMES), size=n_seg + 1, p=probs)
    aoi = seg_aoi[seg]
    lead = _lerp(a["anticipation"], 0.10, 0.35) * task.period_s
    hold = _lerp(a["focus"], 0.05, 0.25) * task.period_s
    kept = rng.uniform(size=len(events) + 1) >= _lerp(a["focus"], 0.45, 0.05)  # quiet eye not skipped
    next_idx = np.minimum(prev_idx + 1, len(events))
    quiet = ((until <= lead) & kept[next_idx]) | ((since <= hold) & kept[np.maximum(prev_idx, 0)])
    aoi = np.where(quiet, _TARGET, aoi).astype(np.int8)

    spread = scene.ahead_spread_m * np.array([0.3, 1.0, 0.15])
    ahead_seg = np.asarray(scene.ahead_m) + spread * rng.uniform(-1, 1, (n_seg + 1, 3))
    prop_seg = props[rng.integers(0, len(props), n_seg + 1)]
    offset_seg = rng.standard_normal((n_seg + 1, 3))
    candidates = np.stack(
        [
            np.broadcast_to(target, (n, 3)) + 0.4 * scene.target_radius_m * offset_seg[seg],
            ahead_seg[seg],
            prop_seg[seg] + 0.05 * offset_seg[seg],
            effectors[np.arange(n), seg % 2] + 0.02 * offset_seg[seg],
            obj + 0.01 * offset_seg[seg],
        ]
    )  # (5, N, 3)
    point = candidates[aoi, np.arange(n)]  # (N, 3)

    # --- head orientation (head grid): lagged partial turn towards the gaze, plus jitter
    frame_of_head = np.clip(np.round(th * rate_hz).astype(int), 0, n - 1)  # zero-order hold
    d = point[frame_of_head] - head_pos  # (M, 3)
    home = 0.5 * (target + np.asarray(scene.effector_m)) - np.array([0.0, 0.0, scene.eye_height_m])
    az0, el0 = np.arctan2(home[1], home[0]), np.arctan2(home[2], np.hypot(home[0], home[1]))
    az = az0 + np.angle(np.exp(1j * (np.arctan2(d[:, 1], d[:, 0]) - az0)))
    el = np.arctan2(d[:, 2], np.hypot(d[:, 0], d[:, 1]))
    lag_s = _lerp(a["head stability"], 0.12, 0.30)
    head_az = _smooth(az0 + HEAD_GAIN * (az - az0), lag_s, dt_h)
    head_el = _smooth(el0 + HEAD_GAIN * (el - el0), lag_s, dt_h) - 0.04 * bump
    shake = _coloured_noise(rng, (len(th), 3), 0.04, dt_h, np.deg2rad(_lerp(a["head stability"], 2.2, 0.3)))
    R = rotation_world_cpf(head_az + shake[:, 0], head_el + shake[:, 1], 0.5 * shake[:, 2])  # (M, 3, 3)

    # --- what the eye tracker reports (frame grid)
    o, Rf = head_pos[frame_head], R[frame_head]
    p = np.einsum("nji,nj->ni", Rf, point - o)  # (N, 3) = R^T (P - o)
    p[:, 2] = np.maximum(p[:, 2], 0.05)  # never behind the eyes
    drift = _coloured_noise(rng, (n, 2), 0.3, dt, np.deg2rad(_lerp(a["focus"], 1.0, 0.2)))  # fixational drift
    noise = drift + TRACKER_NOISE_RAD * rng.standard_normal((n, 2))
    limit = np.deg2rad(EYE_LIMIT_DEG)
    yaw = np.clip(np.arctan2(p[:, 0], p[:, 2]), -limit, limit) + noise[:, 0]
    pitch = np.clip(np.arctan2(p[:, 1], p[:, 2]), -limit, limit) + noise[:, 1]
    depth = np.linalg.norm(p, axis=1) * np.exp(0.03 * rng.standard_normal(n))
    direction = np.stack([np.tan(yaw), np.tan(pitch), np.ones(n)], axis=1)
    point_cpf = depth[:, None] * direction / np.linalg.norm(direction, axis=1, keepdims=True)

    style = ObjectStyle(saturation=_lerp(a["technique"], 0.15, 1.0), stripes=_lerp(a["technique"], 1.0, 6.0))
    return TakeBehaviour(
        rate_hz=rate_hz,
        frame_times_s=t,
        head_times_s=th,
        head_pos_world_m=head_pos,
        R_world_cpf=R,
        frame_head_index=frame_head,
        gaze_point_world_m=point,
        gaze_aoi=aoi,
        yaw_rad=yaw,
        pitch_rad=pitch,
        depth_m=depth,
        point_cpf_m=point_cpf,
        event_times_s=events,
        target_world_m=target,
        props_world_m=props,
        object_world_m=obj,
        effectors_world_m=effectors,
        body_world_m=body,
        object_style=style,
    )
