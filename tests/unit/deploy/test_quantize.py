"""Int8 export: the copy, its agreement check and metadata, serving from it, and the session threads."""

from __future__ import annotations

import numpy as np
import pytest
from typer import Typer
from typer.testing import CliRunner

from skillsight.deploy.export import export_run
from skillsight.deploy.inference import SkillEstimator
from skillsight.deploy.onnx_export import OnnxParityError, load_onnx_session
from skillsight.deploy.quantize import check_int8_agreement
from skillsight.exceptions import ConfigError
from skillsight.runs.checkpoint import load_model
from tests.unit.deploy._runs import make_run, synthetic_track

pytest.importorskip("onnxruntime.quantization", reason="the [deploy] extra (onnxruntime) is not installed")


def test_export_int8_writes_a_checked_copy_with_its_figures(tmp_path):
    run = make_run(tmp_path / "r")
    result = export_run(run, int8=True)
    assert result.int8_path == run / "model.int8.onnx" and result.int8_path.is_file()
    check = result.int8_check
    assert check is not None and check.windows == 512 and check.top1_agreement >= 0.99
    assert 0.0 < check.max_abs_logit_diff < 0.5  # int8 changes the logits, a little
    _, meta = load_onnx_session(result.int8_path)
    assert meta["quantization"] == check.to_metadata()
    assert meta["normalisation"] == result.metadata["normalisation"]  # the serving spec travels along
    assert meta["weights_sha256"] == result.metadata["weights_sha256"]
    # the ops are quantised: the file holds integer MatMuls
    import onnx

    ops = {n.op_type for n in onnx.load(str(result.int8_path)).graph.node}
    assert ops & {"MatMulInteger", "DynamicQuantizeLinear", "DynamicQuantizeMatMul"}


def test_int8_estimates_follow_the_float_ones(tmp_path):
    run = make_run(tmp_path / "r")
    result = export_run(run, int8=True)
    track = synthetic_track(duration_s=30.0)
    fp32 = SkillEstimator.from_onnx(result.path).predict_windows(track)
    int8 = SkillEstimator.from_onnx(result.int8_path).predict_windows(track)
    assert len(fp32) == len(int8) > 10
    p32 = np.stack([w.probabilities for w in fp32 if w.probabilities is not None])
    p8 = np.stack([w.probabilities for w in int8 if w.probabilities is not None])
    assert np.abs(p32 - p8).max() < 0.05
    assert (p32.argmax(1) == p8.argmax(1)).mean() >= 0.9


def test_int8_below_the_agreement_floor_is_refused_and_removed(tmp_path):
    run = make_run(tmp_path / "r")
    with pytest.raises(OnnxParityError, match="top class"):
        export_run(run, int8=True, int8_min_agreement=1.01)  # no copy can agree on 101 %
    assert not (run / "model.int8.onnx").exists()
    assert (run / "model.onnx").is_file()  # the float file passed its own check and stays


def test_agreement_on_given_windows_is_exact_for_the_float_file(tmp_path):
    """The agreement check itself: the float file against its own model agrees everywhere."""
    run = make_run(tmp_path / "r")
    result = export_run(run)
    model = load_model(run / "model")
    inputs = {k: v.numpy() for k, v in model.example_inputs(64).items()}
    check = check_int8_agreement(model, result.path, inputs, source="example windows")
    assert check.top1_agreement == 1.0 and check.max_abs_logit_diff < 1e-4 and check.windows == 64
    assert check.source == "example windows"


def test_sessions_default_to_one_intra_op_thread(tmp_path):
    run = make_run(tmp_path / "r")
    path = export_run(run).path
    session, _ = load_onnx_session(path)
    assert session.get_session_options().intra_op_num_threads == 1
    est = SkillEstimator.from_onnx(path, intra_op_threads=2)
    assert est.backend.session.get_session_options().intra_op_num_threads == 2  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="intra_op_threads"):
        load_onnx_session(path, intra_op_threads=-1)


def test_export_cli_int8(tmp_path):
    from skillsight.cli.export import export_command

    run = make_run(tmp_path / "r")
    app = Typer()
    app.command()(export_command)
    res = CliRunner().invoke(app, [str(run), "--int8"])
    assert res.exit_code == 0, res.output
    assert "int8): top class agrees with PyTorch on" in res.output
    assert (run / "model.int8.onnx").is_file()
