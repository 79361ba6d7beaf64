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
from typing import Any

import pytest
import torch

from skillsight.config import load_config
from skillsight.models import create_model
from skillsight.runs.checkpoint import load_model
from skillsight.training import skill_run
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


def test_egodistill_reconstructs_the_teacher_feature_from_its_pretrained_motion_encoder(
    small_skill_dataset: Path, video_teacher: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The preset pretrains the head-motion encoder first (RUN/motion_pretrain/, the one training loop);
    the distillation stage starts from exactly the weights that stage saved."""
    cfg = load_config(
        "egodistill_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "trainer.max_epochs=2",
            "task.motion_pretrain_epochs=2",
            f"task.teacher_run={video_teacher}",
        ],
    )
    started_from: list[dict[str, torch.Tensor]] = []

    class SpyDistillationTask(skill_run.DistillationTask):
        def __init__(self, model: torch.nn.Module, *args: Any, **kwargs: Any) -> None:
            started_from.append({k: v.clone() for k, v in model.motion_encoder.state_dict().items()})
            super().__init__(model, *args, **kwargs)

    monkeypatch.setattr(skill_run, "DistillationTask", SpyDistillationTask)
    run = train_run(cfg, tmp_path / "egodistill")
    metrics = _metrics(run)
    assert metrics["input_names"] == ["sparse_frames", "head_motion", "head_motion_mask"]
    spec = json.loads((run / "model.json").read_text())
    assert spec["model_args"]["teacher_feature_dim"] == 64  # the tiny TimeSformer's width

    stage = run / "motion_pretrain"
    assert (stage / "model.safetensors").is_file() and (stage / "checkpoints" / "last.ckpt").is_file()
    summary = json.loads((stage / "summary.json").read_text())
    assert summary["epochs"] == 2 and len(summary["motion_nce_per_epoch"]) == 2
    saved = load_model(stage / "model").motion_encoder.state_dict()
    fresh = create_model("egodistill_tiny", **spec["model_args"]).motion_encoder.state_dict()
    assert len(started_from) == 1 and set(started_from[0]) == set(saved)
    loaded = all(torch.equal(started_from[0][k], saved[k]) for k in saved)
    assert loaded, "the distillation stage must start from the saved encoder"
    assert not all(torch.equal(fresh[k], saved[k]) for k in saved), "the pretraining stage changed nothing"
    final = load_model(run / "model").motion_encoder.state_dict()
    assert not torch.equal(final["conv1.weight"], saved["conv1.weight"]), "distillation trains it further"


def test_egodistill_resume_reuses_a_complete_pretraining_stage(
    small_skill_dataset: Path, video_teacher: Path, tmp_path: Path
) -> None:
    sets = [
        f"data.root={small_skill_dataset}",
        *SMALL,
        "task.motion_pretrain_epochs=1",
        f"task.teacher_run={video_teacher}",
    ]
    run = tmp_path / "egodistill"
    lines: list[str] = []
    train_run(load_config("egodistill_tiny", [*sets, "trainer.max_epochs=1"]), run, log=lines.append)
    assert any(line.startswith("motion pretraining: 1 epochs, InfoNCE ") for line in lines), lines
    pretrained = (run / "motion_pretrain" / "model.safetensors").read_bytes()
    lines.clear()
    longer = load_config("egodistill_tiny", [*sets, "trainer.max_epochs=2"])
    train_run(longer, run, resume=True, log=lines.append)
    assert any("motion pretraining: complete in" in line and "reused" in line for line in lines), lines
    assert (run / "motion_pretrain" / "model.safetensors").read_bytes() == pretrained


def test_motion_pretraining_refuses_a_model_without_a_motion_encoder(
    small_skill_dataset: Path, tmp_path: Path
) -> None:
    from skillsight.exceptions import ConfigError

    cfg = load_config(
        "x3d_xs_tiny", [f"data.root={small_skill_dataset}", *SMALL, "task.motion_pretrain_epochs=1"]
    )
    with pytest.raises(ConfigError, match=r"applies to EgoDistill.*'x3d_xs_tiny' has no frame_encoder"):
        train_run(cfg, tmp_path / "x3d")
    assert not (tmp_path / "x3d").exists(), "refused before anything is written"


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
