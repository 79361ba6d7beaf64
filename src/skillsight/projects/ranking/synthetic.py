"""Synthetic pairwise-skill videos in the EPIC-Skills layout (so the real reader is exercised).

Each video shows a hand-like blob tracing a circle printed faintly on a sheet of paper, leaving an
ink trail. Skill ``s`` in [0, 1] controls the drawing: a skilled hand is faster (more of the circle
covered), smoother (less tremor) and more accurate (the trail stays on the printed circle). A second,
identical-looking blob moves elsewhere on a textured background with speed and tremor drawn
independently of skill, so motion energy pooled over the whole frame is confounded and looking at
the paper (the skill-relevant region) pays.

Written layout::

    <out>/videos/<id>.mp4
    <out>/annotations/<task>_gt.csv                 Vid1,Vid2,Best,   (trailing commas, CRLF)
    <out>/annotations/splits/<task>_{train,val}_<k>.csv   Better,Worse,   k = 1..4
    <out>/annotations/<task>_similar.csv            Vid1,Vid2,  pairs with |skill gap| <= similar_max_gap
    <out>/synthetic_meta.json                       skill, paper box (x0, y0, x1, y1) px per video

Folds: videos are dealt into 4 groups; fold k validates on every pair that involves a video of
group k and trains on the pairs that involve none, so no validation video is seen in training.
Only pairs whose skill gap is at least ``min_skill_gap`` are annotated as ranked; pairs whose gap is
at most ``similar_max_gap`` are listed as equally skilled (for the similarity loss of Doughty et
al. 2018; the pipeline keeps, per fold, only those between training videos).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillsight.exceptions import ConfigError
from skillsight.projects.ranking.pairs import NUM_FOLDS, SimilarPair, SkillPair

__all__ = ["SyntheticPairsSet", "region_mask", "render_drawing_video", "write_synthetic_pairs"]

_SKIN = np.array([225.0, 172.0, 140.0])
_PAPER = np.array([236.0, 232.0, 220.0])
_TEMPLATE = np.array([200.0, 196.0, 186.0])
_INK = np.array([40.0, 50.0, 120.0])
_SUBSTEPS = 4


@dataclass
class SyntheticPairsSet:
    """Where a synthetic set was written and what it holds."""

    root: Path
    task: str
    annotation_dir: Path
    video_dir: Path
    skills: dict[str, float]
    regions_xyxy_px: dict[str, tuple[int, int, int, int]]
    gt: list[SkillPair]
    similar: list[SimilarPair]
    similar_file: Path


def _disc(points: np.ndarray, size: int, radius: float) -> np.ndarray:
    """Soft discs at points (M, 2) (x, y) px -> coverage (M, size, size) in [0, 1]."""
    grid = np.arange(size, dtype=np.float64) + 0.5
    d = np.sqrt(
        (grid[None, None, :] - points[:, 0, None, None]) ** 2
        + (grid[None, :, None] - points[:, 1, None, None]) ** 2
    )  # (M, S, S)
    return np.clip(radius + 0.5 - d, 0.0, 1.0)


def _smooth_noise(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    """(n, 2) tremor: white noise lightly smoothed over 2 steps, std about ``scale`` px."""
    raw = rng.normal(0.0, 1.0, size=(n + 1, 2))
    return scale * (raw[1:] + raw[:-1]) / np.sqrt(2.0)


def render_drawing_video(
    skill: float, n_frames: int, size: int, rng: np.random.Generator, paper_cell: int, distractor_cell: int
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Render one video.

    Args:
        skill: s in [0, 1] (1 = expert).
        n_frames: T.
        size: S, square frame side in pixels (even).
        rng: random generator (background, tremor, distractor).
        paper_cell / distractor_cell: quadrant (0..3, row-major) holding the paper / the distractor.

    Returns:
        ((T, S, S, 3) uint8 frames, paper box (x0, y0, x1, y1) in pixels, x1/y1 exclusive).
    """
    if not 0.0 <= skill <= 1.0:
        raise ConfigError(f"skill must be in [0, 1], got {skill}")
    half = size // 2
    margin = max(1, size // 32)

    def cell_origin(cell: int) -> np.ndarray:
        return np.array([(cell % 2) * half, (cell // 2) * half], dtype=np.float64)  # (x, y)

    x0, y0 = (cell_origin(paper_cell) + margin).astype(int)
    box = (int(x0), int(y0), int(x0 + half - 2 * margin), int(y0 + half - 2 * margin))
    centre = np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])
    radius = 0.3 * (half - 2 * margin)
    unskill = 1.0 - skill

    # Hand: angle advances 0.5 (novice) .. 1.0 (expert) turns; radius wobbles; tremor on top.
    steps = n_frames * _SUBSTEPS
    phase = rng.uniform(0.0, 2.0 * np.pi)
    u = np.arange(steps) / (steps - 1)
    theta = phase + 2.0 * np.pi * (0.5 + 0.5 * skill) * u
    wobble = 1.0 + 0.35 * unskill * np.sin(3.0 * theta + rng.uniform(0.0, 2.0 * np.pi))
    tremor = np.repeat(_smooth_noise(rng, n_frames, 0.09 * half * unskill), _SUBSTEPS, axis=0)
    path = (
        centre + radius * wobble[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1) + tremor
    )  # (steps, 2)

    # Distractor: Lissajous loop in its own cell, speed and tremor independent of skill.
    d_centre = cell_origin(distractor_cell) + half / 2.0
    d_speed = rng.uniform(0.5, 1.0)
    t = np.arange(n_frames) / max(n_frames - 1, 1)
    d_theta = rng.uniform(0, 2 * np.pi) + 2.0 * np.pi * d_speed * t
    d_path = d_centre + 0.3 * half * np.stack([np.cos(d_theta), np.sin(2.0 * d_theta)], 1)
    d_path += _smooth_noise(rng, n_frames, 0.09 * half * rng.uniform(0.0, 1.0))

    # Static scene: textured background, paper, faint printed circle.
    background = 110.0 + 25.0 * rng.random((size, size, 1)) + rng.uniform(-20, 20, size=(1, 1, 3))
    scene = np.broadcast_to(background, (size, size, 3)).copy()
    scene[box[1] : box[3], box[0] : box[2]] = _PAPER
    grid = np.arange(size) + 0.5
    ring_d = np.abs(np.hypot(grid[None, :] - centre[0], grid[:, None] - centre[1]) - radius)  # (S, S)
    ring = np.clip(1.0 - ring_d, 0.0, 1.0)[..., None] * _inside(box, size)[..., None]
    scene = scene * (1 - ring) + _TEMPLATE * ring

    # Ink: a pixel turns to ink from the first frame the pen passes within 0.8 px of it.
    pen = _disc(path, size, 0.8) > 0.5  # (steps, S, S)
    first_step = np.where(pen.any(0), pen.argmax(0), steps)  # (S, S)
    frame_of_pixel = first_step // _SUBSTEPS
    ink = (frame_of_pixel[None] <= np.arange(n_frames)[:, None, None]).astype(np.float64)  # (T, S, S)
    frames = scene[None] * (1 - ink[..., None]) + _INK * ink[..., None]  # (T, S, S, 3)

    hand_pos = path[_SUBSTEPS - 1 :: _SUBSTEPS] + np.array([0.35, 0.35]) * radius / 3.0  # hand beside the pen
    blob_r = half / 10.0
    for pos in (hand_pos, d_path):
        cover = _disc(pos, size, blob_r)[..., None]  # (T, S, S, 1)
        frames = frames * (1 - cover) + _SKIN * cover
    return np.clip(np.rint(frames), 0, 255).astype(np.uint8), box


def _inside(box: tuple[int, int, int, int], size: int) -> np.ndarray:
    mask = np.zeros((size, size))
    mask[box[1] : box[3], box[0] : box[2]] = 1.0
    return mask


def region_mask(
    box_xyxy_px: tuple[int, int, int, int], frame_size: int, grid_hw: tuple[int, int]
) -> np.ndarray:
    """Attention-grid cells whose centre lies in a box: (h, w) bool.

    Cell (i, j) of an (h, w) grid over an S x S frame has its centre at ((j + 0.5) S / w, (i + 0.5) S / h).
    """
    h, w = grid_hw
    cy = (np.arange(h) + 0.5) * frame_size / h
    cx = (np.arange(w) + 0.5) * frame_size / w
    x0, y0, x1, y1 = box_xyxy_px
    return ((cy >= y0) & (cy < y1))[:, None] & ((cx >= x0) & (cx < x1))[None, :]


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and a rename, so a killed run never leaves half a CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(text.encode("utf-8"))
    tmp.replace(path)


def _csv(header: str, rows: list[str]) -> str:
    """EPIC-Skills style: trailing comma on every line, CRLF line endings."""
    return "".join(f"{line}\r\n" for line in [header + ","] + [r + "," for r in rows])


def write_synthetic_pairs(
    out_dir: str | Path,
    n_videos: int = 24,
    n_frames: int = 40,
    size: int = 64,
    fps: float = 10.0,
    min_skill_gap: float = 0.15,
    max_pairs: int | None = None,
    task: str = "synthetic_drawing",
    seed: int = 0,
    similar_max_gap: float | None = None,
) -> SyntheticPairsSet:
    """Render ``n_videos`` videos and write them with EPIC-Skills annotations and 4 folds.

    Args:
        out_dir: output folder (created).
        n_videos: number of videos (>= 8, so every fold has training pairs).
        n_frames: frames per video.
        size: frame side in pixels (even, >= 32).
        fps: frame rate of the mp4 files.
        min_skill_gap: pairs need |s_a - s_b| >= this to be annotated.
        similar_max_gap: pairs with |s_a - s_b| <= this go to ``<task>_similar.csv`` (must be below
            ``min_skill_gap``; 0 writes an empty file; None: ``min(0.05, min_skill_gap / 3)``).
        max_pairs: keep at most this many gt pairs (random subset), None for all.
        task: file prefix of the annotation files.
        seed: makes the whole set reproducible.
    """
    from skillsight.data.readers.video import write_video

    if n_videos < 8 or size < 32 or size % 2 or n_frames < 2:
        raise ConfigError(
            f"synthetic pairs need n_videos >= 8, even size >= 32, n_frames >= 2; got "
            f"{n_videos}, {size}, {n_frames}"
        )
    if similar_max_gap is None:
        similar_max_gap = min(0.05, min_skill_gap / 3.0)
    if not 0.0 <= similar_max_gap < min_skill_gap:
        raise ConfigError(
            f"similar_max_gap must be in [0, min_skill_gap={min_skill_gap}), got {similar_max_gap}"
        )
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    video_dir, ann_dir = out / "videos", out / "annotations"
    ids = [f"S{i:03d}" for i in range(n_videos)]
    skill_values = rng.permutation((np.arange(n_videos) + rng.uniform(0.2, 0.8, n_videos)) / n_videos)
    skills = {vid: float(s) for vid, s in zip(ids, skill_values)}
    regions: dict[str, tuple[int, int, int, int]] = {}
    for vid in ids:
        paper, distractor = rng.choice(4, size=2, replace=False)
        frames, box = render_drawing_video(skills[vid], n_frames, size, rng, int(paper), int(distractor))
        write_video(video_dir / f"{vid}.mp4", frames, fps)
        regions[vid] = box

    a, b = np.triu_indices(n_videos, k=1)
    s = skill_values
    close = np.abs(s[a] - s[b]) <= similar_max_gap
    similar = [SimilarPair(ids[i], ids[j]) for i, j in zip(a[close], b[close])]
    similar_file = ann_dir / f"{task}_similar.csv"
    _write_text(similar_file, _csv("Vid1,Vid2", [f"{p.first},{p.second}" for p in similar]))
    keep = np.abs(s[a] - s[b]) >= min_skill_gap
    a, b = a[keep], b[keep]
    if max_pairs is not None and len(a) > max_pairs:
        pick = np.sort(rng.choice(len(a), size=max_pairs, replace=False))
        a, b = a[pick], b[pick]
    swap = rng.random(len(a)) < 0.5  # Vid1/Vid2 order carries no information
    vid1, vid2 = np.where(swap, b, a), np.where(swap, a, b)
    best = np.where(s[vid1] > s[vid2], vid1, vid2)
    worse = np.where(best == vid1, vid2, vid1)
    gt = [SkillPair(ids[i], ids[j]) for i, j in zip(best, worse)]
    _write_text(
        ann_dir / f"{task}_gt.csv",
        _csv("Vid1,Vid2,Best", [f"{ids[i]},{ids[j]},{ids[k]}" for i, j, k in zip(vid1, vid2, best)]),
    )

    group = np.empty(n_videos, dtype=int)
    group[rng.permutation(n_videos)] = np.arange(n_videos) % NUM_FOLDS
    for k in range(1, NUM_FOLDS + 1):
        touches = (group[best] == k - 1) | (group[worse] == k - 1)
        for split, mask in (("train", ~touches), ("val", touches)):
            rows = [f"{ids[i]},{ids[j]}" for i, j in zip(best[mask], worse[mask])]
            _write_text(ann_dir / "splits" / f"{task}_{split}_{k}.csv", _csv("Better,Worse", rows))
    meta = {
        "task": task,
        "frame_size_px": size,
        "n_frames": n_frames,
        "fps": fps,
        "seed": seed,
        "similar_max_gap": similar_max_gap,
        "videos": {vid: {"skill": skills[vid], "paper_xyxy_px": list(regions[vid])} for vid in ids},
    }
    _write_text(out / "synthetic_meta.json", json.dumps(meta, indent=2))
    return SyntheticPairsSet(
        root=out,
        task=task,
        annotation_dir=ann_dir,
        video_dir=video_dir,
        skills=skills,
        regions_xyxy_px=regions,
        gt=gt,
        similar=similar,
        similar_file=similar_file,
    )
