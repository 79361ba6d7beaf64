"""Run-folder export: parity with PyTorch for each exportable model, metadata that serving can use."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer import Typer
from typer.testing import CliRunner

from skillsight.deploy.export import export_model, export_run
from skillsight.deploy.inference import SkillEstimator
from skillsight.deploy.onnx_export import check_onnx_parity
from skillsight.deploy.spec import ARIA_GAZE_PROTOCOL, ServingSpec
from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.runs.hashes import weights_sha256
from tests.unit.deploy._runs import NUM_STEPS, make_run


@pytest.mark.parametrize("name", ["test_skillsight_student", "test_gaze_only_baseline"])
def test_export_run_parity_and_metadata(tmp_path, name):
    run = make_run(tmp_path / name, name)
    result = export_run(run)
    assert result.path == run / "model.onnx" and result.path.is_file()
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-4
    meta = result.metadata
    assert meta["model_name"] == name
    assert meta["class_names"] == ["Novice", "Early Expert", "Intermediate Expert", "Late Expert"]
    assert meta["input_spec"]["gaze"] == {"shape": ["batch", NUM_STEPS, 14], "dtype": "float32"}
    assert meta["vocab"]["actions"] == ["a", "b", "c"]
    assert meta["weights_sha256"] == weights_sha256(run)
    spec = ServingSpec.from_metadata(meta["normalisation"], "test")
    assert spec.protocol == ARIA_GAZE_PROTOCOL and spec.num_steps == NUM_STEPS and spec.window_us == 4_000_000
    assert meta["normalisation"]["step_us"] == 500_000 and meta["normalisation"]["far_clip_m"] == 10.0
    assert len(meta["normalisation"]["channels"]) == 14


def test_from_run_reuses_an_export_only_for_the_same_weights(tmp_path):
    run = make_run(tmp_path / "r")
    export_run(run)
    assert SkillEstimator.from_run(run, backend="onnx").backend.note.endswith("(weights sha256 matches)")
    make_run(run, seed=1)  # retrained: the old model.onnx is stale
    est = SkillEstimator.from_run(run, backend="onnx")
    assert est.backend.note == "exported on load"


def test_soccer_student_export_carries_its_channel_statistics(tmp_path):
    """The soccer student (generic student, 25 Glasses-2 channels) with per-fold mean/std from its run."""
    run = make_run(tmp_path / "soccer", "test_skillsight_student", gaze_channels=25, num_actions=9)
    (run / "config.json").unlink()  # soccer runs are not clip-protocol runs
    norm = {
        "protocol": "soccer_channel_standardisation",
        "gaze_mean": list(np.linspace(0, 1, 25)),
        "gaze_std": [2.0] * 25,
    }
    (run / "normalisation.json").write_text(json.dumps(norm))
    result = export_run(run, out=tmp_path / "soccer.onnx")
    assert result.max_abs_diff <= 1e-4
    assert result.metadata["normalisation"] == norm
    assert result.metadata["input_spec"]["gaze"]["shape"] == ["batch", NUM_STEPS, 25]
    with pytest.raises(ConfigError, match="protocol"):
        SkillEstimator.from_onnx(result.path)


@pytest.mark.parametrize("name", ["test_soccer_teacher", "test_soccer_gaze_only"])
def test_soccer_models_export_with_parity(tmp_path, name):
    import skillsight.projects.soccer.models  # noqa: F401  (registers the soccer models; order-independent)

    model = create_model(name)
    path = export_model(model, tmp_path / f"{name}.onnx", extra={"class_names": ["novice", "expert"]})
    assert check_onnx_parity(model, path, batch_sizes=(1, 4)) <= 1e-4


def test_export_errors(tmp_path):
    run = make_run(tmp_path / "r")
    with pytest.raises(ConfigError, match="not supported"):
        export_run(run, fmt="tflite")
    with pytest.raises(FileNotFoundError):
        export_run(tmp_path / "nothing")
    (run / "vocab.json").write_text(json.dumps({"classes": ["a", "b"]}))
    with pytest.raises(ConfigError, match="2 class names"):
        export_run(run)


def test_export_cli(tmp_path):
    from skillsight.cli.export import export_command

    run = make_run(tmp_path / "r")
    app = Typer()
    app.command()(export_command)
    res = CliRunner().invoke(app, [str(run), "--format", "onnx", "--out", str(tmp_path / "x.onnx")])
    assert res.exit_code == 0, res.output
    assert "parity: max |ONNX - PyTorch|" in res.output and (tmp_path / "x.onnx").is_file()
