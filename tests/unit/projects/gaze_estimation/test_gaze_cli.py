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
        ],
    )
    assert res.exit_code == 0, res.output
    assert "student: mean angular error" in res.output and (run / "student.safetensors").is_file()
    res = runner.invoke(app, ["eval", str(run / "student.safetensors"), "--n", "16"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n"] == 16
    images = []
    for i in range(2):
        path = tmp_path / f"face{i}.png"
        cv2.imwrite(str(path), np.full((50, 40, 3), 60 + 80 * i, np.uint8))
        images.append(str(path))
    res = runner.invoke(app, ["predict", str(run / "student.safetensors"), *images])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 2 and "pitch_deg=" in lines[0] and "yaw_deg=" in lines[1]
    pytest.importorskip("onnxruntime")  # the [deploy] extra
    res = runner.invoke(app, ["export", str(run / "student.safetensors"), "--out", str(tmp_path / "s.onnx")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "s.onnx").is_file() and "max |onnx - torch|" in res.output
