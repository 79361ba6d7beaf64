"""`skillsight rank synth|train|eval` end to end on a tiny synthetic set; evaluation is deterministic."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from skillsight.cli.rank import app, parse_model_args
from skillsight.exceptions import ConfigError


def test_parse_model_args() -> None:
    assert parse_model_args(["num_segments=8", "attention=none", "fusion_dims=[8, 4]"]) == {
        "num_segments": 8,
        "attention": "none",
        "fusion_dims": [8, 4],
    }
    with pytest.raises(ConfigError):
        parse_model_args(["oops"])


def test_synth_train_eval(tmp_path: Path) -> None:
    runner = CliRunner()
    data, run = tmp_path / "data", tmp_path / "run"
    result = runner.invoke(app, ["synth", str(data), "--videos", "8", "--frames", "12", "--size", "32"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "train",
            "--annotations",
            str(data / "annotations"),
            "--task",
            "synthetic_drawing",
            "--videos",
            str(data / "videos"),
            "--out",
            str(run),
            "--model",
            "test_attention_rnn",
            "--folds",
            "1,2",
            "--epochs",
            "1",
            "--batch-size",
            "4",
            "--in-memory",
            "--flow-cache",
            str(tmp_path / "flow"),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    acc = metrics["ranking_accuracy"]
    assert set(acc["per_fold"]) == {"1", "2"} and 0.0 <= acc["mean"] <= 1.0
    assert acc["mean"] == pytest.approx(np.mean(list(acc["per_fold"].values())))
    spec = json.loads((run / "fold_1" / "model.json").read_text())
    assert spec["model_name"] == "test_attention_rnn"
    saved = sorted((run / "fold_1" / "attention").glob("*.npz"))
    assert saved
    with np.load(saved[0]) as npz:
        assert npz["frames"].shape == (3, 32, 32, 3) and npz["attention"].shape == (3, 3, 3)
        np.testing.assert_allclose(npz["attention"].sum(axis=(1, 2)), 1.0, rtol=1e-5)
    scores_train = json.loads((run / "fold_1" / "scores.json").read_text())

    result = runner.invoke(app, ["eval", str(run)])
    assert result.exit_code == 0, result.output
    evaluated = json.loads((run / "metrics_eval.json").read_text())["ranking_accuracy"]
    assert evaluated["per_fold"] == acc["per_fold"]  # reloaded checkpoints score identically
    assert json.loads((run / "fold_1" / "scores.json").read_text()) == pytest.approx(scores_train, abs=1e-6)
    assert len(list((run / "figures" / "attention").glob("fold1_*.png"))) == len(saved)
    assert "data:image/png;base64," in (run / "report.html").read_text()


def _train_args(data: Path, run: Path, flow: Path, model: str) -> list[str]:
    return [
        "train",
        "--annotations",
        str(data / "annotations"),
        "--task",
        "synthetic_drawing",
        "--videos",
        str(data / "videos"),
        "--out",
        str(run),
        "--model",
        model,
        "--folds",
        "1",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--in-memory",
        "--flow-cache",
        str(flow),
    ]


def test_tsn_trains_with_the_similarity_loss_and_evaluates(tiny_pairs, tmp_path: Path) -> None:
    runner = CliRunner()
    ids = sorted(tiny_pairs.skills)
    # every pair of videos: each fold keeps those between its training videos
    similar = tmp_path / "similar.csv"
    similar.write_text("Vid1,Vid2\n" + "".join(f"{a},{b}\n" for i, a in enumerate(ids) for b in ids[i + 1 :]))
    run = tmp_path / "run_tsn"
    args = _train_args(tiny_pairs.root, run, tmp_path / "flow", "test_tsn_two_stream")
    result = runner.invoke(app, [*args, "--similar", str(similar), "--similarity-weight", "0.5"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((run / "metrics.json").read_text())
    counts = metrics["pairs"]["1"]
    assert counts["similar_train"] > 0 and counts["similar_train"] + counts["similar_skipped"] == 28
    log_header = (run / "fold_1" / "logs" / "metrics.csv").read_text().splitlines()[0]
    assert "train/similarity_loss" in log_header.split(",")
    saved_cfg = json.loads((run / "config.json").read_text())
    assert saved_cfg["task"]["similarity_weight"] == 0.5
    assert saved_cfg["data"]["similar_pairs_file"] == str(similar)
    result = runner.invoke(app, ["eval", str(run)])  # no attention maps: eval still reports
    assert result.exit_code == 0, result.output
    evaluated = json.loads((run / "metrics_eval.json").read_text())["ranking_accuracy"]
    assert evaluated["per_fold"] == metrics["ranking_accuracy"]["per_fold"]


def test_the_pipeline_registers_every_ranking_model_module() -> None:
    """`skillsight rank train --model X` builds X by name, so the pipeline itself must import every module
    of the wing that registers models (a fresh process once failed with 'unknown model attention_rnn')."""
    import ast

    import skillsight.projects.ranking.pipeline as pipeline
    from skillsight.projects.ranking.model_zoo import RANKING_MODEL_MODULES

    wing = Path(pipeline.__file__).parent
    registering = {
        f"skillsight.projects.ranking.{path.stem}"
        for path in wing.glob("*.py")
        if "register_model(" in path.read_text() and path.stem != "model_zoo"
    }
    assert registering == set(RANKING_MODEL_MODULES)
    tree = ast.parse(Path(pipeline.__file__).read_text())
    imported = {
        f"{node.module}.{alias.name}" if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert "skillsight.projects.ranking.model_zoo" in imported
