"""From an Ego-Exo4D-layout folder whose test split has no labels to a valid leaderboard file, CLI only.

The synthetic dataset's test annotation file is replaced by what the benchmark publishes: a bare JSON
list of take names, without labels. The true labels are kept aside to score the exported file the way
the official script does (softmax per view, mean over the exo views, combined = mean over ego + exos).
Also: a gaze-only model trains on a download without videos, a run without a test file says that it
skipped the test evaluation, and misused options fail with one line.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skillsight.config import load_config
from skillsight.evaluation.egoexo4d_format import evaluate_files
from skillsight.exceptions import ConfigError
from skillsight.training.skill_run import train_run

FAST = [
    "--set", "trainer.max_epochs=1", "--set", "trainer.progress_bar=false",
    "--set", "data.num_val_clips=1", "--set", "data.num_test_clips=2",
]  # fmt: skip
FAST_LIB = [a for a in FAST if a != "--set"]


def _cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("skillsight")
    return subprocess.run(
        [str(exe), *args], capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})}
    )


def _one_line_error(result: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def unlabelled(small_skill_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """(dataset root whose test file is the official-style list of take names, {take name: true label})."""
    root = tmp_path_factory.mktemp("unlabelled") / "data"
    shutil.copytree(small_skill_dataset, root)
    test_file = root / "annotations" / "proficiency_demonstrator_test.json"
    records = json.loads(test_file.read_text())["annotations"]
    names = {t["take_uid"]: t["take_name"] for t in json.loads((root / "takes.json").read_text())}
    labels = ("Novice", "Early Expert", "Intermediate Expert", "Late Expert")
    truth = {names[r["take_uid"]]: labels.index(r["proficiency_score"]) for r in records}
    test_file.write_text(json.dumps(sorted(truth)))  # a bare list of take names, no labels
    return root, truth


@pytest.fixture(scope="module")
def gaze_run(unlabelled: tuple[Path, dict], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    root, _ = unlabelled
    run = tmp_path_factory.mktemp("runs") / "gaze_only"
    result = _cli(
        "train", "baseline", "--baseline", "gaze_only", "--data", str(root), "--out", str(run), *FAST
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return run, result.stdout + result.stderr


def _official_scores(entry: dict, truth: dict[str, int]) -> dict[str, float]:
    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    ego = softmax(np.asarray(entry["ego_model_predictions"], dtype=float))  # (N, 4)
    exo = softmax(np.asarray(entry["exo_model_predictions"], dtype=float))  # (N, V, 4)
    y = np.asarray([truth[v] for v in entry["videos"]])
    combined = np.concatenate([ego[:, None], exo], axis=1).mean(1)
    return {
        "ego": float((ego.argmax(-1) == y).mean()),
        "exo": float((exo.mean(1).argmax(-1) == y).mean()),
        "combined": float((combined.argmax(-1) == y).mean()),
    }


def test_training_on_an_unlabelled_test_split_predicts_it_and_scores_val(gaze_run) -> None:
    run, output = gaze_run
    assert "test: 24 takes without labels" in output and "predicted, not scored" in output
    assert "val: 24 takes, accuracy" in output
    result = [ln for ln in output.splitlines() if ln.startswith("result: ")]  # the run's one-line result
    assert len(result) == 1 and "val_overall_accuracy" in result[0] and f"run {run}" in result[0]
    assert (run / "predictions_test.csv").is_file() and (run / "metrics_val.json").is_file()
    assert not (run / "metrics_test.json").exists() and not (run / "metrics.json").exists()
    rows = list(csv.DictReader((run / "predictions_test.csv").read_text().splitlines()))
    assert len(rows) == 24 and all(r["label"] == "" and r["take_name"] for r in rows)


def test_predict_export_and_score_like_the_official_script(gaze_run, unlabelled, tmp_path: Path) -> None:
    run, _ = gaze_run
    _, truth = unlabelled
    predicted = _cli("predict", str(run), "--split", "test")
    assert predicted.returncode == 0, predicted.stderr
    assert "test: 24 takes predicted (0 labelled)" in predicted.stdout
    official_list = tmp_path / "test_takes.json"
    order = list(np.random.default_rng(0).permutation(sorted(truth)))
    official_list.write_text(json.dumps(order))
    out = tmp_path / "submission.json"
    exported = _cli(
        "export-predictions",
        str(run),
        "--format",
        "egoexo4d",
        "--takes",
        str(official_list),
        "--out",
        str(out),
    )
    assert exported.returncode == 0, exported.stderr
    entry = json.loads(out.read_text())
    assert sorted(entry) == ["ego_model_predictions", "exo_model_predictions", "videos"]
    assert entry["videos"] == order
    assert np.asarray(entry["ego_model_predictions"]).shape == (24, 4)
    assert np.asarray(entry["exo_model_predictions"]).shape == (24, 4, 4)
    rows = {
        r["take_name"]: r for r in csv.DictReader((run / "predictions_test.csv").read_text().splitlines())
    }
    own = np.mean([int(rows[name]["predicted"]) == truth[name] for name in order])
    scores = _official_scores(entry, truth)
    assert scores["ego"] == scores["exo"] == scores["combined"] == pytest.approx(own)  # a single-model entry
    # on the labelled validation split the same file, scored officially, gives the run's own val accuracy
    val_out, val_truth = tmp_path / "val_submission.json", tmp_path / "val_truth.json"
    val = _cli(
        "export-predictions",
        str(run),
        "--split",
        "val",
        "--out",
        str(val_out),
        "--ground-truth-out",
        str(val_truth),
    )
    assert val.returncode == 0, val.stderr
    val_scores = evaluate_files(val_truth, val_out)
    own_val = json.loads((run / "metrics_val.json").read_text())["overall_accuracy"]
    assert val_scores["ego"]["overall"] == val_scores["combined"]["overall"] == pytest.approx(own_val)
    # a take of the list the run has no prediction for is refused, by name
    official_list.write_text(json.dumps([*order, "uniandes_dance_015_5"]))
    refused = _cli(
        "export-predictions", str(run), "--takes", str(official_list), "--out", str(tmp_path / "x.json")
    )
    assert "uniandes_dance_015_5" in _one_line_error(refused)
    assert not (tmp_path / "x.json").exists()


def test_unlabelled_split_cannot_be_scored_or_reported_but_val_can(gaze_run, tmp_path: Path) -> None:
    run, _ = gaze_run
    line = _one_line_error(_cli("evaluate", str(run), "--split", "test"))
    assert "has no labels" in line and f"skillsight predict {run} --split test" in line
    line = _one_line_error(_cli("report", str(run), "--out", str(tmp_path / "r.html")))
    assert "no test metrics" in line and "predictions but no labels" in line
    report = _cli("report", str(run), "--split", "val", "--out", str(tmp_path / "r.html"))
    assert report.returncode == 0, report.stderr
    assert "<b>val</b> split" in (tmp_path / "r.html").read_text()
    power = _cli("power", str(run))
    assert power.returncode == 0 and (run / "power.json").is_file()


def test_a_gaze_only_model_trains_without_videos_a_video_model_says_why_not(
    small_skill_dataset, tmp_path
) -> None:
    root = tmp_path / "no_video"
    shutil.copytree(small_skill_dataset, root, ignore=shutil.ignore_patterns("*.mp4"))
    cfg = load_config("gaze_only_tiny", [f"data.root={root}", *FAST_LIB])
    lines: list[str] = []
    run = train_run(cfg, tmp_path / "gaze", log=lines.append)
    assert json.loads((run / "metrics_test.json").read_text())["num_takes"] == 24
    assert (run / "data_scan.txt").read_text().startswith("required files: gaze\nkept 72 takes")
    with pytest.raises(ConfigError) as err:
        train_run(load_config("timesformer_tiny", [f"data.root={root}", *FAST_LIB]), tmp_path / "video")
    text = str(err.value)
    assert "no training takes with the files this model needs (video)" in text
    assert "missing video: expected " in text and "holds no *.mp4 file" in text
    assert not (tmp_path / "video").exists(), "nothing is written for a run that cannot start"


def test_no_test_file_says_the_test_evaluation_was_skipped(small_skill_dataset, tmp_path) -> None:
    root = tmp_path / "no_test"
    ignore = shutil.ignore_patterns("*.mp4", "closed_loop_trajectory.csv")
    shutil.copytree(small_skill_dataset, root, ignore=ignore)
    (root / "annotations" / "proficiency_demonstrator_test.json").unlink()
    lines: list[str] = []
    run = train_run(
        load_config("gaze_only_tiny", [f"data.root={root}", *FAST_LIB]), tmp_path / "r", log=lines.append
    )
    assert any("test evaluation skipped" in line for line in lines), lines
    assert "warning: train: 24 of 24 takes have no trajectory" in lines[0] and "static" in lines[0]
    assert any(line.startswith("val: 24 takes") for line in lines), lines
    assert (run / "metrics_val.json").is_file() and not (run / "metrics.json").exists()


def test_misused_options_and_arguments_fail_in_one_line(gaze_run, unlabelled, tmp_path) -> None:
    root, _ = unlabelled
    out = tmp_path / "student"
    line = _one_line_error(
        _cli("train", "student", "--data", str(root), "--teacher", str(gaze_run[0]), "--out", str(out), *FAST)
    )
    assert "gives no clip features to distil from" in line
    out = tmp_path / "teacher"
    line = _one_line_error(
        _cli(
            "train",
            "teacher",
            "--data",
            str(root),
            "--out",
            str(out),
            "--set",
            "model.args.pretrained_dir=/x",
        )
    )
    assert "takes no argument 'pretrained_dir'" in line and "video_pretrained_dir" in line
    assert not out.exists(), "an unknown model argument fails before anything is written"
