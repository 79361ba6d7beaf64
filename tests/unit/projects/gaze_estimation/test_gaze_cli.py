"""``skillsight gaze`` commands on tiny models: train -> eval -> predict -> export."""

import json

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from skillsight.cli.gaze import HELP, app


def test_cli_train_eval_predict_export(tmp_path):
    assert "PriviGaze" in HELP
    runner = CliRunner()
    run = tmp_path / "run"
    res = runner.invoke(
        app,
        [
            "train",
            "--out",
            str(run),
            "--mode",
            "plain_student",
            "--student-model",
            "test_privigaze_student",
            "--face-size",
            "32",
            "--n-train",
            "32",
            "--student-epochs",
            "1",
            "--batch-size",
            "16",
            "--set",
            "trainer.progress_bar=false",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "student (plain_student): model of epoch 0 of 1 | val_mean_deg" in res.output
    assert "student: mean angular error" in res.output and (run / "student" / "model.safetensors").is_file()
    res = runner.invoke(app, ["eval", str(run / "student" / "model.safetensors"), "--n", "16"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n"] == 16
    images = []
    for i in range(2):
        path = tmp_path / f"face{i}.png"
        cv2.imwrite(str(path), np.full((50, 40, 3), 60 + 80 * i, np.uint8))
        images.append(str(path))
    res = runner.invoke(app, ["predict", str(run / "student" / "model.safetensors"), *images])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and "pitch_deg=" in lines[0] and "yaw_deg=" in lines[1]
    pytest.importorskip("onnxruntime")  # the [deploy] extra
    res = runner.invoke(
        app, ["export", str(run / "student" / "model.safetensors"), "--out", str(tmp_path / "s.onnx")]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s.onnx").is_file() and "max |onnx - torch|" in res.output


def test_cli_train_takes_a_preset_a_file_and_overrides_checked_up_front(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), "--set", "optim.optimizer=adam"])
    assert res.exit_code != 0 and "'adam' is not allowed; valid: 'sgd', 'adamw'" in str(res.exception)
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), "--config", "nope"])
    assert "unknown gaze preset 'nope'; valid: privigaze_paper, privigaze_tiny" in str(res.exception)
    config = tmp_path / "run.yaml"
    config.write_text(
        "preset: privigaze_tiny\nmodel: {student: test_privigaze_student}\n"
        "data: {face_size: 32, n_train: 32, n_val: 16, batch_size: 16}\n"
        "task: {mode: plain_student, student_epochs: 1}\n"
        "trainer: {progress_bar: false}\n"
    )
    res = runner.invoke(app, ["train", "--out", str(tmp_path / "r"), "--config", str(config)])
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "r" / "config.json").read_text())
    assert saved["data"]["n_train"] == 32 and saved["task"]["mode"] == "plain_student"
