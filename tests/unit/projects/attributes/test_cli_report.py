"""CLI commands on a video-free fake dataset, and the report fragment (which must not import torch)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from skillsight.cli.attributes import app
from skillsight.projects.attributes.report_section import feedback_section, feedback_section_from_run
from tests.unit.projects.attributes.test_commentary import _fake_dataset


def test_cli_synth_commentary_and_discover(tmp_path: Path) -> None:
    _fake_dataset(tmp_path, 24)
    runner = CliRunner()
    res = runner.invoke(app, ["synth-commentary", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "annotations" / "proficiency_demonstration_train.json").is_file()
    res = runner.invoke(
        app, ["discover", str(tmp_path), "--out", str(tmp_path / "attr"), "--num-attributes", "4"]
    )
    assert res.exit_code == 0, res.output
    vocab = json.loads((tmp_path / "attr" / "attributes.json").read_text())
    assert len(vocab["names"]) == 4
    labels = json.loads((tmp_path / "attr" / "window_labels_test.json").read_text())
    assert labels["attributes"] == vocab["names"] and labels["takes"]


def test_cli_help_lists_the_commands() -> None:
    out = CliRunner().invoke(app, ["--help"]).output
    assert all(cmd in out for cmd in ("discover", "train", "feedback", "eval"))


def test_feedback_section_html(tmp_path: Path) -> None:
    metrics = {
        "attribute_iou@0.7": 0.25,
        "baseline_attribute_iou@0.7": 0.2,
        "rouge_l": float("nan"),
        "train_scenarios": ["Basketball"],
        "scenarios": ["Soccer"],
        "n_takes": 3,
        "n_windows": 9,
    }
    outputs = [
        {
            "take_uid": "u<1>",
            "scenario": "Soccer",
            "source": "retrieval",
            "feedback": "- [1.0-5.0 s] balance (0.80): Stay <low>.",
        }
    ]
    html = feedback_section(metrics, outputs)
    assert "<td>25.0</td><td>20.0</td>" in html and "n/a" in html
    assert "Stay &lt;low&gt;." in html and "u&lt;1&gt;" in html and "trained on Basketball" in html
    (tmp_path / "eval_test.json").write_text(json.dumps({"metrics": metrics, "outputs": outputs}))
    assert feedback_section_from_run(tmp_path) == html


def test_report_fragment_does_not_import_torch() -> None:
    code = "import sys, skillsight.projects.attributes.report_section; print('torch' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == "False"
