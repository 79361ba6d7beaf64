"""The attention RNN fits the pairs of 12 synthetic drawing videos through ``train_ranking`` (its real task,
loop, two-stream loader and optical flow).

Fold 1's validation file is rewritten to hold its training pairs, so the ranking accuracy the pipeline
reports for fold 1 is the training-pair accuracy.
"""

from __future__ import annotations

import math
from pathlib import Path

from skillsight.config import ModelConfig
from skillsight.projects.ranking.config import RankingConfig, RankingDataConfig, RankingTaskConfig
from skillsight.projects.ranking.pipeline import train_ranking
from skillsight.projects.ranking.synthetic import write_synthetic_pairs
from tests.functional.learning.budgets import budget

ROW = budget("attention RNN (pairwise ranking)")
BATCH = 4


def test_attention_rnn_fits_its_training_pairs(tmp_path: Path) -> None:
    pairs = write_synthetic_pairs(
        tmp_path / "data", n_videos=12, n_frames=12, size=32, min_skill_gap=0.2, seed=0
    )
    splits = pairs.annotation_dir / "splits"
    train_csv = splits / f"{pairs.task}_train_1.csv"
    (splits / f"{pairs.task}_val_1.csv").write_bytes(train_csv.read_bytes())
    n_pairs = len(train_csv.read_text().strip().splitlines()) - 1
    steps_per_epoch = math.ceil(n_pairs / BATCH)
    cfg = RankingConfig(
        data=RankingDataConfig(
            annotation_dir=str(pairs.annotation_dir),
            task=pairs.task,
            video_root=str(pairs.video_dir),
            folds=[1],
            batch_size=BATCH,
            keep_in_memory=True,
        ),
        model=ModelConfig(name=ROW.variant),
        task=RankingTaskConfig(attention_videos=0),
    )  # ranking_paper's optimiser and loss on the test-size model
    cfg.trainer.max_epochs = math.ceil(ROW.steps / steps_per_epoch)
    metrics = train_ranking(cfg, tmp_path / "run", log=lambda _: None)
    accuracy = float(metrics["ranking_accuracy"]["per_fold"][1])
    assert metrics["pairs"]["1"]["val"] == n_pairs >= 10
    assert ROW.reached(accuracy), f"{ROW.explain(accuracy)} ({n_pairs} pairs)"
