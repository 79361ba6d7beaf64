"""Test helpers: a run folder of a randomly initialised registered model, and a synthetic gaze track."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.gaze.tracks import GazeTrack
from skillsight.models import create_model
from skillsight.runs.checkpoint import save_model
from skillsight.runs.run_config import save_config

NUM_STEPS = 8  # 4 s windows: steps 0.5 s apart


def make_run(
    run_dir: Path,
    name: str = "test_skillsight_student",
    num_steps: int = NUM_STEPS,
    seed: int = 0,
    **model_args: Any,
) -> Path:
    """config.json + vocab.json + model.* as train_run writes them (random weights)."""
    torch.manual_seed(seed)
    args: dict[str, Any] = {"num_classes": len(PROFICIENCY_LABELS), "num_steps": num_steps, **model_args}
    if "student" in name and "num_actions" not in args:
        args["num_actions"] = 3
    model = create_model(name, **args)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_model(model, run_dir / "model")
    cfg = RunConfig(name=run_dir.name)
    cfg.model.name, cfg.data.num_frames = name, num_steps
    save_config(cfg, run_dir / "config.json")
    vocab = {"classes": list(PROFICIENCY_LABELS), "scenarios": ["Cooking"], "actions": ["a", "b", "c"]}
    (run_dir / "vocab.json").write_text(json.dumps(vocab))
    return run_dir


def synthetic_track(
    duration_s: float = 20.0, rate_hz: float = 10.0, t0_us: int = 5_000_000, seed: int = 0
) -> GazeTrack:
    """Smooth gaze at ``rate_hz`` with depth on most rows."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    ts = t0_us + np.round(np.arange(n) * 1e6 / rate_hz).astype(np.int64) + rng.integers(0, 3, n)
    t = np.arange(n) / rate_hz
    depth = 0.5 + np.abs(np.sin(t / 3.0)) * 2
    valid = rng.random(n) > 0.2
    return GazeTrack(
        timestamps_us=ts,
        yaw_rad=0.3 * np.sin(t / 2.0),
        pitch_rad=0.2 * np.cos(t / 1.5) - 0.1,
        depth_m=np.where(valid, depth, np.nan),
        depth_valid=valid,
        layout="synthetic",
    )
