"""Perception Neuron body motion of the Expert-Novice Soccer dataset (Akamatsu et al., ICASSP 2021).

File layout: ``MotionData/feature_info.csv`` names the columns, one ``<bone>-<feature>-<axis>`` per
line (21 bones x 16 features = 336 columns); ``MotionData/Player<p>/S<nn>.txt.gz`` holds one
comma-separated row per time step, no header, no timestamps (~119.3 rows per second, inferred by
:func:`skillsight.projects.soccer.reader.infer_motion_rate_hz`).

Features per bone: ``X`` world position (m), ``V`` world velocity (m/s), ``Q`` world posture
quaternion (scalar first: s, x, y, z), ``A`` acceleration in the module frame (g), ``W`` angular
velocity in the module frame (rad/s).

Bone names. The dataset numbers its bones 01..21 and names them only in a figure that is not shipped.
We established the mapping from the data (see docs/soccer.md): in the standing pose of every player
01 is the hips, 02-04 and 05-07 two leg chains (hip, knee, ankle going away from the head), 08-11 and
12-15 two arm chains (shoulder, upper arm, elbow, wrist), 16 head, 17 neck, 18-21 spine top to bottom.
Side: chain 02-04 produces the fastest foot in every kick (S01-S20) of the seven right-footed players
and chain 05-07 in every kick of the left-footed player 5, so 02-04 is the right leg; arm chain 08-11
lies on the same side as 02-04 in every player, so it is the right arm. The world frame is
right-handed with z pointing DOWN (the head has a smaller z than the feet).

Mirroring ("Player 5 is left-footed; we used horizontally flipped motion data"): we reflect the world
across its vertical y-z plane (world x -> -x; the reflection M = diag(-1, 1, 1)) and swap the left and
right bones. Per feature, with the bone frame mirrored by the same M so it stays right-handed:
``X``, ``V`` (world vectors): x -> -x. ``Q`` (rotation R -> M R M): (s, x, y, z) -> (s, x, -y, -z).
``A`` (module-frame vector, a' = M a): x -> -x. ``W`` (module-frame axial vector, w' = -M w):
(x, y, z) -> (x, -y, -z). Any other vertical mirror plane gives the same motion up to a rotation
about the vertical axis.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from skillsight.exceptions import DataFormatError

__all__ = [
    "BONE_NAMES",
    "MIRROR_BONE_PAIRS",
    "MOTION_FEATURES",
    "mirror_motion",
    "read_feature_info",
    "read_motion_bytes",
    "read_motion_file",
]

#: Bone number in feature_info.csv -> name (established from the data, see the module docstring).
BONE_NAMES: dict[str, str] = {
    "01": "Hips",
    "02": "RightUpLeg",
    "03": "RightLeg",
    "04": "RightFoot",
    "05": "LeftUpLeg",
    "06": "LeftLeg",
    "07": "LeftFoot",
    "08": "RightShoulder",
    "09": "RightArm",
    "10": "RightForeArm",
    "11": "RightHand",
    "12": "LeftShoulder",
    "13": "LeftArm",
    "14": "LeftForeArm",
    "15": "LeftHand",
    "16": "Head",
    "17": "Neck",
    "18": "Spine3",
    "19": "Spine2",
    "20": "Spine1",
    "21": "Spine",
}

#: (right bone, left bone) pairs swapped by :func:`mirror_motion`.
MIRROR_BONE_PAIRS: tuple[tuple[str, str], ...] = (
    ("02", "05"),
    ("03", "06"),
    ("04", "07"),
    ("08", "12"),
    ("09", "13"),
    ("10", "14"),
    ("11", "15"),
)

#: feature letter -> allowed axes, in file order.
MOTION_FEATURES: dict[str, tuple[str, ...]] = {
    "X": ("x", "y", "z"),
    "V": ("x", "y", "z"),
    "Q": ("s", "x", "y", "z"),
    "A": ("x", "y", "z"),
    "W": ("x", "y", "z"),
}

# (feature, axis) -> sign applied by the mirror (see module docstring).
_MIRROR_SIGN: dict[tuple[str, str], float] = {
    ("X", "x"): -1.0, ("X", "y"): 1.0, ("X", "z"): 1.0,
    ("V", "x"): -1.0, ("V", "y"): 1.0, ("V", "z"): 1.0,
    ("Q", "s"): 1.0, ("Q", "x"): 1.0, ("Q", "y"): -1.0, ("Q", "z"): -1.0,
    ("A", "x"): -1.0, ("A", "y"): 1.0, ("A", "z"): 1.0,
    ("W", "x"): 1.0, ("W", "y"): -1.0, ("W", "z"): -1.0,
}  # fmt: skip


def _split_name(name: str, source: str) -> tuple[str, str, str]:
    parts = name.split("-")
    if len(parts) != 3:
        raise DataFormatError(source, "feature name", name, "expected <bone>-<feature>-<axis>")
    bone, feature, axis = parts
    if feature not in MOTION_FEATURES or axis not in MOTION_FEATURES[feature]:
        raise DataFormatError(source, "feature name", name, f"unknown feature/axis; valid: {MOTION_FEATURES}")
    return bone, feature, axis


def read_feature_info(path: str | Path) -> tuple[str, ...]:
    """Read ``feature_info.csv``: one ``<bone>-<feature>-<axis>`` name per line.

    Raises:
        DataFormatError: empty file, malformed or duplicated names.
    """
    path = Path(path)
    names = tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
    if not names:
        raise DataFormatError(path, "", "", "feature_info.csv is empty")
    for name in names:
        _split_name(name, str(path))
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DataFormatError(path, "feature name", dup, "duplicated column names")
    return names


def read_motion_bytes(path: str | Path) -> bytes:
    """The text bytes of a motion file, gunzipped when it is gzip (``.txt.gz``).

    Raises:
        DataFormatError: unreadable file, truncated gzip, bad CRC or corrupt deflate stream.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read file") from err
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:  # truncated stream, bad CRC/length, corrupt deflate
        raise DataFormatError(path, "", f"{len(raw)} bytes", f"damaged gzip file: {err}") from None


def _locate(path: Path, text: bytes, num_features: int) -> DataFormatError:
    """First bad line of a motion matrix (error path only)."""
    for i, line in enumerate(text.splitlines()):
        if not line.strip():
            continue
        try:
            cells = line.decode("ascii").split(",")
        except UnicodeDecodeError:
            return DataFormatError(path, f"row {i + 1}", line[:40], "not ASCII text")
        if len(cells) != num_features:
            reason = f"has {len(cells)} columns, expected {num_features} (feature_info.csv)"
            return DataFormatError(path, f"row {i + 1}", line[:80].decode("ascii"), reason)
        for j, cell in enumerate(cells):
            try:
                float(cell)
            except ValueError:
                return DataFormatError(path, f"row {i + 1}, column {j + 1}", cell[:40], "not a number")
    return DataFormatError(path, "", "", "not a comma-separated numeric matrix")


def read_motion_file(path: str | Path, num_features: int) -> np.ndarray:
    """Read one ``S<nn>.txt.gz`` (or plain ``.txt``) motion file.

    Args:
        path: the file.
        num_features: F, the number of names in feature_info.csv.

    Returns:
        (N, F) float32 array, one row per time step.

    Raises:
        DataFormatError: a damaged gzip, no rows, a row with a column count other than F, a
            non-numeric or non-finite value (the message names the row and column).
    """
    path = Path(path)
    text = read_motion_bytes(path)
    if not text.strip():
        raise DataFormatError(path, "", "", "motion file has no rows")
    try:
        table = pa_csv.read_csv(
            # pyarrow-stubs leave out the pyarrow Buffer that read_csv takes (zero-copy, no Python file)
            pa.py_buffer(text),  # type: ignore[arg-type]
            read_options=pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False),
            convert_options=pa_csv.ConvertOptions(
                column_types={f"f{j}": pa.float64() for j in range(num_features)},
                null_values=[],
                check_utf8=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as err:
        raise _locate(path, text, num_features) from err
    if table.num_columns != num_features:
        raise DataFormatError(
            path, "columns", table.num_columns, f"expected {num_features} (feature_info.csv)"
        )
    values = np.stack([table.column(j).to_numpy() for j in range(num_features)], axis=1)  # (N, F) float64
    finite = np.isfinite(values)
    if not finite.all():
        i, j = (int(k) for k in np.argwhere(~finite)[0])
        raise DataFormatError(path, f"row {i + 1}, column {j + 1}", values[i, j], "non-finite value")
    out = values.astype(np.float32)
    if not np.isfinite(out).all():
        i, j = (int(k) for k in np.argwhere(~np.isfinite(out))[0])
        raise DataFormatError(path, f"row {i + 1}, column {j + 1}", values[i, j], "beyond float32 range")
    return out


def mirror_motion(values: np.ndarray, feature_names: tuple[str, ...], source: str = "") -> np.ndarray:
    """Mirror body motion horizontally (world x -> -x) and swap left/right bones.

    Args:
        values: (N, F) motion, columns named by ``feature_names``.
        feature_names: F names ``<bone>-<feature>-<axis>``; every bone of MIRROR_BONE_PAIRS that
            appears must appear with the same feature set on both sides.
        source: file name for error messages.

    Returns:
        (N, F) mirrored copy, same dtype. Applying it twice gives the input back.
    """
    _N, F = values.shape
    if len(feature_names) != F:
        raise DataFormatError(
            source, "feature_names", F, f"values have {F} columns, names {len(feature_names)}"
        )
    index = {name: j for j, name in enumerate(feature_names)}
    swap = {}
    for right, left in MIRROR_BONE_PAIRS:
        swap[right], swap[left] = left, right
    signs = np.empty(F, dtype=values.dtype)
    take = np.empty(F, dtype=np.int64)
    for j, name in enumerate(feature_names):
        bone, feature, axis = _split_name(name, source)
        partner = f"{swap.get(bone, bone)}-{feature}-{axis}"
        if partner not in index:
            raise DataFormatError(source, "feature name", partner, f"mirror partner of {name!r} is missing")
        take[j] = index[partner]
        signs[j] = _MIRROR_SIGN[(feature, axis)]
    return values[:, take] * signs  # (N, F)
