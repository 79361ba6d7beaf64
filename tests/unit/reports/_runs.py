"""Fake run folders (the files a report reads, written directly: no training) for the report tests."""

from __future__ import annotations

import json
from pathlib import Path

SCENARIOS = ("Basketball", "Cooking", "Dance", "Music", "Rock Climbing", "Soccer")

#: (name, sensors, power mW, overall accuracy): the demo's methods, with the two SkillFormer rows at
#: the same power and accuracy (the case whose labels overprinted) and the teacher at the right edge.
DEMO_LIKE = (
    ("SkillSight-T (teacher)", ["rgb", "eye_tracker"], 43.0, 0.438),
    ("SkillSight-S (student)", ["eye_tracker"], 7.8, 0.438),
    ("Gaze-only", ["eye_tracker"], 7.8, 0.417),
    ("TimeSformer (video-only)", ["rgb"], 35.1, 0.375),
    ("Gaze-crop video", ["rgb", "eye_tracker"], 42.9, 0.417),
    ("SkillFormer (ego)", ["rgb"], 35.1, 0.312),
    ("SkillFormer (ego+exos)", ["rgb"], 35.3, 0.312),
)


def write_run(root: Path, name: str, sensors: list[str], power_mw: float | None, overall: float,
              split: str = "test", epochs: int = 3) -> Path:  # fmt: skip
    run = root / name.replace(" ", "_").replace("(", "").replace(")", "").replace("+", "_")
    (run / "logs").mkdir(parents=True, exist_ok=True)
    metrics = {
        "split": split,
        "num_takes": 48,
        "overall_accuracy": overall,
        "balanced_accuracy": overall - 0.01,
        "per_scenario_accuracy": dict.fromkeys(SCENARIOS, overall),
        "confusion_matrix": [[3, 1, 1, 1]] * 4,
        "majority": {
            "overall_accuracy": 0.25,
            "balanced_accuracy": 0.25,
            "per_scenario_accuracy": dict.fromkeys(SCENARIOS, 0.25),
        },
        "sensors": sensors,
        "run_name": name,
        "seed": 0,
    }
    (run / f"metrics_{split}.json").write_text(json.dumps(metrics))
    if power_mw is not None:
        (run / "power.json").write_text(json.dumps({"total_mw": power_mw, "assumptions": ["T = 8 s"]}))
    (run / "config.json").write_text(json.dumps({"trainer": {"max_epochs": epochs, "seed": 0}}))
    (run / "run_info.json").write_text(json.dumps({"git_commit": "0123456789abcdef", "git_dirty": False}))
    rows = ["epoch,step,train/acc,train/loss,val/loss,val/take_acc"]
    for epoch in range(epochs):
        rows.append(f"{epoch},{epoch * 9 + 9},,,{1.4 - 0.1 * epoch},{0.3 + 0.05 * epoch}")
        rows.append(f"{epoch},{epoch * 9 + 9},0.4,{1.5 - 0.1 * epoch},,")
    (run / "logs" / "metrics.csv").write_text("\n".join(rows) + "\n")
    return run
