"""End to end on a tiny synthetic dataset through the real readers and a registered backbone (slow)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.projects.attributes.pipeline import discover, evaluate, feedback_for_take, train
from skillsight.projects.attributes.report_section import feedback_section_from_run
from skillsight.projects.attributes.synthetic import generate_synthetic_commentary


@pytest.mark.slow
def test_discover_train_zero_shot_eval_feedback(tmp_path: Path) -> None:
    root = generate_synthetic_dataset(
        tmp_path / "ds",
        takes_per_level=3,
        scenarios=("Dance", "Soccer"),
        duration_s=4.0,
        frame_px=32,
        workers=1,
    )
    generate_synthetic_commentary(root)
    vocab = discover(root, tmp_path / "attr", num_attributes=6)
    assert len(vocab.names) == 6
    cfg = load_config(
        "attributes_tiny",
        [
            f"data.root={root}",
            f"data.attributes_dir={tmp_path / 'attr'}",
            "data.backbones=[test_timesformer_video]",
            "data.train_scenarios=[Dance]",
            "mapper.steps=20",
            "data.scenario_norm=true",
        ],
        method="attributes",
    )
    run = train(cfg, tmp_path / "run")
    cfg = json.loads((run / "attribute_run.json").read_text())
    assert (
        cfg["train_scenarios"] == ["Dance"]
        and cfg["scenario_norm"]
        and Path(cfg["backbones"][0] + ".safetensors").is_file()
    )
    first = evaluate(run, split="test", scenarios=("Soccer",))["metrics"]
    again = evaluate(run, split="test", scenarios=("Soccer",))["metrics"]
    assert first == again  # the saved backbone gives the same features in every evaluation
    assert 0.0 <= first["attribute_iou@0.7"] <= 1.0 and first["n_takes"] == 4
    test_take = json.loads((root / "annotations" / "proficiency_demonstrator_test.json").read_text())[
        "annotations"
    ][0]
    _take, preds, fb, _names = feedback_for_take(run, test_take["take_uid"])
    assert preds and fb.items and all(s < e for p in preds for s, e in p.windows)
    assert "<h2>Skill attributes and feedback</h2>" in feedback_section_from_run(run)
