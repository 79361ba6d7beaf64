"""Predict and evaluate a run folder's best model on a split; what a training run ends with.

* :func:`predict_run`: per-take logits and probabilities of every take of a split, labelled or not
  (``predictions_<split>.csv``): the official Ego-Exo4D test split has no public labels.
* :func:`evaluate_run`: the same, scored on the labelled takes (``metrics_<split>.json``, with the
  majority baseline); a split without any label is refused with the command that predicts it.
* :func:`evaluate_after_training`: test labelled -> test metrics; test unlabelled -> test predictions
  and validation metrics; no test split -> validation metrics; each case said in one line.

Under several processes every rank predicts its share of the takes, the shares are gathered and rank 0
alone writes (see :func:`_predict`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from skillsight.data.progress import progress
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.evaluation.device import OnDevice, inference_device
from skillsight.evaluation.distributed import (
    barrier,
    gather_take_predictions,
    is_rank_zero,
    rank_and_world,
    shard,
)
from skillsight.evaluation.evaluate import (
    TakePredictions,
    majority_predictions,
    predict_takes,
    score_predictions,
    split_file_names,
    write_evaluation,
)
from skillsight.exceptions import ConfigError
from skillsight.models import model_inputs
from skillsight.runs.checkpoint import load_model
from skillsight.runs.run_config import load_run_config
from skillsight.training.process_group import start_process_group
from skillsight.training.run_inputs import datasets_for, load_run_data
from skillsight.training.sampling import make_loader
from skillsight.training.skill_data import SkillData, collate, drop_takes_without_audio

__all__ = [
    "SPLIT_NAMES",
    "evaluate_after_training",
    "evaluate_run",
    "predict_run",
    "predict_split",
    "split_clip_dataset",
]

SPLIT_NAMES: tuple[str, ...] = ("train", "val", "test")


def _check_split(split: str) -> None:
    if split not in SPLIT_NAMES:
        raise ConfigError(f"unknown split {split!r}; valid: {', '.join(SPLIT_NAMES)}")


def _run_data(run_dir: Path) -> tuple[Any, Any, SkillData]:
    """(config, best model, the takes it can read) of a run folder."""
    cfg = load_run_config(run_dir)
    model = load_model(run_dir / "model")
    vocab_path = run_dir / "vocab.json"
    actions = json.loads(vocab_path.read_text())["actions"] if vocab_path.is_file() else None
    data = load_run_data(cfg, model, actions=actions)
    if "audio" in model_inputs(model):
        data = drop_takes_without_audio(data)
    return cfg, model, data


def _predict(
    run_dir: Path, cfg: Any, model: Any, data: SkillData, split: str, cache: Path, show_progress: bool
) -> TakePredictions:
    """Predictions of every take of ``split``, the same on every rank.

    Launched as several processes (torchrun, srun, or after a multi-process ``train_run``), each rank
    predicts a disjoint, unpadded share of the sorted takes on its own device and the shares are
    gathered, each take exactly once (checked; :mod:`skillsight.evaluation.distributed`).
    """
    takes = getattr(data, split)
    if not takes:
        raise ConfigError(
            f"{run_dir}: the {split} split has no takes the model can read (see {run_dir / 'data_scan.txt'})"
        )
    start_process_group()
    barrier()  # rank 0 may still be writing the model at the end of training
    rank, world = rank_and_world()
    mine = shard(sorted(takes, key=lambda t: t.take_uid), rank, world)
    local = None
    if mine:
        targets = ("label", "scenario") + (("action",) if "action" in model_inputs(model) else ())
        by_split = {"train": data.train, "val": data.val, "test": data.test, split: mine}
        shares = replace(data, train=by_split["train"], val=by_split["val"], test=by_split["test"])
        clips = datasets_for(model, cfg, shares, split, "test", cache, targets=targets)
        loader = make_loader(clips, cfg.data.eval_batch_size, shuffle=False, collate_fn=collate)
        names = {t.take_uid: t.take_name for t in mine}
        batches = progress(loader, f"{split} evaluation", enabled=show_progress and rank == 0)
        on_device = OnDevice(model, inference_device())
        local = predict_takes(on_device, batches, SCENARIOS, PROFICIENCY_LABELS, take_names=names)
    return gather_take_predictions(local, [t.take_uid for t in takes])


def _write(run_dir: Path, preds: TakePredictions, metrics: dict[str, Any] | None, split: str) -> None:
    """Rank 0 writes; every rank returns once the files exist."""
    if is_rank_zero():
        write_evaluation(run_dir, preds, metrics, split)
    barrier()


def split_clip_dataset(model: Any, cfg: Any, data: SkillData, split: str, cache_root: str | Path) -> Any:
    """The 10-clip (test-protocol) dataset of ``split`` for ``model``'s inputs, in take order.

    Items follow ``data.<split>`` take by take, ``cfg.data.num_test_clips`` clips each; ``crop_features``
    come from (and fill) the feature cache under ``cache_root``.
    """
    return datasets_for(model, cfg, data, split, "test", Path(cache_root))


def predict_split(
    run_dir: str | Path, split: str = "test", cache_root: str | Path | None = None, show_progress: bool = True
) -> tuple[TakePredictions, SkillData]:
    """Per-take predictions of a run's best model on ``split`` (10 clips per take), written nowhere;
    returned with the run's data (takes per split, vocabularies)."""
    _check_split(split)
    run_dir = Path(run_dir)
    cfg, model, data = _run_data(run_dir)
    return _predict(run_dir, cfg, model, data, split, _cache(run_dir, cache_root), show_progress), data


def _cache(run_dir: Path, cache_root: str | Path | None) -> Path:
    return Path(cache_root) if cache_root else run_dir.parent / "cache"


def predict_run(
    run_dir: str | Path, split: str = "test", cache_root: str | Path | None = None, show_progress: bool = True
) -> TakePredictions:
    """10-clip predictions of every take of ``split`` (no labels needed) into ``predictions_<split>.csv``.

    ``show_progress``: show the pass over the split's clips (see :func:`skillsight.data.progress.progress`).
    """
    _check_split(split)
    run_dir = Path(run_dir)
    cfg, model, data = _run_data(run_dir)
    preds = _predict(run_dir, cfg, model, data, split, _cache(run_dir, cache_root), show_progress)
    _write(run_dir, preds, None, split)
    return preds


def _score(preds: TakePredictions, data: SkillData, split: str, model: Any, cfg: Any) -> dict[str, Any]:
    labelled = preds.subset(preds.labelled)
    n_classes = len(PROFICIENCY_LABELS)
    metrics = score_predictions(labelled.labels, labelled.predicted, labelled.scenarios, n_classes)
    unlabelled = [t.take_uid for t in data.train if t.label is None]
    if unlabelled:
        raise ConfigError(f"training takes without a proficiency label: {unlabelled[:5]}")
    train_labels = [t.label for t in data.train if t.label is not None]
    majority = majority_predictions(train_labels, [t.scenario for t in data.train], labelled.scenarios)
    metrics["majority"] = score_predictions(labelled.labels, majority, labelled.scenarios, n_classes)
    metrics.update(
        split=split,
        num_unlabelled=int((~preds.labelled).sum()),
        model_name=model.model_name,
        run_name=cfg.name,
        input_names=list(model_inputs(model)),
        sensors=list(getattr(model, "sensors", ())),
        seed=int(cfg.trainer.seed),
    )
    return metrics


def evaluate_run(
    run_dir: str | Path, split: str = "test", cache_root: str | Path | None = None, show_progress: bool = True
) -> dict[str, Any]:
    """10-clip evaluation of a run's best model on ``split``'s labelled takes.

    Writes ``predictions_<split>.csv`` (every take) and ``metrics_<split>.json`` (the test split's also as
    ``predictions.csv`` / ``metrics.json``). Unlabelled takes are predicted and counted
    (``num_unlabelled``), not scored.

    Raises:
        ConfigError: unknown split, no takes, or no labelled take (use :func:`predict_run`).
    """
    _check_split(split)
    run_dir = Path(run_dir)
    cfg, model, data = _run_data(run_dir)
    takes = getattr(data, split)
    if takes and all(t.label is None for t in takes):
        raise ConfigError(
            f"the {split} split has no labels ({len(takes)} takes, as the official Ego-Exo4D test split): "
            f"nothing to score; `skillsight predict {run_dir} --split {split}` writes its predictions"
        )
    preds = _predict(run_dir, cfg, model, data, split, _cache(run_dir, cache_root), show_progress)
    metrics = _score(preds, data, split, model, cfg)
    _write(run_dir, preds, metrics, split)
    return metrics


def evaluate_after_training(
    run_dir: Path,
    data: SkillData,
    cache_root: Path,
    log: Callable[[str], None],
    show_progress: bool = True,
) -> dict[str, Any] | None:
    """What a finished training run evaluates, said in one line per step; returns the metrics written.

    Test labelled: test metrics. Test unlabelled (the official split): test predictions for the
    leaderboard, and validation metrics. No test takes: validation metrics, and the skip is said.
    """
    has_labels = [t.label is not None for t in data.test]
    if data.test and all(has_labels):
        metrics = evaluate_run(run_dir, "test", cache_root, show_progress)
        log(f"test: {_line(metrics)} -> {run_dir / split_file_names('test')[1]}")
        return metrics
    if data.test and not any(has_labels):
        predict_run(run_dir, "test", cache_root, show_progress)
        log(
            f"test: {len(data.test)} takes without labels (as the official test split): predicted, not "
            f"scored -> {run_dir / split_file_names('test')[0]} (`skillsight export-predictions` makes "
            "the leaderboard file)"
        )
    elif data.test:
        metrics = evaluate_run(run_dir, "test", cache_root, show_progress)
        log(
            f"test: {_line(metrics)}; {metrics['num_unlabelled']} unlabelled takes predicted, not scored "
            f"-> {run_dir / split_file_names('test')[1]}"
        )
        return metrics
    else:
        log(
            "test: no test takes (no proficiency_demonstrator_test.json, or none readable): "
            "test evaluation skipped"
        )
    if data.val and any(t.label is not None for t in data.val):
        metrics = evaluate_run(run_dir, "val", cache_root, show_progress)
        log(f"val: {_line(metrics)} -> {run_dir / split_file_names('val')[1]}")
        return metrics
    log("val: no labelled validation takes: no metrics written")
    return None


def _line(metrics: dict[str, Any]) -> str:
    return (
        f"{metrics['num_takes']} takes, accuracy {100 * metrics['overall_accuracy']:.1f}% "
        f"(balanced {100 * metrics['balanced_accuracy']:.1f}%, majority "
        f"{100 * metrics['majority']['overall_accuracy']:.1f}%)"
    )
