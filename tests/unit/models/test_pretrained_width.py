"""A weights folder of another width than the model's config is refused, naming both widths."""

from __future__ import annotations

import pytest

from skillsight.exceptions import ConfigError
from skillsight.models import create_model


def test_teacher_refuses_a_timesformer_folder_of_another_width(tmp_path) -> None:
    from transformers import TimesformerConfig, TimesformerModel

    from skillsight.models.layers.timesformer_utils import TIMESFORMER_SIZES

    folder = tmp_path / "timesformer_test_size"
    TimesformerModel(TimesformerConfig(**TIMESFORMER_SIZES["test"], num_frames=16)).save_pretrained(folder)
    with pytest.raises(ConfigError, match="hidden_size 32 in the folder, 64 requested"):
        create_model("skillsight_teacher_tiny", video_pretrained_dir=str(folder))
    with pytest.raises(ConfigError, match="hidden_size 32 in the folder, 64 requested"):
        create_model("timesformer_video_tiny", pretrained_dir=str(folder))
