"""The pairwise-ranking method's config (``skillsight rank train --config PRESET|FILE --set key=value``):
the shared ``model``, ``optim`` and ``trainer`` sections and its own ``data`` and ``task`` sections.

Presets:
    ``ranking_paper``  Li et al. 2019: ``attention_rnn`` (25 segments, two ResNet-101 streams), SGD
                       momentum 0.9 (no Nesterov), lr 1e-3, weight decay 1e-3, constant rate, batch 4
                       pairs, margin 0.5 with the summed hinge, 10 epochs, 4 folds.
    ``ranking_tiny``   the same recipe on ``attention_rnn_tiny`` (CPU size).

The data section's ``annotation_dir``, ``task`` and ``video_root`` name the dataset and have no default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from skillsight.config import ModelConfig, OptimConfig, TrainerConfig, bounded, register_method
from skillsight.exceptions import ConfigError

__all__ = ["RANKING_PRESETS", "RankingConfig", "RankingDataConfig", "RankingTaskConfig"]


@dataclass
class RankingDataConfig:
    """EPIC-Skills annotations, where the videos are, folds, and how frames and flow are loaded.

    Attributes:
        annotation_dir / task: the annotation folder and file prefix (``<task>_gt.csv``).
        video_root / video_pattern: where the videos are and how an id maps to a file.
        on_missing: "skip" (drop pairs with a missing video, counted in metrics) or "error".
        folds: folds to run (1..4).
        batch_size: pairs per batch.
        flow_cache_dir: flow cache (None: ``<run>/flow_cache``); flow_method: "tvl1" (the papers'; needs
            OpenCV's contrib module, the ``vision`` extra) or "farneback" (explicitly; the run folder's
            ``flow.json`` records which); flow_bound_px: flow clipping/scaling bound.
        keep_in_memory: keep decoded videos in memory (small sets).
        similar_pairs_file: optional ``Vid1,Vid2`` CSV of equally skilled pairs; each fold trains on
            those whose two videos are both in its training pairs, with the similarity loss (Doughty
            et al. 2018; ``tsn_two_stream`` recipe).
    """

    annotation_dir: str = ""
    task: str = ""
    video_root: str = ""
    video_pattern: str = "{id}.mp4"
    on_missing: Literal["skip", "error"] = "skip"
    folds: list[int] = field(default_factory=lambda: [1, 2, 3, 4], metadata=bounded(ge=1, le=4))
    batch_size: int = field(default=4, metadata=bounded(ge=1))
    flow_cache_dir: str | None = None
    flow_method: Literal["tvl1", "farneback"] = "tvl1"
    flow_bound_px: float = field(default=20.0, metadata=bounded(gt=0))
    keep_in_memory: bool = False
    similar_pairs_file: str | None = None
    num_workers: int = field(default=0, metadata=bounded(ge=0))
    pin_memory: bool = False


@dataclass
class RankingTaskConfig:
    """The Siamese margin ranking loss and what evaluation keeps.

    Attributes:
        margin / reduction: ``sum_p max(0, margin - S(better) + S(worse))`` ("sum", the paper) or its mean.
        attention_videos: validation videos per fold whose attention maps are saved.
        similarity_weight: mu, weight of the similarity loss ``sum_p max(0, |S(a) - S(b)| - margin)``
            on equally skilled pairs (used only with ``data.similar_pairs_file``).
    """

    margin: float = field(default=0.5, metadata=bounded(gt=0))
    reduction: Literal["sum", "mean"] = "sum"
    similarity_weight: float = field(default=1.0, metadata=bounded(ge=0))
    attention_videos: int = field(default=4, metadata=bounded(ge=0))


def _paper_optim() -> OptimConfig:
    return OptimConfig(optimizer="sgd", lr=1e-3, momentum=0.9, nesterov=False, weight_decay=1e-3)


@dataclass
class RankingConfig:
    """Everything a ranking run needs (written to ``config.json``; seeds: ``trainer.seed`` + fold)."""

    name: str = "ranking"
    data: RankingDataConfig = field(default_factory=RankingDataConfig)
    model: ModelConfig = field(default_factory=lambda: ModelConfig(name="attention_rnn"))
    task: RankingTaskConfig = field(default_factory=RankingTaskConfig)
    optim: OptimConfig = field(default_factory=_paper_optim)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(max_epochs=10, progress_bar=False, log_every_n_steps=1)
    )

    def check(self) -> None:
        """The dataset must be named (ConfigError naming the missing keys)."""
        missing = [k for k in ("annotation_dir", "task", "video_root") if not getattr(self.data, k)]
        if missing:
            named = ", ".join("data." + k for k in missing)
            raise ConfigError(f"data.{missing[0]}: the dataset must be named (missing: {named})")


RANKING_PRESETS = register_method("ranking", RankingConfig)


@RANKING_PRESETS.register("ranking_paper")
def _paper() -> RankingConfig:
    return RankingConfig()


@RANKING_PRESETS.register("ranking_tiny")
def _tiny() -> RankingConfig:
    return RankingConfig(model=ModelConfig(name="attention_rnn_tiny"))
