"""A synthetic dataset in the MSB layout: 25 players (12 novice, 8 intermediate, 5 expert), forehand and
backhand swings, 2D gaze only.

Written files (the subject HDF5 layout of the real release; the two CSVs are this toolkit's annotation
format, since the release's own swing-annotation files were not available to check against)::

    out/Sub00/20230101_streamLog_badminton-wearables_Sub00.hdf5   eye-gaze/gaze/{data, time_s, time_str}
    out/annotations/subjects.csv                                 subject, level, fold
    out/annotations/swings.csv                                   subject, swing, stroke, start_s, end_s

Gaze (60 Hz, normalised scene-camera coordinates) during a swing follows the incoming shuttle, which
arrives from the right (forehand) or the left (backhand) towards the contact point. What the skill
literature describes for racket sports, scaled by level: experts lead the shuttle (gaze reaches the
contact zone earlier), hold it steadier there (a longer quiet eye before contact) and jitter less;
novices lag and wander. Blinks are NaN gaps. Players are split into 5 folds, each level spread over them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from skillsight.exceptions import ConfigError

__all__ = ["MSB_LEVELS", "generate_msb_dataset"]

MSB_LEVELS: tuple[str, ...] = ("novice", "intermediate", "expert")
PLAYERS_PER_LEVEL: tuple[int, ...] = (12, 8, 5)  # the real dataset's 25 players
GAZE_HZ = 60.0
_T0_S = 1_672_531_200.0  # 2023-01-01, seconds since the epoch


def _swing_gaze(rng: np.random.Generator, level: int, stroke: str, duration_s: float) -> np.ndarray:
    """(n, 2) gaze of one swing, in [0, 1]."""
    n = round(duration_s * GAZE_HZ)
    u = np.linspace(0.0, 1.0, n)  # swing phase; contact at u = 0.7
    side = 1.0 if stroke == "forehand" else -1.0
    skill = level / 2.0  # 0 novice .. 1 expert
    start = np.array([0.5 + side * 0.35, 0.25])
    contact = np.array([0.5 + side * 0.12, 0.55]) + rng.normal(0, 0.02, 2)
    shuttle = start + np.clip(u / 0.7, 0, 1)[:, None] * (contact - start)  # (n, 2)
    lag = (0.18 - 0.14 * skill) + rng.normal(0, 0.02)  # experts lead, novices lag (phase units)
    lagged = np.interp(u - lag, u, np.arange(n)).astype(int)
    gaze = shuttle[np.clip(lagged, 0, n - 1)]
    quiet = (u > 0.7 - (0.05 + 0.2 * skill)) & (u < 0.75)  # the quiet-eye hold before contact
    gaze[quiet] = contact + rng.normal(0, 0.005, 2)
    jitter = (0.035 - 0.025 * skill) * rng.standard_normal((n, 2))
    gaze = gaze + np.cumsum(jitter, axis=0) * 0.3 + jitter
    if rng.uniform() < 0.3:  # a blink
        k = int(rng.integers(0, n - 6))
        gaze[k : k + 6] = np.nan
    return np.clip(gaze, 0.0, 1.0)


def generate_msb_dataset(out_dir: str | Path, *, seed: int = 0, swings_per_player: int = 24) -> Path:
    """Write the synthetic MSB dataset (see the module docstring) and return ``out_dir``.

    Raises:
        ConfigError: fewer than 2 swings per player.
    """
    import h5py

    if swings_per_player < 2:
        raise ConfigError(f"swings_per_player must be >= 2, got {swings_per_player}")
    root = Path(out_dir)
    (root / "annotations").mkdir(parents=True, exist_ok=True)
    subjects, swings = [], []
    sid = 0
    for level, count in enumerate(PLAYERS_PER_LEVEL):
        for k in range(count):
            rng = np.random.default_rng([seed, level, k])
            name = f"Sub{sid:02d}"
            subjects.append((name, MSB_LEVELS[level], k % 5))
            t, times, points = _T0_S + 10.0, [], []
            for s in range(swings_per_player):
                stroke = "forehand" if s % 2 == 0 else "backhand"
                gap = rng.uniform(0.5, 1.5)  # between swings: looking around
                n_gap = int(gap * GAZE_HZ)
                times.append(t + np.arange(n_gap) / GAZE_HZ)
                points.append(np.clip(0.5 + 0.15 * rng.standard_normal((n_gap, 2)), 0, 1))
                t += gap
                duration = rng.uniform(1.0, 1.4)
                times.append(t + np.arange(round(duration * GAZE_HZ)) / GAZE_HZ)
                points.append(_swing_gaze(rng, level, stroke, duration))
                swings.append((name, s, stroke, round(t, 6), round(t + duration, 6)))
                t += duration
            time_s = np.concatenate(times)
            folder = root / name
            folder.mkdir(exist_ok=True)
            with h5py.File(folder / f"20230101_streamLog_badminton-wearables_{name}.hdf5", "w") as h5:
                group = h5.create_group("eye-gaze").create_group("gaze")
                group["data"] = np.concatenate(points)
                group["time_s"] = time_s
                group["time_str"] = np.array([f"{x:.6f}".encode() for x in time_s])
            sid += 1
    with (root / "annotations" / "subjects.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("subject", "level", "fold"), *subjects])
    with (root / "annotations" / "swings.csv").open("w", newline="") as f:
        csv.writer(f).writerows([("subject", "swing", "stroke", "start_s", "end_s"), *swings])
    return root
