"""Every issue-16 baseline trains and evaluates end to end on synthetic data (1-2 epochs, 32 px).

Not a learning test (tests/functional/learning has those): it checks that each baseline's inputs are
decoded, its task runs, a run folder with metrics and predictions appears, and the CLI accepts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.training.skill_run import train_run

SMALL = ["data.frame_px=32", "data.crop_px=16", "data.num_val_clips=2", "trainer.progress_bar=false"]
BASELINES = ["x3d_xs", "egotrigger", "beholder", "naive_teacher", "egoexolearn"]


@pytest.fixture(scope="module")
def video_teacher(small_skill_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(
        "timesformer_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "trainer.max_epochs=1",
            "model.args={backbone: {patch_size: 8}}",
        ],
    )
    return train_run(cfg, tmp_path_factory.mktemp("runs") / "timesformer")


def _metrics(run_dir: Path) -> dict:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert (run_dir / "predictions.csv").is_file() and (run_dir / "model.safetensors").is_file()
    return metrics


@pytest.mark.parametrize("baseline", BASELINES)
def test_baseline_trains_and_evaluates(baseline: str, small_skill_dataset: Path, tmp_path: Path) -> None:
    cfg = load_config(
        f"{baseline}_tiny", [f"data.root={small_skill_dataset}", *SMALL, "trainer.max_epochs=1"]
    )
    metrics = _metrics(train_run(cfg, tmp_path / baseline))
    assert metrics["num_takes"] == 24 and 0.0 <= metrics["overall_accuracy"] <= 1.0


def test_egodistill_reconstructs_the_teacher_feature(
    small_skill_dataset: Path, video_teacher: Path, tmp_path: Path
) -> None:
    cfg = load_config(
        "egodistill_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "trainer.max_epochs=2",
            f"task.teacher_run={video_teacher}",
        ],
    )
    run = train_run(cfg, tmp_path / "egodistill")
    metrics = _metrics(run)
    assert metrics["input_names"] == ["sparse_frames", "head_motion", "head_motion_mask"]
    spec = json.loads((run / "model.json").read_text())
    assert spec["model_args"]["teacher_feature_dim"] == 64  # the tiny TimeSformer's width


def test_egodistill_refuses_a_teacher_with_another_clip_protocol(
    small_skill_dataset: Path, video_teacher: Path, tmp_path: Path
) -> None:
    from skillsight.exceptions import ConfigError

    cfg = load_config(
        "egodistill_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "data.sample_fps=1.0",
            f"task.teacher_run={video_teacher}",
        ],
    )
    with pytest.raises(ConfigError, match="cut its clips differently"):
        train_run(cfg, tmp_path / "egodistill")


def test_cli_trains_a_new_baseline(small_skill_dataset: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("skillsight")
    sets = [arg for s in [*SMALL, "trainer.max_epochs=1"] for arg in ("--set", s)]
    args = [
        "train",
        "baseline",
        "--baseline",
        "x3d_xs",
        "--config",
        "tiny",
        "--data",
        str(small_skill_dataset),
    ]
    proc = subprocess.run(
        [str(exe), *args, "--out", str(tmp_path / "x3d"), *sets],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _metrics(tmp_path / "x3d")["model_name"] == "x3d_xs_tiny"
    power = subprocess.run(
        [str(exe), "power", str(tmp_path / "x3d")], capture_output=True, text=True, timeout=300
    )
    assert power.returncode == 0 and "total P" in power.stdout
