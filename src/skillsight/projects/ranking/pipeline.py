"""Train and evaluate a pairwise skill ranker with 4-fold cross-validation; writes a run folder.

Run folder::

    <run>/config.json                    the resolved :class:`RankingConfig`
    <run>/metrics.json                   ranking accuracy per fold, mean and std, pair counts, skips
    <run>/fold_<k>/model.safetensors     weights (+ model.json: registry name and arguments)
    <run>/fold_<k>/scores.json           test-protocol score of every validation video
    <run>/fold_<k>/attention/<id>.npz    frames (N, S, S, 3) uint8, attention (N, h, w), frame_indices, score
    <run>/fold_<k>/logs/                 Lightning CSV logs
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import lightning as L
import numpy as np
import torch
from lightning.pytorch.loggers import CSVLogger
from torch.utils.data import DataLoader

from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.projects.ranking.dataset import PairDataset, TwoStreamLoader, VideoDataset
from skillsight.projects.ranking.flow import FlowMethod
from skillsight.projects.ranking.metrics import fold_summary, ranking_accuracy, score_videos
from skillsight.projects.ranking.models import AttentionRNN
from skillsight.projects.ranking.pairs import PairAnnotations, filter_pairs, load_epic_skills, resolve_videos
from skillsight.projects.ranking.task import RankingTask
from skillsight.runs.atomic import atomic_write_bytes, atomic_write_text
from skillsight.runs.checkpoint import load_model, save_model
from skillsight.training.quiet import quiet_lightning

__all__ = ["RankingConfig", "evaluate_ranking", "load_ranking_data", "train_ranking"]


@dataclass
class RankingConfig:
    """Everything a ranking run needs (written to ``config.json``).

    Attributes:
        annotation_dir / task: EPIC-Skills annotation folder and file prefix.
        video_root / video_pattern: where the videos are and how an id maps to a file.
        on_missing: "skip" (drop pairs with a missing video, counted in metrics) or "error".
        model / model_args: registry name and constructor overrides.
        folds: folds to run (1..4).
        epochs, batch_size: training length and pairs per batch.
        lr, momentum, weight_decay, margin, reduction: the ranking task's optimisation (paper values).
        seed: seeds model init, shuffling and frame sampling.
        flow_cache_dir: flow cache (None: ``<run>/flow_cache``).
        flow_method: "tvl1", "farneback" or None (best available).
        flow_bound_px: flow clipping/scaling bound.
        keep_in_memory: keep decoded videos in memory (small sets).
        attention_videos: validation videos per fold whose attention maps are saved.
        accelerator: Lightning accelerator ("cpu", "gpu", "auto").
        progress: show Lightning's progress bar.
    """

    annotation_dir: str
    task: str
    video_root: str
    video_pattern: str = "{id}.mp4"
    on_missing: str = "skip"
    model: str = "attention_rnn"
    model_args: dict[str, Any] = field(default_factory=dict)
    folds: list[int] = field(default_factory=lambda: [1, 2, 3, 4])
    epochs: int = 10
    batch_size: int = 4
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 1e-3
    margin: float = 0.5
    reduction: str = "sum"
    seed: int = 0
    flow_cache_dir: str | None = None
    flow_method: str | None = None
    flow_bound_px: float = 20.0
    keep_in_memory: bool = False
    attention_videos: int = 4
    accelerator: str = "cpu"
    progress: bool = False

    @classmethod
    def from_json(cls, path: str | Path) -> RankingConfig:
        """Read a ``config.json`` written by :func:`train_ranking`."""
        data = json.loads(Path(path).read_text())
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"{path}: unknown ranking config keys {unknown}")
        return cls(**data)


_T = TypeVar("_T")
_FLOW_METHODS: dict[str, FlowMethod] = {"tvl1": "tvl1", "farneback": "farneback"}
_REDUCTIONS: dict[str, Literal["sum", "mean"]] = {"sum": "sum", "mean": "mean"}
_ON_MISSING: dict[str, Literal["skip", "error"]] = {"skip": "skip", "error": "error"}


def _choice(options: Mapping[str, _T], field_name: str, value: str) -> _T:
    if value not in options:
        raise ConfigError(f"ranking {field_name} {value!r} is not one of {', '.join(options)}")
    return options[value]


def load_ranking_data(
    cfg: RankingConfig, log: Callable[[str], None] = print
) -> tuple[PairAnnotations, dict[str, Path], list[str]]:
    """Read annotations and map their videos to files. Returns (annotations, id -> path, missing ids)."""
    if cfg.on_missing not in ("skip", "error"):
        raise ConfigError(f"on_missing must be 'skip' or 'error', got {cfg.on_missing!r}")
    ann = load_epic_skills(cfg.annotation_dir, cfg.task, cfg.folds)
    on_missing = _ON_MISSING[cfg.on_missing]
    index = resolve_videos(ann.video_ids(), cfg.video_root, cfg.video_pattern, on_missing)
    if index.missing:
        log(
            f"{len(index.missing)} of {len(ann.video_ids())} annotated videos have no file under "
            f"{cfg.video_root} (pattern {cfg.video_pattern!r}); their pairs are skipped: {index.missing[:10]}"
        )
    return ann, index.paths, index.missing


def _loader(
    cfg: RankingConfig, model: torch.nn.Module, paths: dict[str, Path], run_dir: Path
) -> TwoStreamLoader:
    if not isinstance(model, AttentionRNN):
        raise ConfigError(f"ranking trains an attention_rnn* model, got {type(model).__name__}")
    cache = Path(cfg.flow_cache_dir) if cfg.flow_cache_dir else run_dir / "flow_cache"
    method: FlowMethod | None = None  # None: the best available
    if cfg.flow_method is not None:
        method = _choice(_FLOW_METHODS, "flow_method", cfg.flow_method)
    return TwoStreamLoader(
        paths,
        image_size=int(model.image_size),
        num_segments=int(model.num_segments),
        flow_stack=int(model.flow_stack),
        flow_cache_dir=cache,
        flow_method=method,
        flow_bound_px=cfg.flow_bound_px,
        keep_in_memory=cfg.keep_in_memory,
    )


def _save_attention(
    fold_dir: Path,
    loader: TwoStreamLoader,
    videos: VideoDataset,
    scores: dict[str, float],
    maps: dict[str, np.ndarray],
) -> None:
    for vid, attention in maps.items():
        item = videos[videos.video_ids.index(vid)]
        indices = item["frame_indices"].numpy()
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            frames=loader.rgb(vid, indices),
            attention=attention.astype(np.float32),
            frame_indices=indices,
            score=np.float32(scores[vid]),
        )
        atomic_write_bytes(fold_dir / "attention" / f"{vid}.npz", buffer.getvalue())


def _evaluate_fold(
    model: torch.nn.Module, loader: TwoStreamLoader, val_pairs: list, fold_dir: Path, cfg: RankingConfig
) -> tuple[float, dict[str, float]]:
    videos = VideoDataset([v for p in val_pairs for v in (p.better, p.worse)], loader)
    keep = videos.video_ids[: cfg.attention_videos]
    scores, maps = score_videos(model, videos, batch_size=max(1, 2 * cfg.batch_size), keep_attention=keep)
    _save_attention(fold_dir, loader, videos, scores, maps)
    atomic_write_text(fold_dir / "scores.json", json.dumps(scores, indent=2, sort_keys=True))
    return ranking_accuracy(scores, val_pairs), scores


def _fold_pairs(ann: PairAnnotations, fold: int, paths: dict[str, Path]) -> tuple[list, list, dict[str, int]]:
    train, val = ann.folds[fold]
    train, dropped_train = filter_pairs(train, paths)
    val, dropped_val = filter_pairs(val, paths)
    if not train or not val:
        raise ConfigError(
            f"fold {fold}: {len(train)} training and {len(val)} validation pairs left "
            "after skipping missing videos; both must be non-empty"
        )
    return (
        train,
        val,
        {"train": len(train), "val": len(val), "train_skipped": dropped_train, "val_skipped": dropped_val},
    )


def train_ranking(
    cfg: RankingConfig, run_dir: str | Path, log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Train one model per fold, evaluate it on the fold's validation pairs, write the run folder.

    Returns:
        The metrics written to ``metrics.json``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run_dir / "config.json", json.dumps(dataclasses.asdict(cfg), indent=2))
    ann, paths, missing = load_ranking_data(cfg, log)
    per_fold: dict[int, float] = {}
    counts: dict[int, dict[str, int]] = {}
    for fold in cfg.folds:
        train, val, counts[fold] = _fold_pairs(ann, fold, paths)
        L.seed_everything(cfg.seed + fold, verbose=False)
        model = create_model(cfg.model, **cfg.model_args)
        loader = _loader(cfg, model, paths, run_dir)
        task = RankingTask(
            model,
            margin=cfg.margin,
            lr=cfg.lr,
            momentum=cfg.momentum,
            weight_decay=cfg.weight_decay,
            reduction=_choice(_REDUCTIONS, "reduction", cfg.reduction),
        )
        generator = torch.Generator().manual_seed(cfg.seed + fold)
        train_loader = DataLoader(
            PairDataset(train, loader, "train", seed=cfg.seed + fold),
            batch_size=cfg.batch_size,
            shuffle=True,
            generator=generator,
            num_workers=0,
        )
        fold_dir = run_dir / f"fold_{fold}"
        quiet_lightning()
        trainer = L.Trainer(
            max_epochs=cfg.epochs,
            accelerator=cfg.accelerator,
            devices=1,
            logger=CSVLogger(fold_dir, name="logs", version=""),
            enable_checkpointing=False,
            enable_progress_bar=cfg.progress,
            enable_model_summary=False,
            log_every_n_steps=1,
        )
        trainer.fit(task, train_dataloaders=train_loader)
        per_fold[fold], _ = _evaluate_fold(model, loader, val, fold_dir, cfg)
        save_model(
            model,
            fold_dir / "model.safetensors",
            metadata={"task": cfg.task, "fold": fold, "val_ranking_accuracy": per_fold[fold]},
        )
        log(f"fold {fold}: ranking accuracy {per_fold[fold]:.3f} on {len(val)} validation pairs")
    metrics = {
        "task": cfg.task,
        "model": cfg.model,
        "ranking_accuracy": fold_summary(per_fold),
        "pairs": {str(k): v for k, v in counts.items()},
        "missing_videos": missing,
    }
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


def evaluate_ranking(
    run_dir: str | Path, log: Callable[[str], None] = print, out_name: str = "metrics_eval.json"
) -> dict[str, Any]:
    """Re-score each fold's saved model on its validation pairs (deterministic) and write ``out_name``."""
    run_dir = Path(run_dir)
    cfg = RankingConfig.from_json(run_dir / "config.json")
    ann, paths, missing = load_ranking_data(cfg, log)
    per_fold: dict[int, float] = {}
    for fold in cfg.folds:
        checkpoint = run_dir / f"fold_{fold}" / "model.safetensors"
        if not checkpoint.is_file():
            raise FileNotFoundError(f"fold {fold} has no checkpoint {checkpoint}")
        model = load_model(checkpoint)
        _, val, _ = _fold_pairs(ann, fold, paths)
        per_fold[fold], _ = _evaluate_fold(
            model, _loader(cfg, model, paths, run_dir), val, run_dir / f"fold_{fold}", cfg
        )
        log(f"fold {fold}: ranking accuracy {per_fold[fold]:.3f}")
    metrics = {
        "task": cfg.task,
        "model": cfg.model,
        "ranking_accuracy": fold_summary(per_fold),
        "missing_videos": missing,
    }
    atomic_write_text(run_dir / out_name, json.dumps(metrics, indent=2))
    return metrics
