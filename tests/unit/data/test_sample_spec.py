"""SampleSpec: which keys an item holds and what they need from a take."""

from __future__ import annotations

import pytest

from skillsight.data.sample_spec import DATASET_KEYS, SampleSpec
from skillsight.exceptions import ConfigError


def test_keys_add_targets_and_label_and_refuse_unknown_names() -> None:
    assert SampleSpec.resolve_keys(("gaze",), ("scenario",)) == {"gaze", "scenario", "label"}
    with pytest.raises(ConfigError, match=r"cannot provide \['crop_features'\]"):
        SampleSpec.resolve_keys(("crop_features",), ())
    assert "sparse_frames" in DATASET_KEYS and "head_motion" in DATASET_KEYS


@pytest.mark.parametrize(
    ("names", "video", "ego", "gaze", "ego_timeline"),
    [
        (("gaze", "gaze_mask"), False, False, True, False),
        (("video",), True, True, False, True),
        (("crops",), True, True, True, True),
        (("exo_video",), True, False, False, False),
        (("sparse_frames",), False, False, False, True),  # decodes ego frames through its builder
        (("head_motion",), False, False, False, False),
    ],
)
def test_what_keys_need(names, video, ego, gaze, ego_timeline) -> None:
    spec = SampleSpec(keys=SampleSpec.resolve_keys(names, ()))
    assert (spec.needs_video, spec.needs_ego_video, spec.needs_gaze, spec.ego_timeline) == (
        video,
        ego,
        gaze,
        ego_timeline,
    )
