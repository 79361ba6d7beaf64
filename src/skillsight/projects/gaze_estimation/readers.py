"""Face-gaze datasets: MPIIFaceGaze, ETH-XGaze and Gaze360 readers, eye-crop geometry, torch Datasets.

Every reader returns a :class:`FaceGazeIndex`: labels and crop boxes for N samples, images loaded
lazily by :func:`load_sample`. Gaze is (pitch, yaw) in radians in the convention of
:mod:`skillsight.projects.gaze_estimation.angles` (``x = cos p sin y, y = sin p, z = cos p cos y``,
(0, 0) looks at the camera, pitch > 0 up). Per dataset:

- MPIIFaceGaze ``pXX/pXX.txt``: 28 space-separated fields (image path, screen px (2), six landmarks
  (12: four eye corners, two mouth corners), head rotation + translation (6), face centre fc (3),
  gaze target gt (3), evaluation eye). The gaze direction in camera coordinates (x right, y down,
  z forward) is ``g = gt - fc``; our vector is ``-g`` (pitch = asin(-g_y), yaw = atan2(-g_x, -g_z), the
  ETH-XGaze convention). Eye crops come from the landmarks, the face crop from the landmarks' extent.
  Labels are in the camera frame (no data normalisation warp is applied).
- ETH-XGaze ``subjectXXXX.h5``: ``face_patch`` (N, 224, 224, 3) uint8 **BGR** and ``face_gaze`` (N, 2)
  (pitch, yaw) radians, already in our convention. No landmarks: eye crops use the geometry rule.
- Gaze360 ``metadata.mat`` (scipy.io): ``gaze_dir`` (N, 3) in Gaze360's eye frame (z away from the
  camera), so pitch = asin(g_y), yaw = atan2(g_x, -g_z); images ``imgs/<recording>/head/<person:06d>/
  <frame:06d>.jpg`` are head crops; face/eye boxes are normalised [x, y, w, h] in the full frame
  (-1 = not detected) and are mapped into the head crop. Samples without a face box are skipped
  and counted; missing eye boxes fall back to the geometry rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.exceptions import DataFormatError, MissingDependencyError
from skillsight.projects.gaze_estimation.angles import vector_to_pitchyaw
from skillsight.projects.gaze_estimation.synthetic import FaceArrays

__all__ = [
    "EYE_RULE",
    "FaceArrayDataset",
    "FaceGazeIndex",
    "FaceIndexDataset",
    "eye_boxes_from_face_boxes",
    "eye_boxes_from_landmarks",
    "load_face_arrays",
    "load_sample",
    "read_ethxgaze",
    "read_gaze360",
    "read_mpiifacegaze",
    "rgb_to_gray",
]

#: Eye-crop rule inside a face box when no landmarks exist (fractions of the face box): eye centres at
#: (0.35, 0.42) (image left = subject's right eye) and (0.65, 0.42), crop 0.25 wide, 0.6 as high as wide.
#: eye boxes from a face box: centre_x (left, right), centre_y, width (fractions of the face box), aspect.
EYE_RULE: dict[str, Any] = {"centre_x": (0.65, 0.35), "centre_y": 0.42, "width": 0.25, "aspect": 0.6}


@dataclass
class FaceGazeIndex:
    """Labels and crop boxes of a face-gaze dataset; images are loaded by :func:`load_sample`.

    Attributes:
        name: "mpiifacegaze" | "ethxgaze" | "gaze360".
        pitchyaw_rad: (N, 2) float32 gaze (pitch, yaw).
        subject_ids: (N,) str.
        image_paths: (N,) str image files, or the h5 file for ETH-XGaze.
        h5_rows: (N,) int64 row in ``image_paths[i]``'s ``face_patch`` (ETH-XGaze), else None.
        face_boxes: (N, 4) x0, y0, x1, y1 of the face in the image, or None (whole image is the face).
        eye_boxes: (N, 2, 4) subject's (left, right) eye boxes, NaN rows -> geometry rule; or None.
        boxes_normalised: True if boxes are fractions of the image size (Gaze360), False for pixels.
        split: (N,) str split names where the dataset defines them, else None.
    """

    name: str
    pitchyaw_rad: np.ndarray
    subject_ids: np.ndarray
    image_paths: np.ndarray
    h5_rows: np.ndarray | None = None
    face_boxes: np.ndarray | None = None
    eye_boxes: np.ndarray | None = None
    boxes_normalised: bool = False
    split: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.pitchyaw_rad.shape[0])


# --------------------------------------------------------------------------------------- geometry
def eye_boxes_from_face_boxes(face_boxes: np.ndarray) -> np.ndarray:
    """Geometry rule. face_boxes (N, 4) x0, y0, x1, y1 -> (N, 2, 4) subject's (left, right) eye boxes."""
    fb = np.asarray(face_boxes, dtype=np.float64)
    w = fb[:, 2] - fb[:, 0]
    h = fb[:, 3] - fb[:, 1]
    cx = fb[:, 0, None] + np.asarray(EYE_RULE["centre_x"])[None, :] * w[:, None]  # (N, 2)
    cy = (fb[:, 1] + EYE_RULE["centre_y"] * h)[:, None]  # (N, 1)
    half_w = (0.5 * EYE_RULE["width"] * w)[:, None]
    half_h = half_w * EYE_RULE["aspect"]
    return np.stack(np.broadcast_arrays(cx - half_w, cy - half_h, cx + half_w, cy + half_h), axis=-1)


def eye_boxes_from_landmarks(
    landmarks_px: np.ndarray, aspect: float = 0.6, margin: float = 1.5
) -> np.ndarray:
    """Eye boxes from the four eye corners (landmarks 0-1 and 2-3 are the two eyes' corner pairs).

    Args:
        landmarks_px: (N, >=4, 2) pixel landmarks.
        aspect: crop height / width. margin: crop width / corner distance.

    Returns:
        (N, 2, 4) subject's (left, right) eye boxes; the subject's left eye is the pair further right
        in the image.
    """
    lm = np.asarray(landmarks_px, dtype=np.float64)
    pairs = lm[:, :4].reshape(-1, 2, 2, 2)  # (N, eye, corner, xy)
    centre = pairs.mean(axis=2)  # (N, 2, 2)
    half_w = 0.5 * margin * np.linalg.norm(pairs[:, :, 0] - pairs[:, :, 1], axis=-1)  # (N, 2)
    half_h = half_w * aspect
    boxes = np.stack(
        [centre[..., 0] - half_w, centre[..., 1] - half_h, centre[..., 0] + half_w, centre[..., 1] + half_h],
        axis=-1,
    )  # (N, 2, 4) in landmark-pair order
    swap = centre[:, 0, 0] < centre[:, 1, 0]  # first pair on the image left -> it is the subject's right eye
    out = boxes.copy()
    out[swap] = boxes[swap][:, ::-1]
    return out


# ------------------------------------------------------------------------------------ MPIIFaceGaze
def _parse_table(path: Path, n_fields: int) -> np.ndarray:
    rows = [line.split() for line in path.read_text().splitlines() if line.strip()]
    if not rows:
        raise DataFormatError(path, "", "", "annotation file has no rows")
    lengths = np.array([len(r) for r in rows])
    bad = np.flatnonzero(lengths != n_fields)
    if bad.size:
        raise DataFormatError(
            path,
            f"line {bad[0] + 1}",
            " ".join(rows[bad[0]])[:80],
            f"expected {n_fields} space-separated fields, found {lengths[bad[0]]}",
        )
    return np.array(rows, dtype=object)


def _to_float(table: np.ndarray, cols: slice, path: Path, names: Sequence[str]) -> np.ndarray:
    try:
        return table[:, cols].astype(np.float64)
    except ValueError:
        sub = table[:, cols]
        for (r, c), cell in np.ndenumerate(sub):  # error path only: find the offending cell
            try:
                float(cell)
            except ValueError:
                raise DataFormatError(path, f"line {r + 1}, field {names[c]}", cell, "not a number") from None
        raise


_MPII_FIELDS = (
    ["screen_x", "screen_y"]
    + [f"landmark{i}_{a}" for i in range(6) for a in "xy"]
    + ["rvec0", "rvec1", "rvec2", "tvec0", "tvec1", "tvec2", "fc_x", "fc_y", "fc_z", "gt_x", "gt_y", "gt_z"]
)


def read_mpiifacegaze(root: str | Path, subjects: Sequence[str] | None = None) -> FaceGazeIndex:
    """Read MPIIFaceGaze annotations ``root/pXX/pXX.txt`` (all subjects found, or ``subjects``)."""
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"MPIIFaceGaze root {root} is not a folder")
    names = (
        list(subjects)
        if subjects is not None
        else sorted(p.name for p in root.glob("p[0-9][0-9]") if p.is_dir())
    )
    if not names:
        raise DataFormatError(root, "", "", "no pXX subject folders found")
    parts = []
    for name in names:
        txt = root / name / f"{name}.txt"
        if not txt.is_file():
            raise FileNotFoundError(f"MPIIFaceGaze annotation {txt} does not exist")
        table = _parse_table(txt, 28)
        nums = _to_float(table, slice(1, 27), txt, _MPII_FIELDS)  # (n, 26)
        bad_value = np.argwhere(~np.isfinite(nums))
        if bad_value.size:
            r, c = (int(k) for k in bad_value[0])
            raise DataFormatError(
                txt, f"line {r + 1}, field {_MPII_FIELDS[c]}", table[r, c + 1], "not a finite number"
            )
        for r, rel in enumerate(table[:, 0]):
            rel_path = PurePosixPath(str(rel).replace("\\", "/"))
            if rel_path.is_absolute() or ".." in rel_path.parts or not rel_path.parts:
                raise DataFormatError(
                    txt, f"line {r + 1}, field image", rel, "image path leaves the subject folder"
                )
        eye = table[:, 27].astype(str)
        bad = np.flatnonzero(~np.isin(eye, ["left", "right"]))
        if bad.size:
            raise DataFormatError(
                txt, f"line {bad[0] + 1}, field evaluation_eye", eye[bad[0]], "expected 'left' or 'right'"
            )
        g = nums[:, 23:26] - nums[:, 20:23]  # gt - fc, camera frame, mm
        zero = np.flatnonzero(np.linalg.norm(g, axis=1) == 0)
        if zero.size:
            raise DataFormatError(
                txt, f"line {zero[0] + 1}, field gt - fc", g[zero[0]].tolist(), "zero gaze vector"
            )
        landmarks = nums[:, 2:14].reshape(-1, 6, 2)
        span = landmarks[:, :, 0].max(1) - landmarks[:, :, 0].min(1)
        centre = landmarks.mean(axis=1)
        half = span  # face side = 2 x landmark x-extent (eye corners to eye corners)
        faces = np.stack(
            [centre[:, 0] - half, centre[:, 1] - half, centre[:, 0] + half, centre[:, 1] + half], 1
        )
        parts.append(
            dict(
                py=vector_to_pitchyaw(-g),
                subj=np.full(len(table), name),
                paths=np.array([str(root / name / p) for p in table[:, 0]]),
                faces=faces,
                eyes=eye_boxes_from_landmarks(landmarks),
            )
        )

    def cat(key: str) -> np.ndarray:
        return np.concatenate([p[key] for p in parts])

    return FaceGazeIndex(
        "mpiifacegaze",
        cat("py").astype(np.float32),
        cat("subj"),
        cat("paths"),
        face_boxes=cat("faces"),
        eye_boxes=cat("eyes"),
    )


# -------------------------------------------------------------------------------------- ETH-XGaze
def read_ethxgaze(files: str | Path | Sequence[str | Path]) -> FaceGazeIndex:
    """Read ETH-XGaze ``subjectXXXX.h5`` files (a file, a folder of them, or a list)."""
    try:
        import h5py
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise MissingDependencyError("h5py", "faces") from err
    if isinstance(files, (str, Path)):
        files = sorted(Path(files).glob("subject*.h5")) if Path(files).is_dir() else [Path(files)]
    if not files:
        raise DataFormatError("ETH-XGaze", "", "", "no subject*.h5 files found")
    py, subj, paths, rows = [], [], [], []
    for f in map(Path, files):
        if not f.is_file():
            raise FileNotFoundError(f"ETH-XGaze file {f} does not exist")
        with h5py.File(f, "r") as h5:
            for key in ("face_patch", "face_gaze"):
                if key not in h5:
                    raise DataFormatError(
                        f, key, sorted(h5.keys()), "missing dataset (test splits have no face_gaze)"
                    )
            patch_shape, gaze = h5["face_patch"].shape, np.asarray(h5["face_gaze"], dtype=np.float64)
        if len(patch_shape) != 4 or patch_shape[-1] != 3:
            raise DataFormatError(f, "face_patch", patch_shape, "expected shape (N, H, W, 3)")
        if gaze.ndim != 2 or gaze.shape != (patch_shape[0], 2):
            raise DataFormatError(
                f, "face_gaze", gaze.shape, f"expected shape ({patch_shape[0]}, 2) (pitch, yaw)"
            )
        if not np.all(np.isfinite(gaze)):
            bad = int(np.flatnonzero(~np.isfinite(gaze).all(1))[0])
            raise DataFormatError(f, f"face_gaze[{bad}]", gaze[bad].tolist(), "non-finite gaze")
        n = patch_shape[0]
        py.append(gaze)
        subj.append(np.full(n, f.stem))
        paths.append(np.full(n, str(f)))
        rows.append(np.arange(n, dtype=np.int64))
    return FaceGazeIndex(
        "ethxgaze",
        np.concatenate(py).astype(np.float32),
        np.concatenate(subj),
        np.concatenate(paths),
        h5_rows=np.concatenate(rows),
    )


# ---------------------------------------------------------------------------------------- Gaze360
def _mat_strings(cell: np.ndarray) -> list[str]:
    return [str(np.asarray(c).ravel()[0]) for c in np.asarray(cell, dtype=object).ravel()]


def read_gaze360(root: str | Path) -> FaceGazeIndex:
    """Read Gaze360 ``root/metadata.mat``; images under ``root/imgs``. Prints the skipped-sample count."""
    import scipy.io

    root = Path(root)
    mat_path = root / "metadata.mat"
    if not mat_path.is_file():
        raise FileNotFoundError(f"Gaze360 metadata {mat_path} does not exist")
    m = scipy.io.loadmat(str(mat_path))
    need = (
        "recordings",
        "recording",
        "person_identity",
        "frame",
        "gaze_dir",
        "person_head_bbox",
        "person_face_bbox",
        "person_eye_left_bbox",
        "person_eye_right_bbox",
        "split",
        "splits",
    )
    for key in need:
        if key not in m:
            raise DataFormatError(
                mat_path, key, sorted(k for k in m if not k.startswith("__")), "missing field"
            )
    recordings, splits = _mat_strings(m["recordings"]), _mat_strings(m["splits"])
    rec = np.asarray(m["recording"]).ravel().astype(np.int64)
    person = np.asarray(m["person_identity"]).ravel().astype(np.int64)
    frame = np.asarray(m["frame"]).ravel().astype(np.int64)
    split = np.asarray(m["split"]).ravel().astype(np.int64)
    gaze = np.asarray(m["gaze_dir"], dtype=np.float64)
    n = rec.shape[0]
    for key, arr, shape in (
        ("gaze_dir", gaze, (n, 3)),
        ("person_identity", person, (n,)),
        ("frame", frame, (n,)),
        ("split", split, (n,)),
    ):
        if arr.shape != shape:
            raise DataFormatError(mat_path, key, arr.shape, f"expected shape {shape}")
    for key, arr, hi in (("recording", rec, len(recordings)), ("split", split, len(splits))):
        bad = np.flatnonzero((arr < 0) | (arr >= hi))
        if bad.size:
            raise DataFormatError(mat_path, f"{key}[{bad[0]}]", int(arr[bad[0]]), f"index outside [0, {hi})")
    boxes = {
        k: np.asarray(m[f"person_{k}_bbox"], dtype=np.float64)
        for k in ("head", "face", "eye_left", "eye_right")
    }
    for k, b in boxes.items():
        if b.shape != (n, 4):
            raise DataFormatError(mat_path, f"person_{k}_bbox", b.shape, f"expected shape ({n}, 4)")
    norms = np.linalg.norm(gaze, axis=1)
    keep = np.all(boxes["face"] >= 0, axis=1) & np.all(boxes["head"] > 0, axis=1) & (norms > 0)
    skipped = int(n - keep.sum())
    if skipped:
        print(f"gaze360: skipped {skipped} of {n} samples without a face box or gaze ({mat_path})")

    def in_head(b: np.ndarray) -> np.ndarray:  # full-frame [x, y, w, h] -> head-crop fractions x0, y0, x1, y1
        h = boxes["head"]
        x0 = (b[:, 0] - h[:, 0]) / h[:, 2]
        y0 = (b[:, 1] - h[:, 1]) / h[:, 3]
        out = np.stack([x0, y0, x0 + b[:, 2] / h[:, 2], y0 + b[:, 3] / h[:, 3]], axis=1)
        out[np.any(b < 0, axis=1)] = np.nan
        return out

    eyes = np.stack([in_head(boxes["eye_left"]), in_head(boxes["eye_right"])], axis=1)  # (n, 2, 4)
    paths = np.array(
        [
            str(root / "imgs" / recordings[r] / "head" / f"{p:06d}" / f"{f:06d}.jpg")
            for r, p, f in zip(rec, person, frame)
        ]
    )
    our = np.stack([gaze[:, 0], gaze[:, 1], -gaze[:, 2]], axis=1)
    return FaceGazeIndex(
        "gaze360",
        vector_to_pitchyaw(our[keep]).astype(np.float32),
        np.array([f"{recordings[r]}_{p}" for r, p in zip(rec[keep], person[keep])]),
        paths[keep],
        face_boxes=in_head(boxes["face"])[keep],
        eye_boxes=eyes[keep],
        boxes_normalised=True,
        split=np.array(splits)[split[keep]],
    )


# ---------------------------------------------------------------------------------------- loading
def rgb_to_gray(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) RGB uint8/float -> (...) float32 luma in the input's scale (ITU-R BT.601 weights)."""
    return (np.asarray(rgb, dtype=np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(
        np.float32
    )


def _crop_resize(image: np.ndarray, box: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Crop box x0, y0, x1, y1 (pixels, may leave the image: edges replicate) and resize to (h, w)."""
    import cv2

    h, w = size_hw
    x0, y0, x1, y1 = (float(v) for v in box)
    # An affine warp maps the box onto the output grid, replicating the border outside the image.
    sx, sy = (x1 - x0) / w, (y1 - y0) / h
    M = np.array([[sx, 0.0, x0 + 0.5 * sx - 0.5], [0.0, sy, y0 + 0.5 * sy - 0.5]], dtype=np.float64)
    return cv2.warpAffine(
        image, M, (w, h), flags=cv2.INTER_AREA | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REPLICATE
    )


def load_sample(
    index: FaceGazeIndex, i: int, face_size: int, eye_size: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Load sample ``i``: face (S, S, 3), subject's left eye and right eye (h, w, 3), uint8 RGB."""
    import cv2

    path = index.image_paths[i]
    if index.h5_rows is not None:
        import h5py

        with h5py.File(path, "r") as h5:
            image = np.ascontiguousarray(h5["face_patch"][int(index.h5_rows[i])][..., ::-1])  # BGR -> RGB
    else:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise DataFormatError(path, "", "", f"cannot read image (sample {i} of {index.name})")
        image = bgr[..., ::-1]
    H, W = image.shape[:2]
    scale = np.array([W, H, W, H], dtype=np.float64) if index.boxes_normalised else np.ones(4)
    face_box = index.face_boxes[i] * scale if index.face_boxes is not None else np.array([0.0, 0.0, W, H])
    eyes = index.eye_boxes[i] * scale if index.eye_boxes is not None else np.full((2, 4), np.nan)
    rule = eye_boxes_from_face_boxes(face_box[None])[0]
    eyes = np.where(np.isnan(eyes).any(axis=1, keepdims=True), rule, eyes)
    face = _crop_resize(image, face_box, (face_size, face_size))
    return face, _crop_resize(image, eyes[0], eye_size), _crop_resize(image, eyes[1], eye_size)


def load_face_arrays(
    index: FaceGazeIndex, face_size: int, eye_size: tuple[int, int], rows: np.ndarray | None = None
) -> FaceArrays:
    """Load (a subset of) an index into memory as FaceArrays (for small sets and evaluation)."""
    rows = np.arange(len(index)) if rows is None else np.asarray(rows)
    loaded = [load_sample(index, int(i), face_size, eye_size) for i in rows]

    def stack(i: int) -> np.ndarray:
        return np.stack([s[i] for s in loaded]) if loaded else np.zeros((0,), np.uint8)

    return FaceArrays(
        stack(0),
        stack(1),
        stack(2),
        index.pitchyaw_rad[rows],
        index.subject_ids[rows],
        np.full((len(rows), 2), np.nan, np.float32),
        source=index.name,
    )


def _to_item(
    face_rgb: np.ndarray, left: np.ndarray, right: np.ndarray, pitchyaw: np.ndarray
) -> dict[str, torch.Tensor]:
    return {
        "face": torch.from_numpy(rgb_to_gray(face_rgb) / 255.0)[None],  # (1, S, S)
        "left_eye": torch.from_numpy(np.ascontiguousarray(left)).permute(2, 0, 1).float()
        / 255.0,  # (3, h, w)
        "right_eye": torch.from_numpy(np.ascontiguousarray(right)).permute(2, 0, 1).float() / 255.0,
        "pitchyaw_rad": torch.as_tensor(pitchyaw, dtype=torch.float32),  # (2,)
    }


class FaceArrayDataset(Dataset):
    """Torch view of in-memory FaceArrays: items ``face`` (1, S, S) gray, eyes (3, h, w) RGB in [0, 1],
    ``pitchyaw_rad`` (2,)."""

    def __init__(self, arrays: FaceArrays) -> None:
        self.arrays = arrays

    def __len__(self) -> int:
        return len(self.arrays)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        a = self.arrays
        return _to_item(a.face_rgb[i], a.left_eye[i], a.right_eye[i], a.pitchyaw_rad[i])


class FaceIndexDataset(Dataset):
    """Torch view of a FaceGazeIndex that loads and crops each image when it is asked for."""

    def __init__(self, index: FaceGazeIndex, face_size: int, eye_size: tuple[int, int]) -> None:
        self.index, self.face_size, self.eye_size = (
            index,
            int(face_size),
            (int(eye_size[0]), int(eye_size[1])),
        )

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        face, left, right = load_sample(self.index, i, self.face_size, self.eye_size)
        return _to_item(face, left, right, self.index.pitchyaw_rad[i])
