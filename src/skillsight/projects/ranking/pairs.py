"""EPIC-Skills pairwise annotations (Doughty et al. 2018) and the video files they name.

Layout of one task (the real release nests splits in ``splits/``; both places are accepted)::

    <annotation_dir>/<task>_gt.csv                 Vid1,Vid2,Best    (some tasks say Better)
    <annotation_dir>[/splits]/<task>_train_<k>.csv Better,Worse      k = 1..4 (4-fold CV)
    <annotation_dir>[/splits]/<task>_val_<k>.csv   Better,Worse

Pairs judged to show *no* skill difference, which Doughty et al. 2018 train with a similarity loss,
are not part of the public release; when a user has them they go in a ``Vid1,Vid2`` file read by
:func:`read_similar_csv` (the synthetic generator writes ``<task>_similar.csv``).

``Best``/``Better`` in the gt file holds the id of the better video of the pair. The real files end
lines with a trailing comma on some rows and not on others, and use CRLF line endings; both are
accepted. Anything else (another header, a missing or extra field, an empty id, a Best naming
neither video, a video paired with itself, a blank line inside the file) raises a
:class:`DataFormatError` naming the file, line, field and value.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from skillsight.exceptions import ConfigError, DataFormatError

__all__ = [
    "NUM_FOLDS",
    "PairAnnotations",
    "SimilarPair",
    "SkillPair",
    "VideoIndex",
    "filter_pairs",
    "load_epic_skills",
    "read_gt_csv",
    "read_similar_csv",
    "read_split_csv",
    "resolve_videos",
    "similar_pairs_for_training",
]

NUM_FOLDS = 4
_GT_HEADERS = (("Vid1", "Vid2", "Best"), ("Vid1", "Vid2", "Better"))
_SPLIT_HEADER = ("Better", "Worse")
_SIMILAR_HEADER = ("Vid1", "Vid2")


@dataclass(frozen=True)
class SkillPair:
    """One annotated pair with a skill difference: ``better`` was judged more skilled than ``worse``."""

    better: str
    worse: str


@dataclass(frozen=True)
class SimilarPair:
    """Two videos annotated as showing the same skill (no preference)."""

    first: str
    second: str


@dataclass
class PairAnnotations:
    """All annotations of one task.

    Attributes:
        task: task name (file prefix, e.g. "chopstick_using").
        gt: every annotated pair of ``<task>_gt.csv``.
        folds: fold k (1..4) -> (train pairs, val pairs).
    """

    task: str
    gt: list[SkillPair]
    folds: dict[int, tuple[list[SkillPair], list[SkillPair]]] = field(default_factory=dict)

    def video_ids(self) -> list[str]:
        """Sorted ids of every video named in gt or any split."""
        pairs: list[SkillPair] = list(self.gt)
        for train, val in self.folds.values():
            pairs += train + val
        return sorted({p.better for p in pairs} | {p.worse for p in pairs})


@dataclass
class VideoIndex:
    """Video id -> file, and the ids that have no file."""

    paths: dict[str, Path]
    missing: list[str]


def _rows(
    path: Path, headers: Sequence[tuple[str, ...]]
) -> tuple[tuple[str, ...], list[tuple[int, list[str]]]]:
    """Parse a small comma-separated file: returns (header, [(line number, fields)])."""
    if not path.is_file():
        raise FileNotFoundError(f"annotation file {path} does not exist")
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise DataFormatError(path, "", err.object[err.start : err.end], "file is not UTF-8 text") from err
    lines = text.splitlines()  # handles CRLF, LF and CR
    while lines and not lines[-1].strip():
        lines.pop()  # blank lines at the end only
    if not lines:
        raise DataFormatError(path, "", "", "file is empty")
    width = len(headers[0])

    def split(lineno: int, line: str) -> list[str]:
        fields = line.split(",")
        if len(fields) == width + 1 and fields[-1] == "":
            fields = fields[:-1]  # trailing comma (real EPIC-Skills files)
        if len(fields) != width:
            raise DataFormatError(f"{path}:{lineno}", "", line, f"expected {width} comma-separated fields")
        return fields

    header = tuple(lines[0].split(","))
    header = header[:-1] if len(header) == width + 1 and header[-1] == "" else header
    if header not in headers:
        valid = " or ".join(",".join(h) for h in headers)
        raise DataFormatError(f"{path}:1", "header", lines[0], f"expected header {valid}")
    rows = []
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            raise DataFormatError(f"{path}:{lineno}", "", line, "blank line inside the file")
        fields = split(lineno, line)
        for name, value in zip(header, fields):
            if not value or value != value.strip() or " " in value:
                raise DataFormatError(f"{path}:{lineno}", name, value, "video id is empty or has whitespace")
            if "/" in value or "\\" in value or value in (".", ".."):
                raise DataFormatError(
                    f"{path}:{lineno}",
                    name,
                    value,
                    "video id is a path (has '/', '\\' or '..'): ids name files",
                )
        rows.append((lineno, fields))
    return header, rows


def read_gt_csv(path: str | Path) -> list[SkillPair]:
    """Read ``<task>_gt.csv`` (Vid1,Vid2,Best or Vid1,Vid2,Better).

    Returns:
        One :class:`SkillPair` per row, in file order (duplicate rows are kept, as annotated).
    """
    path = Path(path)
    header, rows = _rows(path, _GT_HEADERS)
    pairs = []
    for lineno, (vid1, vid2, best) in rows:
        if vid1 == vid2:
            raise DataFormatError(f"{path}:{lineno}", "Vid2", vid2, "video paired with itself")
        if best not in (vid1, vid2):
            raise DataFormatError(
                f"{path}:{lineno}", header[2], best, f"names neither Vid1 {vid1!r} nor Vid2 {vid2!r}"
            )
        pairs.append(SkillPair(better=best, worse=vid2 if best == vid1 else vid1))
    return pairs


def read_split_csv(path: str | Path) -> list[SkillPair]:
    """Read a ``<task>_{train,val}_<k>.csv`` split file (Better,Worse)."""
    path = Path(path)
    _, rows = _rows(path, (_SPLIT_HEADER,))
    pairs = []
    for lineno, (better, worse) in rows:
        if better == worse:
            raise DataFormatError(f"{path}:{lineno}", "Worse", worse, "video paired with itself")
        pairs.append(SkillPair(better=better, worse=worse))
    return pairs


def read_similar_csv(path: str | Path) -> list[SimilarPair]:
    """Read a ``Vid1,Vid2`` file of equally skilled pairs (same rules as the EPIC-Skills files)."""
    path = Path(path)
    _, rows = _rows(path, (_SIMILAR_HEADER,))
    pairs = []
    for lineno, (vid1, vid2) in rows:
        if vid1 == vid2:
            raise DataFormatError(f"{path}:{lineno}", "Vid2", vid2, "video paired with itself")
        pairs.append(SimilarPair(first=vid1, second=vid2))
    return pairs


def similar_pairs_for_training(
    similar: Sequence[SimilarPair], train: Sequence[SkillPair]
) -> tuple[list[SimilarPair], int]:
    """The similar pairs a fold may train on: both videos appear in its training pairs (a video the fold
    never trains on, e.g. one held out for validation, stays unseen). Returns (kept pairs, number dropped)."""
    train_videos = {v for p in train for v in (p.better, p.worse)}
    kept = [p for p in similar if p.first in train_videos and p.second in train_videos]
    return kept, len(similar) - len(kept)


def _find(annotation_dir: Path, name: str) -> Path:
    for candidate in (annotation_dir / name, annotation_dir / "splits" / name):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{name} is neither in {annotation_dir} nor in {annotation_dir / 'splits'}")


def load_epic_skills(
    annotation_dir: str | Path, task: str, folds: Iterable[int] = range(1, NUM_FOLDS + 1)
) -> PairAnnotations:
    """Read the gt file and the train/val split of each fold of one task.

    Args:
        annotation_dir: folder holding ``<task>_gt.csv`` (splits beside it or in ``splits/``).
        task: file prefix, e.g. "chopstick_using".
        folds: which folds to read (1..4).
    """
    annotation_dir = Path(annotation_dir)
    if not annotation_dir.is_dir():
        raise FileNotFoundError(f"annotation folder {annotation_dir} does not exist")
    out = PairAnnotations(task=task, gt=read_gt_csv(_find(annotation_dir, f"{task}_gt.csv")))
    for k in folds:
        if not 1 <= int(k) <= NUM_FOLDS:
            raise ConfigError(f"fold {k!r} requested; EPIC-Skills folds are numbered 1..{NUM_FOLDS}")
        train = read_split_csv(_find(annotation_dir, f"{task}_train_{k}.csv"))
        val = read_split_csv(_find(annotation_dir, f"{task}_val_{k}.csv"))
        out.folds[int(k)] = (train, val)
    return out


def resolve_videos(
    video_ids: Iterable[str],
    root: str | Path,
    pattern: str = "{id}.mp4",
    on_missing: Literal["skip", "error"] = "skip",
) -> VideoIndex:
    """Map video ids to files under ``root``.

    Args:
        video_ids: ids from the annotations.
        root: folder of the videos.
        pattern: file name relative to ``root``; ``{id}`` is replaced by the id and glob wildcards
            are allowed (e.g. ``"Suturing_{id}_capture2.avi"`` or ``"*/{id}.mp4"``).
        on_missing: "skip" lists ids without a file in ``missing``; "error" raises on the first one.

    Raises:
        DataFormatError: a pattern matching several files, or a missing file with ``on_missing="error"``.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"video folder {root} does not exist")
    if "{id}" not in pattern:
        raise DataFormatError("pattern", "pattern", pattern, "video file pattern must contain {id}")
    paths: dict[str, Path] = {}
    missing: list[str] = []
    for vid in sorted(set(video_ids)):
        if "/" in vid or "\\" in vid or vid in (".", ".."):
            raise DataFormatError(
                root, "video_id", vid, "video id is a path (has '/', '\\' or '..'): ids name files"
            )
        name = pattern.replace("{id}", glob.escape(vid))
        matches = sorted(root.glob(name))
        if len(matches) > 1:
            raise DataFormatError(root / name, "video_id", vid, f"pattern matches {len(matches)} files")
        if matches and not _inside(matches[0], root):
            raise DataFormatError(matches[0], "video_id", vid, f"the pattern resolves outside {root}")
        if matches:
            paths[vid] = matches[0]
        elif on_missing == "error":
            raise DataFormatError(root / name, "video_id", vid, "no video file for this id")
        else:
            missing.append(vid)
    return VideoIndex(paths=paths, missing=missing)


def _inside(path: Path, root: Path) -> bool:
    """Lexically inside ``root`` (no '..' after normalising; symlinked data folders stay usable)."""
    import os

    rel = os.path.relpath(os.path.normpath(path), os.path.normpath(root))
    return rel != ".." and not rel.startswith(".." + os.sep) and not os.path.isabs(rel)


def filter_pairs(pairs: Sequence[SkillPair], available: Iterable[str]) -> tuple[list[SkillPair], int]:
    """Keep the pairs whose two videos are available; returns (kept pairs, number dropped)."""
    have = set(available)
    kept = [p for p in pairs if p.better in have and p.worse in have]
    return kept, len(pairs) - len(kept)
