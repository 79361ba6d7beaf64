"""Reader of the MSB per-subject HDF5 layout.

One file per subject, e.g. ``Sub00/<date>_streamLog_badminton-wearables_Sub00.hdf5``, laid out
``h5[device][stream]`` with datasets ``data``, ``time_s`` (seconds since the epoch) and ``time_str``.
Gaze is device ``eye-gaze``, stream ``gaze``: an (N, 2) array of 2D gaze on the scene camera image,
normalised to [0, 1] (the sibling ActionNet layout ``eye-tracking-gaze``/``position`` is read too).

Every check names the file, the dataset and the bad value: a missing group, a wrong shape, NaN/inf
times, decreasing times, a time count that differs from the sample count, a file that is not HDF5 or is
truncated all raise :class:`skillsight.exceptions.DataFormatError`. Gaze samples that are NaN (blinks,
tracking loss) are kept as invalid samples (``valid`` False), not dropped; infinite gaze values are an
error. :func:`scan_msb_subjects` turns errors into counted skips for a dataset scan.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = ["GAZE_STREAMS", "MsbGaze", "MsbScan", "read_msb_gaze", "scan_msb_subjects", "subject_id"]

#: (device, stream) pairs holding 2D gaze, in the order they are tried.
GAZE_STREAMS: tuple[tuple[str, str], ...] = (("eye-gaze", "gaze"), ("eye-tracking-gaze", "position"))
_SUBJECT = re.compile(r"Sub(\d+)")


@dataclass(frozen=True)
class MsbGaze:
    """2D gaze of one subject.

    Attributes:
        time_s: (N,) float64 seconds since the epoch, non-decreasing.
        xy: (N, 2) float64 in [0, 1] where valid (NaN where the tracker lost the eye).
        valid: (N,) bool.
        source: "file:device/stream".
    """

    time_s: np.ndarray
    xy: np.ndarray
    valid: np.ndarray
    source: str


def _h5py():
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - h5py is a declared extra
        raise ImportError("reading MSB needs h5py: pip install 'skillsight[msb]'") from err
    return h5py


def subject_id(path: str | Path) -> str:
    """``Sub07`` from a path holding it (the file or its folder)."""
    match = _SUBJECT.search(Path(path).name) or _SUBJECT.search(Path(path).parent.name)
    if match is None:
        raise DataFormatError(
            path, "name", Path(path).name, "MSB files are named after their subject (SubNN)"
        )
    return f"Sub{int(match.group(1)):02d}"


def read_msb_gaze(path: str | Path) -> MsbGaze:
    """Read the 2D gaze stream of one subject file.

    Raises:
        DataFormatError: not an HDF5 file or truncated; no gaze group (the groups present are named);
            ``data`` not (N, 2) or ``time_s`` not (N,); non-finite or decreasing times; infinite gaze.
    """
    h5py = _h5py()
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "", str(path), "MSB subject file does not exist")
    try:
        handle = h5py.File(path, "r")
    except OSError as err:
        raise DataFormatError(
            path, "", path.name, f"not a readable HDF5 file (truncated or another format): {err}"
        ) from err
    with handle as h5:
        found = [(d, s) for d, s in GAZE_STREAMS if d in h5 and isinstance(h5[d], h5py.Group) and s in h5[d]]
        if not found:
            raise DataFormatError(
                path,
                "/".join(GAZE_STREAMS[0]),
                sorted(h5.keys()),
                f"no gaze stream {['/'.join(g) for g in GAZE_STREAMS]}",
            )
        device, stream = found[0]
        group = h5[device][stream]
        where = f"{device}/{stream}"
        for name in ("data", "time_s"):
            if name not in group:
                raise DataFormatError(path, f"{where}/{name}", sorted(group.keys()), "dataset missing")
        try:
            data = np.asarray(group["data"][()], dtype=np.float64)
            time_s = np.asarray(group["time_s"][()], dtype=np.float64)
        except (OSError, ValueError, TypeError) as err:
            raise DataFormatError(
                path, where, str(err)[:80], "cannot read the gaze datasets (truncated file?)"
            ) from err
    if data.ndim != 2 or data.shape[1] != 2:
        raise DataFormatError(path, f"{where}/data", data.shape, "gaze must be an (N, 2) array of 2D points")
    time_s = time_s.reshape(-1) if time_s.ndim == 2 and 1 in time_s.shape else time_s
    if time_s.ndim != 1 or len(time_s) != len(data):
        raise DataFormatError(
            path, f"{where}/time_s", time_s.shape, f"expected ({len(data)},) times, one per sample"
        )
    if len(data) == 0:
        raise DataFormatError(path, f"{where}/data", 0, "gaze stream has no samples")
    if not np.isfinite(time_s).all():
        bad = int(np.flatnonzero(~np.isfinite(time_s))[0])
        raise DataFormatError(path, f"{where}/time_s[{bad}]", float(time_s[bad]), "time is not finite")
    if np.any(np.diff(time_s) < 0):
        bad = int(np.flatnonzero(np.diff(time_s) < 0)[0]) + 1
        raise DataFormatError(path, f"{where}/time_s[{bad}]", float(time_s[bad]), "times decrease")
    if np.isinf(data).any():
        bad = int(np.flatnonzero(np.isinf(data).any(axis=1))[0])
        raise DataFormatError(path, f"{where}/data[{bad}]", data[bad].tolist(), "gaze is infinite")
    valid = np.asarray(np.isfinite(data).all(axis=1))  # (N,) bool
    return MsbGaze(time_s=time_s, xy=data, valid=valid, source=f"{path}:{where}")


@dataclass
class MsbScan:
    """Subjects read from a root, and the files skipped with their reasons."""

    gaze: dict[str, MsbGaze] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def format_summary(self) -> str:
        lines = [f"read {len(self.gaze)} MSB subjects, skipped {len(self.skipped)}"]
        lines += [f"  skipped {p}: {why}" for p, why in self.skipped]
        return "\n".join(lines)


def scan_msb_subjects(root: str | Path) -> MsbScan:
    """Read every ``Sub*/*.hdf5`` under ``root``; unreadable files are skipped and counted with the reason."""
    scan = MsbScan()
    for path in sorted(Path(root).glob("Sub*/*.hdf5")):
        try:
            sid = subject_id(path)
            if sid in scan.gaze:
                raise DataFormatError(path, "name", sid, "a second file for this subject")
            scan.gaze[sid] = read_msb_gaze(path)
        except DataFormatError as err:
            scan.skipped.append((str(path), err.reason))
    return scan
