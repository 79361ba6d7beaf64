"""MPIIFaceGaze, ETH-XGaze and Gaze360 readers on small fixture files written in the real formats."""

import math

import cv2
import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.gaze_estimation.readers import (
    EYE_RULE,
    FaceArrayDataset,
    FaceIndexDataset,
    eye_boxes_from_face_boxes,
    load_sample,
    read_ethxgaze,
    read_gaze360,
    read_mpiifacegaze,
)
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces

ATAN_1_5 = math.degrees(math.atan2(100.0, 500.0))  # 11.31 deg


# ------------------------------------------------------------------------------------ MPIIFaceGaze
def _mpii_line(image: str, fc, gt, eye="left") -> str:
    landmarks = [30, 40, 45, 40, 55, 40, 70, 40, 40, 70, 60, 70]  # eye corners (2 pairs), mouth corners
    head = [0.1, -0.2, 0.05, 10.0, 20.0, 500.0]
    fields = [image, 800, 600, *landmarks, *head, *fc, *gt, eye]
    return " ".join(str(f) for f in fields)


def _write_mpii(root, lines, subject="p00"):
    (root / subject / "day01").mkdir(parents=True, exist_ok=True)
    img = np.zeros((100, 100, 3), np.uint8)
    img[:, 50:] = (0, 0, 255)  # BGR red on the right half
    cv2.imwrite(str(root / subject / "day01" / "0001.jpg"), img)
    (root / subject / f"{subject}.txt").write_text("\n".join(lines) + "\n")


def test_mpiifacegaze_gaze_is_gt_minus_fc_in_our_convention(tmp_path):
    fc = (0.0, 0.0, 500.0)
    _write_mpii(
        tmp_path,
        [
            _mpii_line("day01/0001.jpg", fc, (0, 0, 0)),  # looks at the camera
            _mpii_line("day01/0001.jpg", fc, (-100, 0, 0)),  # target on the camera's left
            _mpii_line("day01/0001.jpg", fc, (0, -100, 0), "right"),
        ],
    )  # target above (camera y down)
    idx = read_mpiifacegaze(tmp_path)
    assert len(idx) == 3 and idx.name == "mpiifacegaze" and set(idx.subject_ids) == {"p00"}
    np.testing.assert_allclose(
        np.degrees(idx.pitchyaw_rad), [[0, 0], [0, ATAN_1_5], [ATAN_1_5, 0]], atol=1e-4
    )
    # landmark pair (30..45) is on the image left: it is the subject's RIGHT eye (index 1)
    np.testing.assert_allclose(idx.eye_boxes[0, 1, [0, 2]], [37.5 - 11.25, 37.5 + 11.25])
    np.testing.assert_allclose(idx.eye_boxes[0, 0, [0, 2]], [62.5 - 11.25, 62.5 + 11.25])
    face, left, right = load_sample(idx, 0, face_size=24, eye_size=(12, 20))
    assert face.shape == (24, 24, 3) and left.shape == right.shape == (12, 20, 3)
    assert (
        left[..., 0].mean() > 200 and right[..., 0].mean() < 50
    )  # RGB now: the left eye lies in the red half
    item = FaceIndexDataset(idx, 24, (12, 20))[0]
    assert item["face"].shape == (1, 24, 24) and item["left_eye"].shape == (3, 12, 20)


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda s: s.rsplit(" ", 1)[0], "line 1"),  # 27 fields
        (lambda s: s.replace(" 500.0 0 0 0", " 500.0 abc 0 0"), "gt_x"),  # not a number
        (lambda s: s.rsplit(" ", 1)[0] + " middle", "evaluation_eye"),  # bad eye
        (lambda s: s.replace(" 0 0 0 left", " 0.0 0.0 500.0 left"), "gt - fc"),  # zero gaze vector
    ],
)
def test_mpiifacegaze_errors_name_file_field_value(tmp_path, mutate, field):
    _write_mpii(tmp_path, [mutate(_mpii_line("day01/0001.jpg", (0.0, 0.0, 500.0), (0, 0, 0)))])
    with pytest.raises(DataFormatError) as err:
        read_mpiifacegaze(tmp_path)
    assert "p00.txt" in str(err.value) and field in str(err.value)


# -------------------------------------------------------------------------------------- ETH-XGaze
def test_ethxgaze_h5_bgr_patches_and_pitch_yaw(tmp_path):
    h5py = pytest.importorskip("h5py")
    patches = np.zeros((3, 40, 40, 3), np.uint8)
    patches[..., 0] = 255  # BGR blue
    gaze = np.array([[0.1, -0.2], [0.0, 0.3], [-0.25, 0.05]], np.float32)
    with h5py.File(tmp_path / "subject0003.h5", "w") as h5:
        h5["face_patch"] = patches
        h5["face_gaze"] = gaze
        h5["face_head_pose"] = np.zeros((3, 2), np.float32)
    idx = read_ethxgaze(tmp_path)
    np.testing.assert_allclose(idx.pitchyaw_rad, gaze)  # already (pitch, yaw) in our convention
    assert list(idx.subject_ids) == ["subject0003"] * 3 and idx.h5_rows.tolist() == [0, 1, 2]
    face, _left, _right = load_sample(idx, 2, face_size=20, eye_size=(6, 10))
    assert face.shape == (20, 20, 3) and tuple(face[0, 0]) == (0, 0, 255)  # RGB blue
    with h5py.File(tmp_path / "bad.h5", "w") as h5:
        h5["face_patch"] = patches
    with pytest.raises(DataFormatError, match=r"bad\.h5.*face_gaze"):
        read_ethxgaze(tmp_path / "bad.h5")
    with h5py.File(tmp_path / "bad2.h5", "w") as h5:
        h5["face_patch"] = patches
        h5["face_gaze"] = np.zeros((2, 2))
    with pytest.raises(DataFormatError, match=r"bad2.h5.*face_gaze.*\(2, 2\)"):
        read_ethxgaze(tmp_path / "bad2.h5")


# ---------------------------------------------------------------------------------------- Gaze360
def _cell(strings):
    cell = np.empty((1, len(strings)), dtype=object)
    for i, s in enumerate(strings):
        cell[0, i] = np.array([s])
    return cell


def _write_gaze360(root, face_bbox_missing=1, **override):
    import scipy.io as scipy_io  # scipy is a core dependency

    n = 3
    t = math.radians(10.0)
    meta = {
        "recordings": _cell(["rec_000", "rec_001"]),
        "splits": _cell(["train", "val", "test", "unused"]),
        "recording": np.array([[0, 1, 1]]),
        "person_identity": np.array([[1, 2, 2]]),
        "frame": np.array([[5, 6, 7]]),
        "split": np.array([[0, 1, 2]]),
        "gaze_dir": np.array(
            [[0.0, 0.0, -1.0], [math.sin(t), 0.0, -math.cos(t)], [0.0, math.sin(t), -math.cos(t)]]
        ),
        "person_head_bbox": np.tile([0.2, 0.1, 0.2, 0.4], (n, 1)),
        "person_face_bbox": np.tile([0.25, 0.15, 0.1, 0.2], (n, 1)),
        "person_eye_left_bbox": np.tile([0.3, 0.2, 0.02, 0.02], (n, 1)),
        "person_eye_right_bbox": np.tile([-1.0, -1.0, -1.0, -1.0], (n, 1)),
        "person_body_bbox": np.tile([0.1, 0.1, 0.5, 0.8], (n, 1)),
    }
    if face_bbox_missing is not None:
        meta["person_face_bbox"][face_bbox_missing] = -1
    meta.update(override)
    scipy_io.savemat(str(root / "metadata.mat"), meta)
    for rec, person, frame in (("rec_000", 1, 5), ("rec_001", 2, 6), ("rec_001", 2, 7)):
        d = root / "imgs" / rec / "head" / f"{person:06d}"
        d.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(d / f"{frame:06d}.jpg"), np.full((80, 40, 3), 128, np.uint8))


def test_gaze360_metadata_mat(tmp_path, capsys):
    _write_gaze360(tmp_path)
    idx = read_gaze360(tmp_path)
    assert "skipped 1 of 3" in capsys.readouterr().out
    assert len(idx) == 2 and list(idx.split) == ["train", "test"]
    np.testing.assert_allclose(np.degrees(idx.pitchyaw_rad), [[0, 0], [10, 0]], atol=1e-6)
    assert idx.image_paths[1].endswith("imgs/rec_001/head/000002/000007.jpg")
    # face box mapped into the head crop: x0 = (0.25 - 0.2) / 0.2, width 0.1 / 0.2
    np.testing.assert_allclose(idx.face_boxes[0], [0.25, 0.125, 0.75, 0.625])
    assert np.isnan(idx.eye_boxes[0, 1]).all() and np.isfinite(idx.eye_boxes[0, 0]).all()
    face, _left, right = load_sample(
        idx, 0, face_size=16, eye_size=(6, 10)
    )  # right eye from the geometry rule
    assert face.shape == (16, 16, 3) and right.shape == (6, 10, 3)


def test_gaze360_errors_name_field(tmp_path):
    _write_gaze360(tmp_path, recording=np.array([[0, 1, 5]]))
    with pytest.raises(DataFormatError, match=r"metadata.mat.*recording\[2\].*5"):
        read_gaze360(tmp_path)
    _write_gaze360(tmp_path, gaze_dir=np.zeros((3, 2)))
    with pytest.raises(DataFormatError, match="gaze_dir"):
        read_gaze360(tmp_path)


# ---------------------------------------------------------------------------------------- geometry
def test_eye_rule_and_array_dataset():
    boxes = eye_boxes_from_face_boxes(np.array([[0.0, 0.0, 100.0, 100.0]]))
    centres = boxes[0, :, [0, 2]].mean(axis=0)
    np.testing.assert_allclose(centres, [100 * EYE_RULE["centre_x"][0], 100 * EYE_RULE["centre_x"][1]])
    assert boxes[0, 0, 0] > boxes[0, 1, 0]  # subject's left eye is on the image right
    arrays = generate_synthetic_faces(4, seed=0, config=SyntheticFaceConfig(face_size=16, eye_size=(8, 12)))
    item = FaceArrayDataset(arrays)[1]
    assert item["face"].shape == (1, 16, 16) and item["face"].min() >= 0.0 and item["face"].max() <= 1.0
    assert item["right_eye"].shape == (3, 8, 12) and item["pitchyaw_rad"].shape == (2,)
