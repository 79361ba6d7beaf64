"""Leave-one-person-out on an MPIIFaceGaze-layout folder: one fold per subject, the held-out subject is the
fold's evaluation set, and the summary is the mean of the fold means (the dataset's reported figure)."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skillsight.config import load_config
from skillsight.exceptions import ConfigError
from skillsight.projects.gaze_estimation.protocols import leave_one_person_out, summarise_folds

SAMPLES = {"p00": 4, "p01": 2, "p02": 6}  # training sets of 8, 10, 6: no batch of 1 at batch 4


def _write_subject(root: Path, subject: str, n: int, seed: int) -> None:
    """``n`` annotated samples of one subject in the MPIIFaceGaze layout (pXX/pXX.txt + images)."""
    rng = np.random.default_rng(seed)
    (root / subject / "day01").mkdir(parents=True)
    lines = []
    for i in range(n):
        image = f"day01/{i:04d}.jpg"
        cv2.imwrite(str(root / subject / image), rng.integers(0, 255, (100, 100, 3), dtype=np.uint8))
        landmarks = [30, 40, 45, 40, 55, 40, 70, 40, 40, 70, 60, 70]
        head = [0.1, -0.2, 0.05, 10.0, 20.0, 500.0]
        fc, gt = (0.0, 0.0, 500.0), (*rng.uniform(-100, 100, 2).round(1), 0.0)
        lines.append(" ".join(str(f) for f in [image, 800, 600, *landmarks, *head, *fc, *gt, "left"]))
    (root / subject / f"{subject}.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture()
def mpii(tmp_path: Path) -> Path:
    root = tmp_path / "MPIIFaceGaze"
    for k, (subject, n) in enumerate(SAMPLES.items()):
        _write_subject(root, subject, n, seed=k)
    return root


def test_every_subject_is_one_folds_evaluation_set_and_the_summary_is_the_mean_of_fold_means(mpii, tmp_path):
    from skillsight.cli.gaze import app

    args = ["lopo", "--out", str(tmp_path / "lopo"), "--data-root", str(mpii), "--config", "privigaze_tiny"]
    for override in (
        "task.mode=plain_student",
        "task.student_epochs=1",
        "data.face_size=32",
        "data.batch_size=4",
        "trainer.accelerator=cpu",
        "trainer.progress_bar=false",
    ):
        args += ["--set", override]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "student: leave-one-person-out mean angular error" in result.output
    report = json.loads((tmp_path / "lopo" / "lopo.json").read_text())
    assert report["subjects"] == sorted(SAMPLES)
    for subject, n in SAMPLES.items():
        fold = json.loads((tmp_path / "lopo" / f"fold_{subject}" / "config.json").read_text())
        assert fold["data"]["val_subjects"] == [subject] and fold["data"]["test_subjects"] == []
        assert report["per_fold"][subject]["student"]["n"] == n  # evaluated on exactly that subject
    means = [report["per_fold"][s]["student"]["mean_deg"] for s in SAMPLES]
    summary = report["summary"]["student"]
    assert summary["mean_of_fold_means_deg"] == pytest.approx(np.mean(means))
    assert summary["std_of_fold_means_deg"] == pytest.approx(np.std(means))
    weights = np.array(list(SAMPLES.values()))
    assert summary["sample_pooled_mean_deg"] == pytest.approx(
        (np.array(means) * weights).sum() / weights.sum()
    )
    assert summary["folds"] == 3


def test_summary_pools_by_samples_and_folds_by_mean() -> None:
    folds = {"a": {"student": {"mean_deg": 2.0, "n": 1}}, "b": {"student": {"mean_deg": 5.0, "n": 3}}}
    s = summarise_folds(folds)["student"]
    assert (s["mean_of_fold_means_deg"], s["sample_pooled_mean_deg"], s["std_of_fold_means_deg"]) == (
        3.5,
        4.25,
        1.5,
    )


def test_other_datasets_unknown_subjects_and_a_single_subject_are_refused(mpii, tmp_path) -> None:
    synthetic = load_config("privigaze_tiny", [], method="gaze")
    with pytest.raises(ConfigError, match="MPIIFaceGaze's protocol, got 'synthetic'"):
        leave_one_person_out(synthetic, tmp_path / "x")
    cfg = load_config("privigaze_tiny", ["data.dataset=mpiifacegaze", f"data.root={mpii}"], method="gaze")
    with pytest.raises(ConfigError, match=r"subjects \['p09'\] are not in"):
        leave_one_person_out(cfg, tmp_path / "x", subjects=["p09"])
    with pytest.raises(ConfigError, match="at least 2 subjects"):
        leave_one_person_out(cfg, tmp_path / "x", subjects=["p00"])
