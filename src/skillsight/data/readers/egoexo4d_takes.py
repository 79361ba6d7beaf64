"""Scan an Ego-Exo4D proficiency dataset into :class:`~skillsight.data.records.Take` records.

Layout under ``root`` (REFERENCE.md section 3)::

    takes.json
    annotations/proficiency_demonstrator_{train,val,test}.json
    <root_dir>/frame_aligned_videos/downscaled/448/<cam video>.mp4   (root_dir from takes.json)
    <root_dir>/eye_gaze/{general,personalized}_eye_gaze.csv and ..._eye_gaze_2d.csv
    <root_dir>/trajectory/closed_loop_trajectory.csv
    <root_dir>/device_calibration.json          (synthetic data; real takes keep it in the VRS file)

Cameras are discovered per take: ``capture.cameras[]`` says which camera is ego (``is_ego``, which real
files store as a bool or the string "true"; ties broken by ``device_type``/name containing "aria"), and
``frame_aligned_videos[cam][stream].relative_path`` names each video (ego stream ``rgb``, exo stream ``0``,
or the only stream). When takes.json has no ``frame_aligned_videos``, the annotation's ``video_paths``
(``ego``, ``exo1``..) are used instead.

Bad metadata (unknown label or scenario) raises :class:`DataFormatError`; takes whose files are missing
are skipped, each with a reason, and counted by :meth:`TakeScan.summary`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from skillsight.data.readers.egoexo4d_annotations import (
    label_from_score,
    read_annotations,
    read_takes_json,
    scenario_from_name,
)
from skillsight.data.records import Take
from skillsight.exceptions import DataFormatError, SplitLeakageError

__all__ = [
    "CALIBRATION_CANDIDATES",
    "REQUIREMENTS",
    "SPLITS",
    "TakeScan",
    "annotation_path",
    "check_split_leakage",
    "load_takes",
]

SPLITS: tuple[str, ...] = ("train", "val", "test")
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
    """

    takes: list[Take] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    missing_splits: list[str] = field(default_factory=list)

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
        return "\n".join(lines)


def annotation_path(root: str | Path, split: str) -> Path:
    """``<root>/annotations/proficiency_demonstrator_<split>.json``."""
    return Path(root) / "annotations" / f"proficiency_demonstrator_{split}.json"


def _is_true(value: object) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _take_dir(root: Path, take: dict) -> Path:
    """Take folder: ``root/root_dir`` (v2 takes.json: "takes/<name>") or ``root/takes/root_dir``."""
    direct = root / take["root_dir"]
    if direct.is_dir():
        return direct
    nested = root / "takes" / take["root_dir"]
    return nested if nested.is_dir() else direct


def _pick_stream(streams: dict, preferred: str) -> dict | None:
    if preferred in streams and isinstance(streams[preferred], dict):
        return streams[preferred]
    usable = [s for s in streams.values() if isinstance(s, dict) and s.get("relative_path")]
    return usable[0] if len(usable) == 1 else None


def _discover_cameras(take: dict, record: dict, source: str) -> tuple[str | None, dict[str, str]]:
    """Return (ego cam id or None, {cam id: video file name}) from takes.json, else the annotation record."""
    cameras = (take.get("capture") or {}).get("cameras") or []
    info = {c["cam_id"]: c for c in cameras if isinstance(c, dict) and isinstance(c.get("cam_id"), str)}
    videos = take.get("frame_aligned_videos")
    names: dict[str, str] = {}
    if isinstance(videos, dict) and videos:
        for cam, streams in videos.items():
            if info and cam not in info:
                continue  # e.g. "collage": not a camera of the capture
            if not isinstance(streams, dict):
                continue
            stream = _pick_stream(streams, "rgb" if _is_true(info.get(cam, {}).get("is_ego")) else "0")
            if stream and stream.get("relative_path"):
                names[cam] = PurePosixPath(stream["relative_path"]).name
    else:
        paths = record.get("video_paths") or {}
        if not isinstance(paths, dict):
            raise DataFormatError(source, "video_paths", paths, "expected an object {ego, exo1, ...}")
        for key, rel in paths.items():
            if isinstance(rel, str) and rel:
                name = PurePosixPath(rel).name
                cam = name.rsplit(".", 1)[0].split("_", 1)[0]
                names[cam] = name
                if key == "ego" and cam not in info:
                    info[cam] = {"cam_id": cam, "is_ego": True}
    ego = [c for c in names if _is_true(info.get(c, {}).get("is_ego"))]
    if len(ego) > 1:
        aria = [c for c in ego if "aria" in (str(info[c].get("device_type", "")) + c).lower()]
        ego = aria if len(aria) == 1 else ego
    return (ego[0] if len(ego) == 1 else None), names


def _first_existing(folder: Path, candidates: Iterable[str]) -> Path | None:
    for rel in candidates:
        if (folder / rel).is_file():
            return folder / rel
    return None


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
        records += [(split, path, rec) for rec in read_annotations(path)]
    if len(scan.missing_splits) == len(splits):
        raise FileNotFoundError(
            f"{root / 'annotations'}: no proficiency_demonstrator_<split>.json for {list(splits)}"
        )
    if check_leakage:
        _raise_on_leakage((rec["take_uid"], split, str(path)) for split, path, rec in records)
    for split, path, rec in records:
        take = _build_take(root, split, path, rec, takes_meta, require, gaze_kind, scan)
        if take is not None:
            scan.takes.append(take)
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
    uid = rec["take_uid"]
    where = f"{path} (take {uid})"
    name = rec.get("scenario_name", takes_meta.get(uid, {}).get("parent_task_name"))
    scenario = scenario_from_name(name, path, uid)
    score = rec.get("proficiency_score")
    if score is None and split != "test":
        raise DataFormatError(where, "proficiency_score", score, f"missing label in the {split!r} split")
    label = None if score is None else label_from_score(score, path, uid)

    def skip(reason: str) -> None:
        scan.skipped.append((uid, reason))

    take = takes_meta.get(uid)
    if take is None:
        return skip("not in takes.json: annotation record has no matching take")
    folder = _take_dir(root, take)
    ego, names = _discover_cameras(take, rec, where)
    if ego is None:
        return skip(f"no ego camera: cameras {sorted(names)}")
    videos = {cam: folder / DOWNSCALED_DIR / name for cam, name in names.items()}
    if ("video" in require or "exo" in require) and not videos[ego].is_file():
        return skip(f"missing video: {videos[ego]}")
    exo_missing = [cam for cam in videos if cam != ego and not videos[cam].is_file()]
    if exo_missing and "exo" in require:
        return skip(f"missing exo video: {', '.join(sorted(exo_missing))}")
    if "exo" in require and len(videos) < 2:
        return skip("no exo camera: takes.json lists none")
    for cam in exo_missing:
        scan.notes.append((uid, f"exo view dropped (file missing): {cam}"))
        del videos[cam]
    if not videos[ego].is_file():
        del videos[ego]

    gaze_dir = folder / "eye_gaze"
    gaze = gaze_dir / f"{gaze_kind}_eye_gaze.csv"
    gaze2d = gaze_dir / f"{gaze_kind}_eye_gaze_2d.csv"
    flag = take.get("has_trimmed_eye_gaze", take.get("has_trimmed_gaze"))
    if "gaze" in require and flag is not None and not _is_true(flag) and flag != 1:
        return skip("no gaze: takes.json gaze flag is false")
    if "gaze" in require and not gaze.is_file():
        return skip(f"missing gaze: {gaze}")
    if "gaze2d" in require and not gaze2d.is_file():
        return skip(f"missing 2D gaze: {gaze2d}")
    trajectory = folder / "trajectory" / "closed_loop_trajectory.csv"
    if "trajectory" in require and not trajectory.is_file():
        return skip(f"missing trajectory: {trajectory}")
    calibration = _first_existing(folder, CALIBRATION_CANDIDATES)
    if "calibration" in require and calibration is None:
        return skip(f"missing calibration: none of {list(CALIBRATION_CANDIDATES)} in {folder}")
    if "label" in require and label is None:
        return skip("unlabelled: no proficiency_score")
    return Take(
        take_uid=uid,
        take_name=take["take_name"],
        scenario=scenario,
        task_name=str(rec.get("task_name", take.get("task_name", ""))),
        label=label,
        split=split,
        ego_camera=ego,
        video_paths=videos,
        gaze_path=gaze if gaze.is_file() else None,
        gaze2d_path=gaze2d if gaze2d.is_file() else None,
        trajectory_path=trajectory if trajectory.is_file() else None,
        calibration_path=calibration,
        duration_sec=float(take.get("duration_sec") or 0.0),
        participant_id=str(rec.get("origin_participant_id", take.get("participant_uid", ""))),
    )


def _raise_on_leakage(items: Iterable[tuple[str, str, str]]) -> None:
    first: dict[str, tuple[str, str]] = {}
    for uid, split, source in items:
        if uid in first and first[uid][0] != split:
            (split0, source0) = first[uid]
            raise SplitLeakageError(
                f"take {uid} is in two splits: {split0!r} ({source0}) and {split!r} ({source})"
            )
        first.setdefault(uid, (split, source))


def check_split_leakage(scan_or_takes: TakeScan | Sequence[Take]) -> None:
    """Raise :class:`SplitLeakageError` naming the take and both splits if a take is in two splits."""
    takes = scan_or_takes.takes if isinstance(scan_or_takes, TakeScan) else scan_or_takes
    _raise_on_leakage((t.take_uid, t.split, t.take_name) for t in takes)
