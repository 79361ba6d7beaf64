"""A run trained from a local pretrained folder keeps working after the run moves and the folder is gone."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from skillsight.config import load_config
from skillsight.evaluation.predictions_file import read_predictions_csv
from skillsight.training.skill_run import evaluate_run, train_run


def test_a_moved_run_evaluates_without_its_original_weights_folder(small_skill_dataset, tmp_path) -> None:
    from transformers import TimesformerConfig, TimesformerModel

    from skillsight.models.layers.timesformer_utils import TIMESFORMER_SIZES

    weights = tmp_path / "weights" / "tiny_timesformer"
    TimesformerModel(
        TimesformerConfig(**{**TIMESFORMER_SIZES["tiny"], "image_size": 32, "num_frames": 16})
    ).save_pretrained(weights)
    overrides = [
        f"data.root={small_skill_dataset}",
        "data.frame_px=32",
        "data.num_val_clips=1",
        "data.num_test_clips=2",
        "trainer.max_epochs=1",
        "trainer.progress_bar=false",
        f"model.args.pretrained_dir={weights}",
    ]
    run = train_run(load_config("timesformer_tiny", overrides), tmp_path / "runs" / "timesformer")
    assert (run / "pretrained" / "pretrained_dir" / "config.json").is_file()
    before = read_predictions_csv(run / "predictions_test.csv")
    shutil.rmtree(tmp_path / "weights")
    moved = tmp_path / "archive" / "timesformer"
    shutil.move(str(run), moved)
    metrics = evaluate_run(moved, cache_root=tmp_path / "cache")
    after = read_predictions_csv(moved / "predictions_test.csv")
    np.testing.assert_allclose(after.logits, before.logits, rtol=0, atol=1e-6)
    assert metrics["num_takes"] == 24
    assert str(tmp_path / "weights") not in (moved / "model.json").read_text()


def test_a_refused_resume_copies_no_weights_into_the_run(small_skill_dataset, tmp_path) -> None:
    """``--resume`` with a changed recipe is refused before the pretrained folder is copied in."""
    from skillsight.exceptions import ConfigError
    from skillsight.runs.run_config import save_config

    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "config.json").write_text("{}")
    run = tmp_path / "run"
    common = [f"data.root={small_skill_dataset}", f"model.args.pretrained_dir={weights}"]
    save_config(load_config("timesformer_tiny", [*common, "optim.lr=0.001"]), run / "config.json")
    with pytest.raises(ConfigError, match=r"--resume would change the recipe .*optim\.lr"):
        train_run(load_config("timesformer_tiny", [*common, "optim.lr=0.5"]), run, resume=True)
    assert sorted(p.name for p in run.iterdir()) == ["config.json"]
