"""Synthetic faces: seeded, shaped as documented, and the iris really encodes the eye rotation."""

import numpy as np
import pytest

from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces

CFG = SyntheticFaceConfig(face_size=32, eye_size=(16, 24))


def test_shapes_dtypes_and_determinism():
    a = generate_synthetic_faces(40, seed=3, config=CFG)
    b = generate_synthetic_faces(40, seed=3, config=CFG)
    c = generate_synthetic_faces(40, seed=4, config=CFG)
    assert a.face_rgb.shape == (40, 32, 32, 3) and a.face_rgb.dtype == np.uint8
    assert a.left_eye.shape == a.right_eye.shape == (40, 16, 24, 3)
    assert a.pitchyaw_rad.shape == (40, 2) and a.pitchyaw_rad.dtype == np.float32
    np.testing.assert_array_equal(a.face_rgb, b.face_rgb)
    np.testing.assert_array_equal(a.left_eye, b.left_eye)
    assert not np.array_equal(a.face_rgb, c.face_rgb)
    limit = np.radians(CFG.head_range_deg + CFG.eye_range_deg)
    assert np.all(np.abs(a.pitchyaw_rad) <= limit + 1e-6)
    assert len(a.subset(np.arange(5))) == 5


def test_iris_position_follows_eye_in_head_yaw():
    cfg = SyntheticFaceConfig(face_size=32, eye_size=(24, 40), droop_max=0.0, blur_max_px=0.0, noise_max=0.0)
    f = generate_synthetic_faces(200, seed=0, config=cfg)
    eye_yaw = f.pitchyaw_rad[:, 1] - f.head_pitchyaw_rad[:, 1]
    eye_pitch = f.pitchyaw_rad[:, 0] - f.head_pitchyaw_rad[:, 0]
    gray = f.left_eye.astype(float).mean(-1)  # (N, h, w)
    dark = gray < np.percentile(gray, 8, axis=(1, 2), keepdims=True)  # pupil + iris pixels
    xs = np.arange(gray.shape[2])[None, None, :]
    ys = np.arange(gray.shape[1])[None, :, None]
    cx = (dark * xs).sum((1, 2)) / dark.sum((1, 2))
    cy = (dark * ys).sum((1, 2)) / dark.sum((1, 2))
    # positive yaw moves the iris to the image left, positive pitch moves it up
    assert np.corrcoef(cx, eye_yaw)[0, 1] < -0.6
    assert np.corrcoef(cy, eye_pitch)[0, 1] < -0.5


def test_bad_config_raises():
    with pytest.raises(ConfigError, match="face_size"):
        SyntheticFaceConfig(face_size=8)
    with pytest.raises(ConfigError, match="n >= 1"):
        generate_synthetic_faces(0, seed=0, config=CFG)
