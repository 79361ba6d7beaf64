"""Face video -> student -> GazeTrack -> gaze features: the estimator feeds the gaze-only models."""

import math

import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.gaze.tracks import GazeTrack
from skillsight.models import create_model
from skillsight.projects.gaze_estimation.pipeline import gaze_track_from_predictions, predict_gaze
from skillsight.projects.gaze_estimation.readers import FaceArrayDataset
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces


def test_face_frame_angles_become_cpf_angles():
    t = np.array([0, 33_333, 66_666])
    pitch = np.radians([0.0, 0.0, 10.0])
    yaw = np.radians([0.0, 10.0, 0.0])
    track = gaze_track_from_predictions(t, pitch, yaw)
    # +yaw in the face-camera frame looks to the subject's right; CPF yaw is positive to the left
    np.testing.assert_allclose(np.degrees(track.yaw_rad), [0.0, -10.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(np.degrees(track.pitch_rad), [0.0, 0.0, 10.0], atol=1e-9)  # atan(y/z) at yaw 0
    assert np.isnan(track.depth_m).all() and not track.depth_valid.any() and track.layout == "privigaze"
    # off-axis: CPF pitch is atan(y / z), not asin(y)
    both = gaze_track_from_predictions(np.array([0]), np.radians([20.0]), np.radians([30.0]))
    assert both.pitch_rad[0] == pytest.approx(
        math.atan(math.tan(math.radians(20)) / math.cos(math.radians(30)))
    )
    with pytest.raises(DataFormatError, match="strictly increase"):
        gaze_track_from_predictions(np.array([0, 0]), np.zeros(2), np.zeros(2))
    with pytest.raises(DataFormatError, match="behind"):
        gaze_track_from_predictions(np.array([0]), np.zeros(1), np.radians([120.0]))


def test_frames_student_gazetrack_features_end_to_end():
    frames = generate_synthetic_faces(60, seed=5, config=SyntheticFaceConfig(face_size=32, eye_size=(16, 24)))
    student = create_model("test_privigaze_student")
    pred = predict_gaze(student, FaceArrayDataset(frames))  # (60, 2) pitch, yaw radians
    assert pred.shape == (60, 2) and np.isfinite(pred).all()
    timestamps_us = np.arange(60, dtype=np.int64) * 33_333  # 30 fps face video
    track = gaze_track_from_predictions(timestamps_us, pred[:, 0], pred[:, 1], source="face.mp4")
    assert isinstance(track, GazeTrack) and len(track) == 60
    from skillsight.gaze import features

    stats = features.gaze_features(track)
    assert stats["duration_s"] == pytest.approx(59 * 0.033333, rel=1e-4)
    assert stats["sampling_rate_hz"] == pytest.approx(30.0, rel=1e-3)
    assert stats["valid_fraction"] == pytest.approx(1.0) and math.isnan(stats["depth_mean_m"])
