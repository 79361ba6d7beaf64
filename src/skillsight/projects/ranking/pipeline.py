"""Train and evaluate a pairwise skill ranker with 4-fold cross-validation; writes a run folder.

Each fold is one fit of the one training loop (:func:`skillsight.training.loop.fit`). Run folder::

    <run>/config.json                    the resolved :class:`RankingConfig` (config_schema "ranking")
    <run>/metrics.json                   ranking accuracy per fold, mean and std, pair counts, skips
    <run>/flow.json                      the optical flow used: method, OpenCV function, version, parameters
    <run>/fold_<k>/model.safetensors     weights (+ model.json: registry name and arguments)
    <run>/fold_<k>/checkpoints/last.ckpt the fold's resume checkpoint
    <run>/fold_<k>/logs/metrics.csv      one row per epoch (train/loss, train/pair_acc, lr); steps.csv
    <run>/fold_<k>/scores.json           test-protocol score of every validation video
    <run>/fold_<k>/attention/<id>.npz    frames (N, S, S, 3) uint8, attention (N, h, w), frame_indices, score

``train_ranking(cfg, run, resume=True)`` continues a stopped run (finished folds are restored, not
retrained).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.config import load_config
from skillsight.exceptions import ConfigError
from skillsight.models import create_model
from skillsight.projects.ranking import model_zoo  # noqa: F401  (registers every ranking model)
from skillsight.projects.ranking.config import RankingConfig
from skillsight.projects.ranking.dataset import (
    PairDataset,
    RankedWithSimilarDataset,
    SimilarPairDataset,
    TwoStreamLoader,
    VideoDataset,
)
from skillsight.projects.ranking.flow import flow_method_record
from skillsight.projects.ranking.metrics import fold_summary, ranking_accuracy, score_videos
from skillsight.projects.ranking.models import AttentionRNN
from skillsight.projects.ranking.pairs import (
    PairAnnotations,
    SimilarPair,
    filter_pairs,
    load_epic_skills,
    read_similar_csv,
    resolve_videos,
    similar_pairs_for_training,
)
from skillsight.projects.ranking.task import RankingTask
from skillsight.projects.ranking.tsn import TwoStreamTSN
from skillsight.runs.atomic import atomic_write_bytes, atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.runs.run_config import load_run_config, save_config
from skillsight.training.loop import LAST_CHECKPOINT, fit
from skillsight.training.sampling import make_loader

__all__ = ["RankingConfig", "evaluate_ranking", "load_ranking_data", "ranking_config", "train_ranking"]


def ranking_config(overrides: list[str], preset: str = "ranking_paper") -> RankingConfig:
    """A ranking config: ``preset`` (or a YAML/JSON file) with ``--set``-style overrides, validated."""
    return load_config(preset, overrides, method="ranking")


def load_ranking_data(
    cfg: RankingConfig, log: Callable[[str], None] = print
) -> tuple[PairAnnotations, dict[str, Path], list[str]]:
    """Read annotations and map their videos to files. Returns (annotations, id -> path, missing ids)."""
    data = cfg.data
    ann = load_epic_skills(data.annotation_dir, data.task, data.folds)
    index = resolve_videos(ann.video_ids(), data.video_root, data.video_pattern, data.on_missing)
    if index.missing:
        log(
            f"{len(index.missing)} of {len(ann.video_ids())} annotated videos have no file under "
            f"{data.video_root} (pattern {data.video_pattern!r}); their pairs are skipped: "
            f"{index.missing[:10]}"
        )
    return ann, index.paths, index.missing


def _loader(
    cfg: RankingConfig, model: torch.nn.Module, paths: dict[str, Path], run_dir: Path
) -> TwoStreamLoader:
    if not isinstance(model, (AttentionRNN, TwoStreamTSN)):
        raise ConfigError(
            f"ranking trains two-stream rankers (attention_rnn*, tsn_two_stream*), got {type(model).__name__}"
        )
    data = cfg.data
    cache = Path(data.flow_cache_dir) if data.flow_cache_dir else run_dir / "flow_cache"
    return TwoStreamLoader(
        paths,
        image_size=int(model.image_size),
        num_segments=int(model.num_segments),
        flow_stack=int(model.flow_stack),
        flow_cache_dir=cache,
        flow_method=data.flow_method,
        flow_bound_px=data.flow_bound_px,
        keep_in_memory=data.keep_in_memory,
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
    keep = videos.video_ids[: cfg.task.attention_videos]
    scores, maps = score_videos(
        model, videos, batch_size=max(1, 2 * cfg.data.batch_size), keep_attention=keep
    )
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


def _fit_fold(
    cfg: RankingConfig,
    model: torch.nn.Module,
    loader: TwoStreamLoader,
    train: list,
    similar: list[SimilarPair],
    fold: int,
    fold_dir: Path,
    resume: bool,
) -> Any:
    """One fold through the one loop: the final model is the fold's (no validation during training,
    as in the paper's protocol; the fold's pairs are scored after). With equally skilled pairs, each
    batch also carries some of them for the similarity loss (Doughty et al. 2018)."""
    seed = cfg.trainer.seed + fold
    task = RankingTask(
        model,
        cfg.optim,
        margin=cfg.task.margin,
        reduction=cfg.task.reduction,
        similarity_weight=cfg.task.similarity_weight,
    )
    ranked = PairDataset(train, loader, "train", seed=seed)
    pairs: PairDataset | RankedWithSimilarDataset = ranked
    if similar:
        pairs = RankedWithSimilarDataset(ranked, SimilarPairDataset(similar, loader, seed=seed + 10_000))
    options: dict[str, Any] = {"num_workers": cfg.data.num_workers, "pin_memory": cfg.data.pin_memory}
    train_loader = make_loader(pairs, cfg.data.batch_size, shuffle=True, seed=seed, **options)
    trainer = replace(cfg.trainer, seed=seed)
    resume = resume and (fold_dir / LAST_CHECKPOINT).is_file()
    return fit(
        task,
        train_loader,
        None,
        fold_dir,
        trainer,
        resume=resume,
        monitor=None,
        metadata={"task": cfg.data.task, "fold": fold},
    )


def train_ranking(
    cfg: RankingConfig, run_dir: str | Path, log: Callable[[str], None] = print, resume: bool = False
) -> dict[str, Any]:
    """Train one model per fold, evaluate it on the fold's validation pairs, write the run folder.

    Args:
        resume: continue a stopped run (each fold from its checkpoint; finished folds are restored).

    Returns:
        The metrics written to ``metrics.json``.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run_dir / "config.json", resume=resume)
    flow = flow_method_record(cfg.data.flow_method)  # fails before any training when TV-L1 is missing
    atomic_write_text(run_dir / "flow.json", json.dumps(flow, indent=2, sort_keys=True))
    log(f"optical flow: {flow['method']} ({flow['function']}, OpenCV {flow['opencv']})")
    ann, paths, missing = load_ranking_data(cfg, log)
    similar_file = cfg.data.similar_pairs_file
    similar_all = read_similar_csv(similar_file) if similar_file else []
    per_fold: dict[int, float] = {}
    counts: dict[int, dict[str, int]] = {}
    for fold in cfg.data.folds:
        train, val, counts[fold] = _fold_pairs(ann, fold, paths)
        similar, similar_dropped = similar_pairs_for_training(similar_all, train)
        if cfg.data.similar_pairs_file:
            counts[fold].update({"similar_train": len(similar), "similar_skipped": similar_dropped})
        torch.manual_seed(cfg.trainer.seed + fold)
        model = create_model(cfg.model.name, **cfg.model.args)
        loader = _loader(cfg, model, paths, run_dir)
        fold_dir = run_dir / f"fold_{fold}"
        result = _fit_fold(cfg, model, loader, train, similar, fold, fold_dir, resume)
        per_fold[fold], _ = _evaluate_fold(model, loader, val, fold_dir, cfg)
        log(result.line({"val_ranking_accuracy": per_fold[fold]}, label=f"fold {fold}"))
    metrics = {
        "task": cfg.data.task,
        "model": cfg.model.name,
        "ranking_accuracy": fold_summary(per_fold),
        "pairs": {str(k): v for k, v in counts.items()},
        "flow_method": flow["method"],
        "missing_videos": missing,
    }
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=2))
    return metrics


def evaluate_ranking(
    run_dir: str | Path, log: Callable[[str], None] = print, out_name: str = "metrics_eval.json"
) -> dict[str, Any]:
    """Re-score each fold's saved model on its validation pairs (deterministic) and write ``out_name``."""
    run_dir = Path(run_dir)
    cfg = load_run_config(run_dir, method="ranking")
    ann, paths, missing = load_ranking_data(cfg, log)
    per_fold: dict[int, float] = {}
    for fold in cfg.data.folds:
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
        "task": cfg.data.task,
        "model": cfg.model.name,
        "ranking_accuracy": fold_summary(per_fold),
        "missing_videos": missing,
    }
    atomic_write_text(run_dir / out_name, json.dumps(metrics, indent=2))
    return metrics
