"""Open every file of a take with the readers training uses, so a damaged file fails before training.

``skillsight data inspect --deep`` runs :func:`check_take_files` on every kept take: each video is
probed and its first and last frames decoded (a truncated MP4 fails here, not mid-epoch), and the gaze,
2D gaze and trajectory CSVs and the calibration JSON are parsed and validated in full.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from skillsight.data.readers.aria import read_device_calibration, read_gaze_csv, read_trajectory_csv
from skillsight.data.readers.egoexo4d import read_gaze2d_csv
from skillsight.data.readers.video import decode_frames, probe_video
from skillsight.data.records import Take
from skillsight.exceptions import DataFormatError, SkillsightError

__all__ = ["FileProblem", "check_take_files", "take_files"]


@dataclass(frozen=True)
class FileProblem:
    """One file of a take that a reader refused: which take, which file, and the reader's message."""

    take_uid: str
    take_name: str
    kind: str  # "video[aria01]", "gaze", "gaze2d", "trajectory", "calibration"
    path: Path
    message: str

    def format(self) -> str:
        """``take <name> (<uid>): <kind> <path>: <message>``."""
        return f"take {self.take_name} ({self.take_uid}): {self.kind} {self.path}: {self.message}"


def take_files(take: Take) -> list[tuple[str, Path]]:
    """(kind, path) of every file the take has: its videos, gaze, 2D gaze, trajectory, calibration."""
    files = [(f"video[{cam}]", Path(p)) for cam, p in sorted(take.video_paths.items())]
    optional = (
        ("gaze", take.gaze_path),
        ("gaze2d", take.gaze2d_path),
        ("trajectory", take.trajectory_path),
        ("calibration", take.calibration_path),
    )
    return files + [(kind, Path(p)) for kind, p in optional if p is not None]


def _check_video(path: Path) -> None:
    info = probe_video(path)
    decode_frames(path, [0, info.n_frames - 1], size=(32, 32))  # first and last frame


_READERS: dict[str, Callable[[Path], object]] = {
    "gaze": read_gaze_csv,
    "gaze2d": read_gaze2d_csv,
    "trajectory": read_trajectory_csv,
    "calibration": read_device_calibration,
}


def _message(err: Exception, path: Path) -> str:
    """The reader's message without repeating the path the problem line already names."""
    if isinstance(err, DataFormatError):
        detail = f" (field {err.field!r}, value {err.value!r})" if err.field else ""
        where = "" if Path(err.source) == path else f"{err.source}: "
        return f"{where}{err.reason}{detail}"
    if isinstance(err, SkillsightError):
        return str(err)
    return f"{type(err).__name__}: {err}"


def check_take_files(take: Take) -> list[FileProblem]:
    """Read every file of ``take`` in full (videos: probe + first and last frame); the refusals found.

    Every exception a reader raises is a finding, reported with its type when it is not one of the
    package's own errors (which already name the file, field and value).
    """
    problems = []
    for kind, path in take_files(take):
        try:
            if kind.startswith("video"):
                _check_video(path)
            else:
                _READERS[kind](path)
        except Exception as err:  # a diagnostic: any refusal is reported, none stops the scan
            problems.append(FileProblem(take.take_uid, take.take_name, kind, path, _message(err, path)))
    return problems
