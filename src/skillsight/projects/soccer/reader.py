"""Expert-Novice Soccer dataset (Akamatsu et al., ICASSP 2021): samples on a normalised time base.

Root layout (see the dataset README): ``Expert-Novice-Scores`` (36 sample rows x 8 player columns of
mean ratings 1..4), ``EyeTrackingData/Player<p>/S<nn>/<feature>_vec.csv`` (Tobii Pro Glasses 2,
:mod:`skillsight.projects.soccer.gaze_files`) and ``MotionData/`` (Perception Neuron,
:mod:`skillsight.projects.soccer.motion_files`).

Labels follow the dataset's own rule: mean score > 2.5 is expert (class 1), otherwise novice
(class 0); no score in the real matrix equals 2.5. Actions: sample index 01-36 in blocks of four,
action id = (index - 1) // 4 (names in SOCCER_ACTIONS; the dataset README's motion section swaps the
names of blocks 25-28 and 29-32 relative to its eye-tracking section, we follow the eye-tracking
section and the shared data README).

Time base. Neither modality has timestamps and the durations are not given. Every stream (each gaze
feature file, the motion rows) is assumed to cover the same recording window, and is stretched onto
[0, 1] with sample i of n at (i + 0.5) / n, then brought to ``num_steps`` bins of width 1/num_steps:
the mean of the samples in a bin when n >= num_steps, otherwise linear interpolation at the bin
centres. Gaze streams drop invalid samples (Glasses 2 records gaze at 50 Hz), and where they were
dropped is unknown, so the stretch is an approximation for gaze streams with dropouts.
Motion rate: :func:`infer_motion_rate_hz` (~119.3 Hz on the real data) from row counts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skillsight.data.records import Motion
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.soccer.gaze_files import GAZE_FEATURES, read_vec_csv
from skillsight.projects.soccer.motion_files import mirror_motion, read_feature_info, read_motion_file

__all__ = [
    "EXPERT_THRESHOLD",
    "GLASSES_GAZE_RATE_HZ",
    "LEFT_FOOTED_PLAYERS",
    "SOCCER_ACTIONS",
    "SOCCER_LABELS",
    "SoccerDataset",
    "SoccerSample",
    "infer_motion_rate_hz",
    "load_soccer_dataset",
    "read_scores",
    "resample_normalised",
]

SOCCER_ACTIONS: tuple[str, ...] = (
    "penalty kick",
    "free kick",
    "direct shot",
    "shot from a cross",
    "volley",
    "dribble (long)",
    "dribble (straight)",
    "dribble (short)",
    "juggling",
)
#: class id -> name.
SOCCER_LABELS: tuple[str, ...] = ("novice", "expert")
#: The dataset's rule: score > EXPERT_THRESHOLD is expert.
EXPERT_THRESHOLD = 2.5
#: Tobii Pro Glasses 2 gaze rate (the upper bound of valid gaze rows per second).
GLASSES_GAZE_RATE_HZ = 50.0
#: Players whose motion the original authors mirrored (player 5 is left-footed).
LEFT_FOOTED_PLAYERS: tuple[int, ...] = (5,)
_EYE_GROUPS = ("gp0", "gd00", "gd10")  # one file per independently-dropping gaze stream


@dataclass(frozen=True)
class SoccerSample:
    """One trial: a player performing one action once.

    Attributes:
        player: 1..8. sample_index: 1..36 (the ``S<nn>`` number).
        action_id: 0..8, action_name: SOCCER_ACTIONS[action_id].
        score: mean rating 1..4. label: 1 expert (score > 2.5), 0 novice.
        gaze: (num_steps, Cg) float32 on the normalised time base, raw units (GAZE_FEATURE_UNITS).
        gaze_channel_names: Cg feature names (``gp0`` ...).
        motion: (num_steps, 336) on the same time base (mirrored for left-footed players), or None
            when the motion file is missing. ``motion.rate_hz`` = num_steps / duration estimate.
        gaze_counts: raw number of samples per gaze feature file.
        motion_rows: raw number of motion rows (None when missing).
    """

    player: int
    sample_index: int
    action_id: int
    action_name: str
    score: float
    label: int
    gaze: np.ndarray
    gaze_channel_names: tuple[str, ...]
    motion: Motion | None
    gaze_counts: dict[str, int] = field(default_factory=dict)
    motion_rows: int | None = None

    @property
    def sample_id(self) -> str:
        """``P<p>-S<nn>``, unique in the dataset."""
        return f"P{self.player}-S{self.sample_index:02d}"


@dataclass
class SoccerDataset:
    """Loaded samples plus what the scan found (missing files, mismatches, skips)."""

    root: Path
    num_steps: int
    samples: list[SoccerSample]
    motion_feature_names: tuple[str, ...]
    motion_rate_hz: float | None
    mirrored_players: tuple[int, ...]
    missing_motion: list[str] = field(default_factory=list)
    count_mismatches: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.samples)

    def report(self) -> str:
        """Multi-line summary: counts per player and label, and every gap the scan found."""
        lines = [
            f"Expert-Novice Soccer at {self.root}: {len(self.samples)} samples, num_steps={self.num_steps}"
        ]
        players = sorted({s.player for s in self.samples})
        for p in players:
            labels = [s.label for s in self.samples if s.player == p]
            lines.append(
                f"  player {p}: {len(labels)} samples, expert {sum(labels)}, "
                f"novice {len(labels) - sum(labels)}"
            )
        n_exp = sum(s.label for s in self.samples)
        lines.append(f"  all: expert {n_exp}, novice {len(self.samples) - n_exp}")
        rate = "n/a" if self.motion_rate_hz is None else f"{self.motion_rate_hz:.2f} Hz"
        lines.append(
            f"  motion rate inferred from row counts: {rate}; mirrored players: {list(self.mirrored_players)}"
        )
        lines.append(f"  missing motion files: {len(self.missing_motion)} (gaze kept, motion=None)")
        lines.extend(f"    {m}" for m in self.missing_motion)
        lines.append(f"  _vec.csv count header mismatches: {len(self.count_mismatches)}")
        lines.extend(f"    {m}" for m in self.count_mismatches)
        lines.append(f"  skipped samples: {len(self.skipped)}")
        lines.extend(f"    {m}" for m in self.skipped)
        return "\n".join(lines)


def read_scores(path: str | Path) -> np.ndarray:
    """Read ``Expert-Novice-Scores``: whitespace-separated (samples, players) matrix of ratings 1..4.

    Raises:
        DataFormatError: ragged rows, non-numbers, more than 36 sample rows, or a score outside [1, 4].
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataFormatError(path, "", err.object[err.start : err.start + 8], "not UTF-8 text") from None
    rows = [line.split() for line in text.splitlines() if line.strip()]
    if not rows:
        raise DataFormatError(path, "", "", "score matrix is empty")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise DataFormatError(path, "row length", sorted(widths), "rows have different numbers of columns")
    try:
        scores = np.array(rows, dtype=np.float64)
    except ValueError as err:
        raise DataFormatError(path, "score", str(err), "not a number") from None
    if scores.shape[0] > len(SOCCER_ACTIONS) * 4:
        raise DataFormatError(path, "rows", scores.shape[0], "at most 36 samples (9 actions x 4) per player")
    bad = np.argwhere(~((scores >= 1.0) & (scores <= 4.0)))
    if bad.size:
        i, j = (int(k) for k in bad[0])
        raise DataFormatError(path, f"sample {i + 1}, player {j + 1}", scores[i, j], "score outside [1, 4]")
    return scores


def resample_normalised(values: np.ndarray, num_steps: int) -> np.ndarray:
    """Stretch a (n, C) stream onto [0, 1] and return (num_steps, C) bin values.

    Sample i sits at (i + 0.5) / n. With n >= num_steps every bin holds a sample and the result is the
    bin mean; otherwise it is the linear interpolation at the bin centres (k + 0.5) / num_steps, held
    constant beyond the first/last sample.
    """
    if values.ndim == 1:
        values = values[:, None]
    n, C = values.shape
    if n == 0 or num_steps < 1:
        raise ConfigError(
            f"resample_normalised needs n >= 1 and num_steps >= 1 (n={n}, num_steps={num_steps})"
        )
    if n >= num_steps:
        bins = (np.arange(n) * num_steps) // n  # (n,) non-decreasing, every bin 0..num_steps-1 hit
        starts = np.searchsorted(bins, np.arange(num_steps))  # (num_steps,)
        counts = np.diff(np.append(starts, n))[:, None]  # (num_steps, 1)
        return np.add.reduceat(values.astype(np.float64), starts, axis=0) / counts
    pos = (np.arange(n) + 0.5) / n
    centres = (np.arange(num_steps) + 0.5) / num_steps
    return np.stack([np.interp(centres, pos, values[:, c]) for c in range(C)], axis=1)  # (num_steps, C)


def infer_motion_rate_hz(gaze_counts: Iterable[int], motion_rows: Iterable[int]) -> float:
    """Motion rate from row counts, using the 50 Hz gaze stream as the clock.

    Gaze streams only lose rows (dropouts), so for each sample ``motion_rows / max gaze count`` is an
    upper bound of ``rate / 50``; samples with complete gaze reach its minimum. The rate is 50 Hz times
    the 5th percentile of that ratio (robust to a few odd samples). ~119.3 Hz on the real data.
    """
    gaze = np.asarray(list(gaze_counts), dtype=np.float64)
    rows = np.asarray(list(motion_rows), dtype=np.float64)
    if gaze.size == 0 or gaze.shape != rows.shape:
        raise ConfigError(f"need matching non-empty counts (gaze {gaze.size}, motion {rows.size})")
    return float(GLASSES_GAZE_RATE_HZ * np.percentile(rows / gaze, 5))


def _read_gaze(folder: Path, features: tuple[str, ...], num_steps: int, on_count_mismatch: str):
    columns, counts, mismatches = [], {}, []
    for feature in features:
        vec = read_vec_csv(folder / f"{feature}_vec.csv", on_count_mismatch=on_count_mismatch)
        if vec.count_mismatch:
            mismatches.append(f"{vec.source}: header {vec.declared_count}, values {vec.values.size}")
        counts[feature] = int(vec.values.size)
        columns.append(resample_normalised(vec.values, num_steps)[:, 0])
    return np.stack(columns, axis=1).astype(np.float32), counts, mismatches  # (num_steps, Cg)


def load_soccer_dataset(
    root: str | Path,
    num_steps: int = 64,
    players: Iterable[int] | None = None,
    gaze_features: tuple[str, ...] = GAZE_FEATURES,
    load_motion: bool = True,
    mirror_left_footed: bool = True,
    on_count_mismatch: str = "warn",
    strict: bool = False,
) -> SoccerDataset:
    """Load every sample of the Expert-Novice Soccer dataset onto a common normalised time base.

    Args:
        root: the ``expert-novice-soccer`` folder.
        num_steps: time steps of every gaze and motion matrix.
        players: restrict to these player numbers (default: every column of the score matrix).
        gaze_features: which ``<feature>_vec.csv`` to read, in channel order.
        load_motion: read MotionData (False: every ``motion`` is None).
        mirror_left_footed: mirror the motion of LEFT_FOOTED_PLAYERS (soccer_motion.mirror_motion).
        on_count_mismatch: "warn" (count, list in the report) or "error".
        strict: raise on a bad sample instead of skipping it (skips are counted in the report).

    Returns:
        SoccerDataset; ``.report()`` lists missing motion files, count mismatches and skips.

    Raises:
        DataFormatError: bad score matrix or feature_info.csv; with strict, any bad sample file.
        FileNotFoundError: root or its score matrix does not exist.
    """
    root = Path(root)
    if num_steps < 2:
        raise ConfigError(f"num_steps must be >= 2, got {num_steps}")
    unknown = [f for f in gaze_features if f not in GAZE_FEATURES]
    if unknown or not gaze_features:
        raise ConfigError(f"unknown gaze features {unknown}; valid: {GAZE_FEATURES}")
    scores = read_scores(root / "Expert-Novice-Scores")
    num_samples, num_players = scores.shape
    chosen = sorted(set(players)) if players is not None else list(range(1, num_players + 1))
    bad_players = [p for p in chosen if not 1 <= p <= num_players]
    if bad_players:
        raise ConfigError(f"players {bad_players} not in the score matrix (players 1..{num_players})")
    names: tuple[str, ...] = ()
    if load_motion:
        names = read_feature_info(root / "MotionData" / "feature_info.csv")
    gaze_dir, motion_dir = root / "EyeTrackingData", root / "MotionData"
    pending, mismatches, skipped, missing = [], [], [], []
    for p in chosen:
        for s in range(1, num_samples + 1):
            sample_id = f"Player{p}/S{s:02d}"
            try:
                gaze, counts, mism = _read_gaze(
                    gaze_dir / sample_id, gaze_features, num_steps, on_count_mismatch
                )
                motion_path = motion_dir / f"{sample_id}.txt.gz"
                raw_motion = None
                if load_motion and motion_path.is_file():
                    raw_motion = read_motion_file(motion_path, len(names))
                    if mirror_left_footed and p in LEFT_FOOTED_PLAYERS:
                        raw_motion = mirror_motion(raw_motion, names, str(motion_path))
                elif load_motion:
                    missing.append(str(motion_path))
            except (DataFormatError, FileNotFoundError) as err:
                if strict:
                    raise
                skipped.append(f"{sample_id}: {err}")
                continue
            mismatches.extend(mism)
            pending.append((p, s, gaze, counts, raw_motion, str(motion_path)))
    rate = None
    with_motion = [(x[3], x[4]) for x in pending if x[4] is not None]  # (gaze counts, raw motion)
    if with_motion:
        groups = [g for g in _EYE_GROUPS if g in gaze_features] or list(gaze_features)
        rate = infer_motion_rate_hz(
            [max(counts[g] for g in groups) for counts, _ in with_motion],
            [raw.shape[0] for _, raw in with_motion],
        )
    samples = []
    for p, s, gaze, counts, raw_motion, motion_source in pending:
        motion = None
        if raw_motion is not None:
            duration_s = raw_motion.shape[0] / rate
            motion = Motion(
                values=resample_normalised(raw_motion, num_steps).astype(np.float32),
                feature_names=names,
                rate_hz=num_steps / duration_s,
                source=motion_source,
            )
        score = float(scores[s - 1, p - 1])
        action_id = (s - 1) // 4
        samples.append(
            SoccerSample(
                player=p,
                sample_index=s,
                action_id=action_id,
                action_name=SOCCER_ACTIONS[action_id],
                score=score,
                label=int(score > EXPERT_THRESHOLD),
                gaze=gaze,
                gaze_channel_names=tuple(gaze_features),
                motion=motion,
                gaze_counts=counts,
                motion_rows=None if raw_motion is None else int(raw_motion.shape[0]),
            )
        )
    mirrored = tuple(p for p in chosen if mirror_left_footed and load_motion and p in LEFT_FOOTED_PLAYERS)
    return SoccerDataset(
        root=root,
        num_steps=num_steps,
        samples=samples,
        motion_feature_names=names,
        motion_rate_hz=rate,
        mirrored_players=mirrored,
        missing_motion=missing,
        count_mismatches=mismatches,
        skipped=skipped,
    )
