"""End to end on synthetic data: teacher -> distilled student, CLI resume, a 2-process DDP step."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.training.skill_run import evaluate_run, train_run

# The module fixture trains a real (tiny) teacher run: on a loaded 2-core machine that alone can pass the
# 300 s default per-test timeout, which counts fixture setup in the first test that uses it.
pytestmark = pytest.mark.timeout(1200)

SMALL = ["data.frame_px=32", "data.crop_px=16", "data.num_val_clips=2", "trainer.progress_bar=false"]


def _cli(*args: str, env: dict | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("skillsight")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )


@pytest.fixture(scope="module")
def teacher_run(small_skill_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    cfg = load_config(
        "teacher_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "trainer.max_epochs=6",
            "model.args={video: {patch_size: 8}}",
        ],
    )
    return train_run(cfg, tmp_path_factory.mktemp("runs") / "teacher")


def test_teacher_run_folder_and_accuracy_above_chance(teacher_run: Path):
    for name in (
        "config.json",
        "vocab.json",
        "model.json",
        "model.safetensors",
        "metrics.json",
        "predictions.csv",
        "checkpoints/last.ckpt",
    ):
        assert (teacher_run / name).exists(), name
    metrics = json.loads((teacher_run / "metrics.json").read_text())
    assert metrics["num_takes"] == 24
    assert set(metrics["sensors"]) == {"rgb", "eye_tracker"}
    assert metrics["overall_accuracy"] > 0.25, "the teacher should beat chance (4 balanced classes)"


def test_evaluation_is_deterministic(teacher_run: Path):
    first = (teacher_run / "predictions.csv").read_text()
    evaluate_run(teacher_run)
    assert (teacher_run / "predictions.csv").read_text() == first


def test_student_distils_from_teacher_run(teacher_run: Path, small_skill_dataset: Path):
    cfg = load_config(
        "student_tiny",
        [
            f"data.root={small_skill_dataset}",
            *SMALL,
            "trainer.max_epochs=2",
            f"task.teacher_run={teacher_run}",
        ],
    )
    run = train_run(cfg, teacher_run.parent / "student")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["input_names"] == ["gaze", "gaze_mask", "gaze_channel_mask"]
    assert metrics["sensors"] == ["eye_tracker"]
    logs = (run / "logs" / "metrics.csv").read_text().splitlines()
    assert "train/distill_l1" in logs[0], "distillation loss must be logged (it is on by default)"


def test_cli_resume_continues_after_a_stop(small_skill_dataset: Path, tmp_path: Path):
    common = [
        "train",
        "baseline",
        "--config",
        "tiny",
        "--data",
        str(small_skill_dataset),
        "--out",
        str(tmp_path / "run"),
        "--set",
        "trainer.progress_bar=false",
        "--set",
        "data.num_val_clips=1",
    ]
    first = _cli(*common, "--set", "trainer.max_epochs=1")
    assert first.returncode == 0, first.stderr[-2000:]
    resumed = _cli(*common, "--set", "trainer.max_epochs=2", "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with (tmp_path / "run" / "logs" / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    steps = {int(r["epoch"]): int(r["step"]) for r in rows}
    assert sorted(steps) == [0, 1], "epoch 0's log kept, epoch 1 ran after the resume"
    assert steps[1] > steps[0], "the global step continued from the checkpoint (epoch 0 was not re-run)"


def test_cli_resume_without_checkpoint_fails_cleanly(small_skill_dataset: Path, tmp_path: Path):
    result = _cli(
        "train", "baseline", "--data", str(small_skill_dataset), "--out", str(tmp_path / "none"), "--resume"
    )
    assert result.returncode == 2
    assert "nothing to resume" in result.stderr


def test_ddp_two_cpu_processes_one_step(small_skill_dataset: Path, tmp_path: Path):
    result = _cli(
        "train",
        "baseline",
        "--config",
        "tiny",
        "--data",
        str(small_skill_dataset),
        "--out",
        str(tmp_path / "ddp"),
        "--set",
        "trainer.devices=2",
        "--set",
        "trainer.strategy=ddp",
        "--set",
        "trainer.max_steps=1",
        "--set",
        "trainer.progress_bar=false",
        "--set",
        "data.num_val_clips=1",
        env={"MASTER_PORT": "29517"},
    )
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-3000:]
    assert out.count("result: ") == 1, "rank 0 reports the run's one-line result, once"
    assert (tmp_path / "ddp" / "model.safetensors").is_file()
