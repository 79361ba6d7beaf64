"""Which cameras an Ego-Exo4D take has, which is ego, and the video file of each.

Cameras are discovered per take: ``capture.cameras[]`` says which camera is ego (``is_ego``, which real
files store as a bool or the string "true"; ties broken by ``device_type``/name containing "aria"), and
``frame_aligned_videos[cam][stream].relative_path`` names each video (ego stream ``rgb``, exo stream ``0``,
or the only stream). When takes.json has no ``frame_aligned_videos``, the annotation's ``video_paths``
(``ego``, ``exo1``..) are used instead.

Paths from takes.json must stay inside the dataset root (:func:`inside_root`): an absolute path or one
with ``..`` raises :class:`DataFormatError` naming the file, field and value.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from skillsight.exceptions import DataFormatError

__all__ = ["discover_cameras", "inside_root", "is_true", "video_file_name"]


def is_true(value: object) -> bool:
    """A takes.json flag that is set: ``True`` or the string "true" (real files store both)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def inside_root(source: str | Path, field_name: str, value: object) -> PurePosixPath:
    """A relative path that stays inside the dataset root (no absolute path, no ``..``), or raise."""
    if not isinstance(value, str) or not value:
        raise DataFormatError(source, field_name, value, "expected a non-empty relative path string")
    rel = PurePosixPath(value.replace("\\", "/"))
    if rel.is_absolute() or ".." in rel.parts or re.match(r"^[A-Za-z]:", value):
        raise DataFormatError(source, field_name, value, "path leaves the dataset root (absolute or '..')")
    return rel


def video_file_name(source: str | Path, field_name: str, value: object) -> str:
    """The file name of a video path (only the name is used under the take folder)."""
    if isinstance(value, str) and "\\" not in value and ":" not in value:
        parts = value.split("/")  # plain "a/b/c.mp4": the name without building a path object
        if all(p and p != "." and p != ".." for p in parts):
            return parts[-1]
    name = inside_root(source, field_name, value).name
    if name in ("", ".", ".."):
        raise DataFormatError(source, field_name, value, "path names no file")
    return name


def _pick_stream(streams: dict, preferred: str) -> dict | None:
    """The ``preferred`` stream, else the only stream with a ``relative_path``, else None (ambiguous)."""
    if preferred in streams and isinstance(streams[preferred], dict):
        return streams[preferred]
    usable = [s for s in streams.values() if isinstance(s, dict) and s.get("relative_path")]
    return usable[0] if len(usable) == 1 else None


def discover_cameras(
    take: dict, record: dict, source: str, notes: list[str] | None = None
) -> tuple[str | None, dict[str, str]]:
    """Return (ego cam id or None, {cam id: video file name}) from takes.json, else the annotation record.

    ``notes`` receives one line per camera dropped because no stream could be chosen."""
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
            preferred = "rgb" if is_true(info.get(cam, {}).get("is_ego")) else "0"
            stream = _pick_stream(streams, preferred)
            if stream and stream.get("relative_path") is not None:
                where = f"frame_aligned_videos[{cam}].relative_path"
                names[cam] = video_file_name(source, where, stream["relative_path"])
            elif notes is not None and streams:
                notes.append(
                    f"camera dropped (ambiguous streams): {cam} has {sorted(streams)}, "
                    f"no {preferred!r} stream"
                )
    else:
        paths = record.get("video_paths") or {}
        if not isinstance(paths, dict):
            raise DataFormatError(source, "video_paths", paths, "expected an object {ego, exo1, ...}")
        for key, rel in paths.items():
            if rel is not None and rel != "":
                name = video_file_name(source, f"video_paths.{key}", rel)
                cam = name.rsplit(".", 1)[0].split("_", 1)[0]
                names[cam] = name
                if key == "ego" and cam not in info:
                    info[cam] = {"cam_id": cam, "is_ego": True}
    ego = [c for c in names if is_true(info.get(c, {}).get("is_ego"))]
    if len(ego) > 1:
        aria = [c for c in ego if "aria" in (str(info[c].get("device_type", "")) + c).lower()]
        ego = aria if len(aria) == 1 else ego
    return (ego[0] if len(ego) == 1 else None), names
