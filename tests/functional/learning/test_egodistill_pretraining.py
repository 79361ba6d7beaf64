"""EgoDistill's self-supervised head-motion pretraining learns on the learning subset, and needs the motion.

The stage runs through the one training loop on the 16 training takes (4 random clips each per epoch):
its InfoNCE loss must fall well below its start and below chance (ln 8 for batches of 8), and with the
head motion zeroed the same budget must end clearly higher (so the encoder learns from the motion, not only
from how alike a clip's first and last frame are). Measured when written (40 epochs, seed 0): real head
motion 2.45 -> 1.16 (mean of the last 5 epochs), zeroed 2.47 -> 1.43; ~20 s per run on 2 cores.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
import torch

from skillsight.config import load_config
from skillsight.models import create_model
from skillsight.training.motion_pretraining import PRETRAIN_DIR, run_motion_pretraining
from skillsight.training.run_inputs import datasets_for, load_run_data
from skillsight.training.sampling import make_loader
from skillsight.training.skill_data import collate, load_skill_data
from skillsight.training.skill_run import model_args_for_data
from tests.functional.learning._skill_runs import SUBSET_SETTINGS

EPOCHS, BATCH = 40, 8


def _pretrain(root: Path, run_dir: Path, zero_motion: bool) -> list[float]:
    """Per-epoch InfoNCE of the stage on the subset (``zero_motion``: every head-motion value zeroed)."""
    cfg = load_config(
        "egodistill_tiny",
        [
            f"data.root={root}",
            "model.name=test_egodistill",
            *SUBSET_SETTINGS,
            f"task.motion_pretrain_epochs={EPOCHS}",
            f"data.batch_size={BATCH}",
            "optim.lr=3e-3",
        ],
    )
    vocabulary = load_skill_data(cfg.data, require=())
    torch.manual_seed(0)
    model = create_model(cfg.model.name, **model_args_for_data(cfg, vocabulary))
    data = load_run_data(cfg, model, actions=vocabulary.actions)

    def batches(items: list[dict[str, Any]]) -> dict[str, Any]:
        batch = collate(items)
        if zero_motion:
            batch["head_motion"] = torch.zeros_like(batch["head_motion"])
        return batch

    clips = datasets_for(model, cfg, data, "train", "train", run_dir.parent / "cache")
    loader = make_loader(clips, BATCH, shuffle=True, seed=0, collate_fn=batches)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    weights = run_motion_pretraining(model, cfg, loader, run_dir, resume=False, say=lambda _line: None)
    assert weights == run_dir / PRETRAIN_DIR / "model.safetensors" and weights.is_file()
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "the run's model is kept"
    summary = json.loads((run_dir / PRETRAIN_DIR / "summary.json").read_text())
    assert summary["epochs"] == EPOCHS and len(summary["motion_nce_per_epoch"]) == EPOCHS
    return summary["motion_nce_per_epoch"]


@pytest.mark.timeout(600)
def test_pretraining_loss_falls_and_needs_the_head_motion(learning_takes: Path, tmp_path: Path) -> None:
    real = _pretrain(learning_takes, tmp_path / "real", zero_motion=False)
    zeroed = _pretrain(learning_takes, tmp_path / "zeroed", zero_motion=True)
    real_end, zeroed_end = sum(real[-5:]) / 5, sum(zeroed[-5:]) / 5
    assert real_end < 0.6 * real[0], f"InfoNCE must fall: {real[0]:.3f} -> {real_end:.3f}"
    chance = math.log(BATCH)
    assert real_end < chance - 0.5, f"{real_end:.3f} is not clearly below chance {chance:.3f}"
    assert zeroed_end > real_end + 0.1, (
        f"without head motion the loss should end clearly higher: zeroed {zeroed_end:.3f}, "
        f"real {real_end:.3f}"
    )
