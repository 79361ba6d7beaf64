"""Torch Dataset over soccer samples: feature transforms and per-fold normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.data.records import Motion
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.soccer.dataset import (
    SoccerTorchDataset,
    fit_normaliser,
    transform_gaze,
    transform_motion,
)
from skillsight.projects.soccer.reader import SoccerSample

GAZE_NAMES = ("gp0", "gp30", "gp31", "gp32")
MOTION_NAMES = tuple(
    f"{b}-{f}-{a}" for b in ("01", "02") for f, axes in (("X", "xyz"), ("V", "xyz")) for a in axes
)


def _sample(i: int, label: int, with_motion: bool = True, offset: float = 0.0) -> SoccerSample:
    rng = np.random.default_rng(i)
    gaze = rng.normal(size=(4, 4)).astype(np.float32) + offset
    motion = None
    if with_motion:
        motion = Motion(
            values=rng.normal(size=(4, 12)).astype(np.float32) + offset, feature_names=MOTION_NAMES
        )
    return SoccerSample(
        player=1 + i % 2,
        sample_index=i + 1,
        action_id=i % 9,
        action_name="x",
        score=1.0 + 2 * label,
        label=label,
        gaze=gaze,
        gaze_channel_names=GAZE_NAMES,
        motion=motion,
    )


def test_transforms() -> None:
    gaze = np.array([[0.5, 20_000.0, -30_000.0, 500.0]], dtype=np.float32)
    np.testing.assert_array_equal(transform_gaze(gaze, GAZE_NAMES), [[0.5, 10_000.0, -10_000.0, 500.0]])
    motion = np.zeros((2, 12), dtype=np.float32)
    motion[:, 0:3] = [[1.0, 2.0, 3.0], [2.0, 2.0, 3.0]]  # hips X
    motion[:, 6:9] = [[1.5, 2.0, 3.5], [2.5, 2.0, 3.0]]  # bone 02 X
    motion[:, 3:6] = 7.0  # hips V untouched
    out = transform_motion(motion, MOTION_NAMES)
    np.testing.assert_allclose(out[:, 0:3], [[0, 0, 0], [1, 0, 0]])
    np.testing.assert_allclose(out[:, 6:9], [[0.5, 0, 0.5], [0.5, 0, 0]])
    np.testing.assert_allclose(out[:, 3:6], 7.0)
    with pytest.raises(DataFormatError, match="02-X-z"):
        transform_motion(motion[:, :8], MOTION_NAMES[:8])


def test_normaliser_is_fitted_on_the_training_fold_only() -> None:
    train = [_sample(i, i % 2) for i in range(6)]
    test = [_sample(10 + i, 1, offset=100.0) for i in range(2)]
    norm = fit_normaliser(train)
    train_ds = SoccerTorchDataset(train, norm)
    gaze = train_ds.tensors["gaze"].reshape(-1, 4)
    torch.testing.assert_close(gaze.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(gaze.std(0, unbiased=False), torch.ones(4), atol=1e-4, rtol=0)
    # The test fold is shifted by +100 and is NOT re-centred (its statistics are never used).
    test_ds = SoccerTorchDataset(test, norm)
    assert float(test_ds.tensors["gaze"][..., 0].mean()) > 10.0
    assert fit_normaliser(train + test).gaze_mean[0] > norm.gaze_mean[0] + 10


def test_items_missing_motion_and_teacher_features() -> None:
    samples = [_sample(0, 0), _sample(1, 1, with_motion=False)]
    norm = fit_normaliser(samples)
    ds = SoccerTorchDataset(samples, norm, teacher_features=np.ones((2, 3)))
    item = ds[1]
    assert set(item) == {
        "gaze",
        "gaze_mask",
        "motion",
        "motion_mask",
        "label",
        "action",
        "has_motion",
        "teacher_features",
    }
    assert not item["has_motion"] and not item["motion_mask"].any() and not item["motion"].any()
    assert ds[0]["motion_mask"].all() and int(item["label"]) == 1 and int(item["action"]) == 1
    gaze_only = SoccerTorchDataset(samples, norm, ("gaze", "gaze_mask"))
    assert "motion" not in gaze_only.tensors and "motion" not in gaze_only[0]


def test_dataset_errors() -> None:
    no_motion = [_sample(0, 0, with_motion=False)]
    norm = fit_normaliser(no_motion)
    with pytest.raises(ConfigError, match="without motion"):
        SoccerTorchDataset(no_motion, norm)
    with pytest.raises(ConfigError, match="unknown"):
        SoccerTorchDataset(no_motion, norm, ("video",))
    with pytest.raises(ConfigError, match="rows"):
        SoccerTorchDataset(no_motion, norm, ("gaze",), teacher_features=np.ones((3, 2)))
    with pytest.raises(ConfigError):
        fit_normaliser([])
