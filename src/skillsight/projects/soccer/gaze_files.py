"""Tobii Pro Glasses 2 signals of the Expert-Novice Soccer dataset.

Layout: ``EyeTrackingData/Player<p>/S<nn>/<feature>_vec.csv``, one number per line; the FIRST number
is the count of the samples that follow. There are no timestamps. The streams of one sample have
different lengths: the gaze signals (50 Hz on the Glasses 2) drop invalid samples (the 2D/3D gaze
point, the left-eye and the right-eye groups each drop their own), the glasses' accelerometer
(~102 rows per second) and gyroscope (~93 rows per second) do not.

Count header vs actual count: a mismatch means the file was truncated or edited. It is NOT an error
by default (the values present are real measurements); it is counted and listed in the dataset
report, and ``on_count_mismatch="error"`` makes it one. A header that is not a non-negative integer,
a non-numeric or non-finite value, or an empty stream is always an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from skillsight.exceptions import ConfigError, DataFormatError

__all__ = [
    "EYE_FEATURES",
    "GAZE_FEATURES",
    "GAZE_FEATURE_UNITS",
    "GLASSES_IMU_FEATURES",
    "VecFile",
    "read_vec_csv",
]

#: Eye-tracking signals (units in GAZE_FEATURE_UNITS).
EYE_FEATURES: tuple[str, ...] = (
    "gp0", "gp1",  # 2D gaze position in the scene image, 0..1 (x right, y down)
    "gp30", "gp31", "gp32",  # 3D gaze point relative to the scene camera, mm
    "gd00", "gd01", "gd02",  # left-eye gaze direction, unit vector
    "gd10", "gd11", "gd12",  # right-eye gaze direction, unit vector
    "pc00", "pc01", "pc02",  # left pupil centre, mm
    "pc10", "pc11", "pc12",  # right pupil centre, mm
    "pd0", "pd1",  # pupil diameter left/right, mm
)  # fmt: skip
#: The glasses' own IMU (head motion): accelerometer m/s^2, gyroscope deg/s.
GLASSES_IMU_FEATURES: tuple[str, ...] = ("ac0", "ac1", "ac2", "gy0", "gy1", "gy2")
#: Every ``<feature>_vec.csv`` a sample folder holds.
GAZE_FEATURES: tuple[str, ...] = EYE_FEATURES + GLASSES_IMU_FEATURES

GAZE_FEATURE_UNITS: dict[str, str] = {
    **dict.fromkeys(("gp0", "gp1"), "unit"),
    **dict.fromkeys(
        ("gp30", "gp31", "gp32", "pc00", "pc01", "pc02", "pc10", "pc11", "pc12", "pd0", "pd1"), "mm"
    ),
    **dict.fromkeys(("gd00", "gd01", "gd02", "gd10", "gd11", "gd12"), "unit_vector"),
    **dict.fromkeys(("ac0", "ac1", "ac2"), "m/s^2"),
    **dict.fromkeys(("gy0", "gy1", "gy2"), "deg/s"),
}

_MISMATCH_POLICIES = ("warn", "error")


@dataclass(frozen=True)
class VecFile:
    """One ``<feature>_vec.csv``.

    Attributes:
        values: (n,) float64 samples (the header excluded).
        declared_count: the first number of the file.
        source: path of the file.
    """

    values: np.ndarray
    declared_count: int
    source: str

    @property
    def count_mismatch(self) -> bool:
        """True when the header count differs from the number of values."""
        return self.declared_count != self.values.shape[0]


def _parse_numbers(path: Path, raw: bytes) -> np.ndarray:
    """One number per line (pyarrow's parser); the bad line is located only on failure."""
    try:
        table = pa_csv.read_csv(
            # pyarrow-stubs leave out the pyarrow Buffer that read_csv takes (zero-copy, no Python file)
            pa.py_buffer(raw),  # type: ignore[arg-type]
            read_options=pa_csv.ReadOptions(column_names=["v"], use_threads=False),
            parse_options=pa_csv.ParseOptions(delimiter="\t"),
            convert_options=pa_csv.ConvertOptions(column_types={"v": pa.float64()}, null_values=[]),
        )
        return table.column("v").to_numpy()
    except (pa.ArrowInvalid, pa.ArrowException):
        pass
    for i, line in enumerate(raw.splitlines()):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            raise DataFormatError(path, f"line {i + 1}", line[:40], "not UTF-8 text") from None
        cells = text.split()
        if len(cells) > 1:
            raise DataFormatError(path, f"line {i + 1}", text[:80], "expected one number per line")
        try:
            float(cells[0]) if cells else None
        except ValueError:
            raise DataFormatError(path, f"line {i + 1}", cells[0][:40], "not a number") from None
    return np.array(raw.decode("utf-8").split(), dtype=np.float64)  # blank lines only: the slow way


def read_vec_csv(path: str | Path, on_count_mismatch: str = "warn") -> VecFile:
    """Read one ``_vec.csv`` file.

    Args:
        path: the file.
        on_count_mismatch: "warn" keeps the values and flags the mismatch on the result (the dataset
            report counts it); "error" raises.

    Returns:
        VecFile with the values and the declared count.

    Raises:
        DataFormatError: empty file, bad header, non-numeric/non-finite value, no samples, or a count
            mismatch under "error".
    """
    if on_count_mismatch not in _MISMATCH_POLICIES:
        raise ConfigError(f"on_count_mismatch must be one of {_MISMATCH_POLICIES}, got {on_count_mismatch!r}")
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        if isinstance(err, FileNotFoundError):
            raise
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if not raw.strip():
        raise DataFormatError(path, "count", "", "file is empty (expected the sample count first)")
    numbers = _parse_numbers(path, raw)
    header = numbers[0]
    if not np.isfinite(header) or header < 0 or header != np.round(header):
        raise DataFormatError(
            path, "count", float(header), "first value must be a non-negative integer count"
        )
    values = numbers[1:]
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        raise DataFormatError(path, f"line {int(bad[0]) + 2}", float(values[int(bad[0])]), "non-finite value")
    if values.size == 0:
        raise DataFormatError(path, "count", int(header), "no samples follow the count")
    result = VecFile(values=values, declared_count=int(header), source=str(path))
    if result.count_mismatch and on_count_mismatch == "error":
        raise DataFormatError(
            path, "count", int(header), f"header count differs from the {values.size} values that follow"
        )
    return result
