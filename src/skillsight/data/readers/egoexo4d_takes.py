"""Scan an Ego-Exo4D proficiency dataset into :class:`~skillsight.data.records.Take` records.

Layout under ``root`` (the Ego-Exo4D release)::

    takes.json
    annotations/proficiency_demonstrator_{train,val,test}.json
    <root_dir>/frame_aligned_videos/downscaled/448/<cam video>.mp4   (root_dir from takes.json)
    <root_dir>/eye_gaze/{general,personalized}_eye_gaze.csv and ..._eye_gaze_2d.csv
    <root_dir>/trajectory/closed_loop_trajectory.csv
    <root_dir>/device_calibration.json          (synthetic data; real takes keep it in the VRS file)

Which cameras a take has, which one is ego and which video file each has is decided by
:mod:`skillsight.data.readers.egoexo4d_cameras`.

Bad metadata (unknown label or scenario, a ``duration_sec`` that is not a number, a path that is not a
string or that leaves the dataset root: an absolute ``root_dir`` or one with ``..``) raises
:class:`DataFormatError`; takes whose files are missing are skipped, each with a reason, and counted
by :meth:`TakeScan.summary`. What is kept but worth knowing becomes a note: no ``duration_sec``
(the video's or the gaze's span is used), no ``task_name`` or participant id, a camera dropped
because its streams are ambiguous, an exo view without a file.

Video start on the device clock (the gaze/video timeline anchor): when takes.json gives
``timesync_start_idx`` and ``captures/<capture_name>/timesync.csv`` exists, frame 0 of the
frame-aligned videos is the ego camera's ``<cam>_<stream>_capture_timestamp_ns`` at row
``timesync_start_idx + 1`` (the row rule of the official Ego-Exo4D tutorial), stored as
``Take.video_start_us``; otherwise None (the dataset then anchors frame 0 at the first gaze sample).

Participant leakage: the same ``origin_participant_id`` in train and test (or val) is REPORTED
(:attr:`TakeScan.participant_overlaps`, printed by :meth:`TakeScan.format_summary`): the official
splits are by take, so it is not an error; a take in two splits is (:class:`SplitLeakageError`). Both
checks live in :mod:`skillsight.data.readers.egoexo4d_leakage`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from skillsight.data.readers.egoexo4d_annotations import (
    label_from_score,
    read_takes_json,
    scenario_from_name,
)
from skillsight.data.readers.egoexo4d_cameras import discover_cameras, inside_root, is_true
from skillsight.data.readers.egoexo4d_leakage import check_participant_leakage, raise_on_split_leakage
from skillsight.data.readers.egoexo4d_take_lists import read_split_records
from skillsight.data.readers.folder_listing import FolderListing
from skillsight.data.records import SPLITS, Take
from skillsight.data.scan_report import describe_missing
from skillsight.exceptions import DataFormatError

__all__ = [
    "CALIBRATION_CANDIDATES",
    "REQUIREMENTS",
    "TakeScan",
    "annotation_path",
    "load_takes",
]

#: What ``load_takes(require=...)`` can demand of a take; a take missing one is skipped.
REQUIREMENTS: tuple[str, ...] = ("gaze", "gaze2d", "video", "exo", "trajectory", "calibration", "label")
#: Where a take's device calibration JSON is looked for, relative to its folder (first hit wins).
CALIBRATION_CANDIDATES: tuple[str, ...] = ("device_calibration.json", "calibration/device_calibration.json")
DOWNSCALED_DIR = PurePosixPath("frame_aligned_videos/downscaled/448")


@dataclass
class TakeScan:
    """Result of :func:`load_takes`.

    Attributes:
        takes: takes that passed every requirement, in split then annotation-file order.
        skipped: (take_uid, reason) for every take left out; a reason reads ``"<category>: <detail>"``.
        notes: (take_uid, note) for things worth knowing that did not skip the take (e.g. a missing exo view).
        missing_splits: splits asked for whose annotation file does not exist.
        participant_overlaps: one line per participant found in more than one split of the kept
            takes ("<participant>: train 3, test 2 takes").
    """

    takes: list[Take] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    missing_splits: list[str] = field(default_factory=list)
    participant_overlaps: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        """Skip counts per reason category (the text before the first ``": "``)."""
        return dict(sorted(Counter(reason.split(": ", 1)[0] for _, reason in self.skipped).items()))

    def format_summary(self) -> str:
        """Human-readable report: kept takes per split, skips per reason, notes and missing splits."""
        per_split = Counter(t.split for t in self.takes)
        kept = ", ".join(f"{s}={n}" for s, n in sorted(per_split.items()))
        lines = [f"kept {len(self.takes)} takes ({kept})"]
        lines.append(f"skipped {len(self.skipped)} takes" + (":" if self.skipped else ""))
        lines += [f"  {n:5d}  {reason}" for reason, n in self.summary().items()]
        if self.notes:
            counts = Counter(note.split(": ", 1)[0] for _, note in self.notes)
            lines.append(f"notes on {len(self.notes)} takes:")
            lines += [f"  {n:5d}  {note}" for note, n in sorted(counts.items())]
        if self.missing_splits:
            lines.append("no annotation file for splits: " + ", ".join(self.missing_splits))
        if self.participant_overlaps:
            lines.append(
                f"participant leakage: {len(self.participant_overlaps)} participants appear in more than "
                "one split (takes are split, people are not: results on those splits are not "
                "person-independent):"
            )
            lines += [f"  {line}" for line in self.participant_overlaps[:20]]
            if len(self.participant_overlaps) > 20:
                lines.append(f"  ... and {len(self.participant_overlaps) - 20} more")
        return "\n".join(lines)


def annotation_path(root: str | Path, split: str) -> Path:
    """``<root>/annotations/proficiency_demonstrator_<split>.json``."""
    return Path(root) / "annotations" / f"proficiency_demonstrator_{split}.json"


def _take_dir(root: Path, take: dict, source: str) -> Path:
    """Take folder: ``root/root_dir`` (v2 takes.json: "takes/<name>") or ``root/takes/root_dir``."""
    rel = inside_root(source, "root_dir", take["root_dir"])
    direct = root / rel
    if direct.is_dir():
        return direct
    nested = root / "takes" / rel
    return nested if nested.is_dir() else direct


def load_takes(
    root: str | Path,
    splits: Sequence[str] = SPLITS,
    require: Sequence[str] = ("gaze", "video"),
    gaze_kind: str = "general",
    check_leakage: bool = True,
) -> TakeScan:
    """Scan annotations + takes.json + take folders into Take records.

    Args:
        root: dataset root (holds ``takes.json`` and ``annotations/``).
        splits: which annotation files to read; a missing file is listed in ``missing_splits``.
        require: files a take must have (see :data:`REQUIREMENTS`); others are skipped with a reason.
        gaze_kind: ``"general"`` or ``"personalized"`` (which ``*_eye_gaze*.csv`` files to use).
        check_leakage: raise :class:`SplitLeakageError` if one take is listed in two splits.

    Returns:
        TakeScan; paths point at the 448 px downscaled videos.

    Raises:
        FileNotFoundError: ``root/takes.json`` is missing, or none of the split files exists.
        DataFormatError: malformed files, unknown ``proficiency_score`` or ``scenario_name``, a labelled
            split (train/val) record without a label.
        SplitLeakageError: see ``check_leakage``.
    """
    root = Path(root)
    unknown = [r for r in require if r not in REQUIREMENTS]
    if unknown:
        raise DataFormatError(
            "load_takes(require=...)", "require", unknown[0], f"expected some of {list(REQUIREMENTS)}"
        )
    if gaze_kind not in ("general", "personalized"):
        raise DataFormatError(
            "load_takes(gaze_kind=...)", "gaze_kind", gaze_kind, "expected 'general' or 'personalized'"
        )
    takes_meta = read_takes_json(root / "takes.json")
    scan = TakeScan()
    records: list[tuple[str, Path, dict]] = []
    for split in splits:
        path = annotation_path(root, split)
        if not path.is_file():
            scan.missing_splits.append(split)
            continue
        records += [(split, path, rec) for rec in read_split_records(path, takes_meta, scan.skipped)]
    if len(scan.missing_splits) == len(splits):
        raise FileNotFoundError(
            f"{root / 'annotations'}: no proficiency_demonstrator_<split>.json for {list(splits)}"
        )
    if check_leakage:
        raise_on_split_leakage((rec["take_uid"], split, str(path)) for split, path, rec in records)
    for split, path, rec in records:
        take = _build_take(root, split, path, rec, takes_meta, require, gaze_kind, scan)
        if take is not None:
            scan.takes.append(take)
    scan.__dict__.pop(_TIMESYNC_CACHE_KEY, None)
    scan.participant_overlaps = check_participant_leakage(scan.takes)
    return scan


def _build_take(
    root: Path,
    split: str,
    path: Path,
    rec: dict,
    takes_meta: dict[str, dict],
    require: Sequence[str],
    gaze_kind: str,
    scan: TakeScan,
) -> Take | None:
    """One annotation record -> a Take, or None with its skip reason in ``scan.skipped``.

    Bad metadata raises (:class:`DataFormatError`); each check below names one reason to skip, in the
    order the reasons are checked: take listed, ego camera, videos, gaze, trajectory, calibration, label.
    """
    uid = rec["take_uid"]
    where = f"{path} (take {uid})"
    scenario, label = _annotated_scenario_and_label(rec, takes_meta, split, path)
    take = takes_meta.get(uid)
    if take is None:
        _skip(scan, uid, "not in takes.json: annotation record has no matching take")
        return None
    folder = _take_dir(root, take, f"{root / 'takes.json'} (take {uid})")
    listing = FolderListing(folder)  # each sub-folder listed once, not one check per file
    ego, videos = _camera_videos(take, rec, where, folder, uid, scan)
    if ego is None:
        _skip(scan, uid, f"no ego camera: cameras {sorted(videos)}")
        return None
    reason = _missing_videos(ego, videos, require, listing)
    if reason:
        _skip(scan, uid, reason)
        return None
    videos = _drop_missing_views(ego, videos, uid, scan, listing)
    files = _TakeFiles.locate(folder, gaze_kind, listing)
    reason = (
        _missing_gaze(take, files, require)
        or _missing_trajectory(files, require)
        or _missing_calibration(files, folder, require)
        or _missing_label(label, require)
    )
    if reason:
        _skip(scan, uid, reason)
        return None
    duration = _duration(take, f"{root / 'takes.json'} (take {uid})")
    if duration is None:
        scan.notes.append(
            (uid, "duration unknown: takes.json has no duration_sec (the video or gaze span is used)")
        )
    task_name = _task_name(rec, take, uid, scan)
    participant = _participant_id(rec, take, uid, scan)
    return Take(
        take_uid=uid,
        take_name=take["take_name"],
        scenario=scenario,
        task_name=task_name,
        label=label,
        split=split,
        ego_camera=ego,
        video_paths=videos,
        gaze_path=files.existing(files.gaze),
        gaze2d_path=files.existing(files.gaze2d),
        trajectory_path=files.existing(files.trajectory),
        calibration_path=files.calibration,
        duration_sec=duration,
        participant_id=participant,
        video_start_us=scan_video_start_us(root, take, ego, scan),
    )


def _skip(scan: TakeScan, uid: str, reason: str) -> None:
    """Count take ``uid`` as skipped for ``reason`` (``"<category>: <detail>"``)."""
    scan.skipped.append((uid, reason))


def _annotated_scenario_and_label(
    rec: dict, takes_meta: dict[str, dict], split: str, path: Path
) -> tuple[str, int | None]:
    """The record's scenario and class id (None: an unlabelled test record); unknown names or a missing label
    in a labelled split raise DataFormatError."""
    uid = rec["take_uid"]
    name = rec.get("scenario_name", takes_meta.get(uid, {}).get("parent_task_name"))
    scenario = scenario_from_name(name, path, uid)
    score = rec.get("proficiency_score")
    if score is None and split != "test":
        where = f"{path} (take {uid})"
        raise DataFormatError(where, "proficiency_score", score, f"missing label in the {split!r} split")
    return scenario, (None if score is None else label_from_score(score, path, uid))


def _camera_videos(
    take: dict, rec: dict, where: str, folder: Path, uid: str, scan: TakeScan
) -> tuple[str | None, dict[str, Path]]:
    """(ego camera or None, {camera: its downscaled video path}); dropped cameras become notes."""
    camera_notes: list[str] = []
    ego, names = discover_cameras(take, rec, where, camera_notes)
    scan.notes += [(uid, note) for note in camera_notes]
    return ego, {cam: folder / DOWNSCALED_DIR / name for cam, name in names.items()}


def _missing_videos(
    ego: str, videos: dict[str, Path], require: Sequence[str], listing: FolderListing
) -> str | None:
    """Skip reason when a required ego or exo video is missing (or no exo camera is listed)."""
    if ("video" in require or "exo" in require) and not listing.holds(videos[ego]):
        return f"missing video: {describe_missing(videos[ego], '*.mp4')}"
    if "exo" not in require:
        return None
    exo_missing = sorted(cam for cam in videos if cam != ego and not listing.holds(videos[cam]))
    if exo_missing:
        first = videos[exo_missing[0]]
        return f"missing exo video: {', '.join(exo_missing)} ({describe_missing(first, '*.mp4')})"
    return "no exo camera: takes.json lists none" if len(videos) < 2 else None


def _drop_missing_views(
    ego: str, videos: dict[str, Path], uid: str, scan: TakeScan, listing: FolderListing
) -> dict[str, Path]:
    """The videos whose files exist; each exo view dropped becomes a note (an absent ego video does not:
    the take was kept without requiring video)."""
    for cam in videos:
        if cam != ego and not listing.holds(videos[cam]):
            scan.notes.append((uid, f"exo view dropped (file missing): {cam}"))
    return {cam: video for cam, video in videos.items() if listing.holds(video)}


@dataclass(frozen=True)
class _TakeFiles:
    """Where a take's gaze, 2D gaze, trajectory and calibration files are (or would be)."""

    gaze: Path
    gaze2d: Path
    trajectory: Path
    calibration: Path | None  # the first of CALIBRATION_CANDIDATES that exists
    listing: FolderListing  # answers "is it there" for every file above

    @classmethod
    def locate(cls, folder: Path, gaze_kind: str, listing: FolderListing) -> _TakeFiles:
        gaze_dir = folder / "eye_gaze"
        return cls(
            gaze=gaze_dir / f"{gaze_kind}_eye_gaze.csv",
            gaze2d=gaze_dir / f"{gaze_kind}_eye_gaze_2d.csv",
            trajectory=folder / "trajectory" / "closed_loop_trajectory.csv",
            calibration=listing.first_file(CALIBRATION_CANDIDATES),
            listing=listing,
        )

    def has(self, path: Path) -> bool:
        """Whether ``path`` (one of the files above) is a regular file."""
        return self.listing.holds(path)

    def existing(self, path: Path) -> Path | None:
        """``path`` when it is a regular file, else None."""
        return path if self.has(path) else None


def _missing_gaze(take: dict, files: _TakeFiles, require: Sequence[str]) -> str | None:
    """Skip reason when required gaze is flagged absent in takes.json or its CSV is missing."""
    flag = take.get("has_trimmed_eye_gaze", take.get("has_trimmed_gaze"))
    if "gaze" in require and flag is not None and not is_true(flag) and flag != 1:
        return "no gaze: takes.json gaze flag is false"
    if "gaze" in require and not files.has(files.gaze):
        return f"missing gaze: {describe_missing(files.gaze, '*.csv')}"
    if "gaze2d" in require and not files.has(files.gaze2d):
        return f"missing 2D gaze: {describe_missing(files.gaze2d, '*.csv')}"
    return None


def _missing_trajectory(files: _TakeFiles, require: Sequence[str]) -> str | None:
    if "trajectory" in require and not files.has(files.trajectory):
        return f"missing trajectory: {describe_missing(files.trajectory, '*.csv')}"
    return None


def _missing_calibration(files: _TakeFiles, folder: Path, require: Sequence[str]) -> str | None:
    if "calibration" in require and files.calibration is None:
        return f"missing calibration: none of {list(CALIBRATION_CANDIDATES)} in {folder}"
    return None


def _missing_label(label: int | None, require: Sequence[str]) -> str | None:
    return "unlabelled: no proficiency_score" if "label" in require and label is None else None


def _task_name(rec: dict, take: dict, uid: str, scan: TakeScan) -> str:
    """The record's (else takes.json's) task name; none becomes "" with a note."""
    task_name = rec.get("task_name", take.get("task_name"))
    if not isinstance(task_name, str) or not task_name:
        scan.notes.append((uid, "no task_name: its sub-task (action) class is the empty name"))
        return ""
    return task_name


def _participant_id(rec: dict, take: dict, uid: str, scan: TakeScan) -> str:
    """The record's (else takes.json's) participant id; none becomes "" with a note."""
    participant = rec.get("origin_participant_id", take.get("participant_uid"))
    if participant is None or str(participant) == "":
        scan.notes.append((uid, "no participant id: participant leakage cannot be checked for it"))
        return ""
    return str(participant)


def _duration(take: dict, source: str) -> float | None:
    """``duration_sec`` as seconds >= 0, None when absent; anything else is an error."""
    value = take.get("duration_sec")
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise DataFormatError(source, "duration_sec", value, "expected a number of seconds") from None
    if isinstance(value, bool) or not math.isfinite(seconds) or seconds < 0:
        raise DataFormatError(source, "duration_sec", value, "expected a finite number of seconds >= 0")
    return seconds


_TIMESYNC_CACHE_KEY = "_timesync_columns"


def scan_video_start_us(root: Path, take: dict, ego: str, scan: TakeScan) -> int | None:
    """Device-clock time of frame 0 of the take's videos from the capture's timesync.csv, or None.

    See the module docstring; a malformed timesync file raises DataFormatError (file, line, field).
    """
    start_idx = take.get("timesync_start_idx")
    capture = (take.get("capture") or {}).get("capture_name") or re.sub(r"_\d+$", "", str(take["take_name"]))
    if not isinstance(start_idx, int) or isinstance(start_idx, bool) or start_idx < 0:
        return None
    path = (
        root
        / "captures"
        / inside_root(f"{root / 'takes.json'}", "capture.capture_name", capture)
        / "timesync.csv"
    )
    if not path.is_file():
        return None
    from skillsight.data.readers.aria_csv import read_csv_columns, read_csv_header

    streams = (take.get("frame_aligned_videos") or {}).get(ego) or {}
    rgb = streams.get("rgb") if isinstance(streams, dict) else None
    stem = PurePosixPath(str((rgb or {}).get("relative_path", f"{ego}_214-1.mp4"))).stem
    column = f"{stem}_capture_timestamp_ns"
    cache = scan.__dict__.setdefault(_TIMESYNC_CACHE_KEY, {})
    if (path, column) not in cache:
        if column not in read_csv_header(path):
            cache[(path, column)] = None
        else:
            cache[(path, column)] = read_csv_columns(path, [column], nullable_columns=[column])[column]
    values = cache[(path, column)]
    if values is None:
        scan.notes.append((take["take_uid"], f"timesync without {column}: video start anchored to the gaze"))
        return None
    row = start_idx + 1
    if row >= values.shape[0] or not np.isfinite(values[row]):
        reason = f"row {row} (timesync_start_idx + 1) is missing or empty ({values.shape[0]} rows)"
        raise DataFormatError(path, column, start_idx, reason)
    return round(float(values[row]) / 1000.0)
