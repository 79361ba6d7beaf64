"""Train and evaluate SkillSight models (teacher, distilled student, baselines) from a RunConfig.

A run folder is the unit everything downstream consumes::

    run_dir/config.json   resolved RunConfig        run_dir/vocab.json    classes, scenarios, actions
    run_dir/model.*       best checkpoint            run_dir/checkpoints/  resume state
    run_dir/metrics.json  test metrics               run_dir/predictions.csv  one row per test take
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from skillsight.config import RunConfig
from skillsight.data.cache import FeatureCache
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
    majority_predictions,
    predict_takes,
    score_predictions,
    write_evaluation,
)
from skillsight.exceptions import CheckpointError, ConfigError
from skillsight.models import create_model, model_dim, model_inputs
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.runs.hashes import weights_sha256
from skillsight.runs.run_config import load_run_config, save_config
from skillsight.runs.sealed import read_sealed, write_sealed
from skillsight.training.input_stats import STATISTICS_CLIPS_PER_TAKE, channel_statistics, fit_standardizers
from skillsight.training.loop import fit
from skillsight.training.process_group import is_launch_rank_zero, start_process_group
from skillsight.training.sampling import make_loader
from skillsight.training.sharded_features import sharded_teacher_features
from skillsight.training.skill_data import (
    CropFeatureDataset,
    SkillData,
    TeacherFeatureDataset,
    build_clip_dataset,
    collate,
    crop_extractor_for,
    drop_takes_without_audio,
    load_skill_data,
)
from skillsight.training.tasks import DistillationTask, SupervisedTask

__all__ = ["evaluate_run", "model_args_for_data", "train_run"]


def model_args_for_data(cfg: RunConfig, data: SkillData) -> dict[str, Any]:
    """Constructor arguments fixed by the data (classes, scenarios, actions, clip length) + the config's."""
    from skillsight.models._factory import MODELS, _load_builtin_models

    _load_builtin_models()
    args: dict[str, Any] = {"num_classes": len(PROFICIENCY_LABELS)}
    name = cfg.model.name
    family = name.removeprefix("test_")
    if "student" in name or "gaze_only" in name:
        args.update(num_steps=cfg.data.num_frames)
        if "student" in name:
            args.update(num_actions=len(data.actions))
    elif "teacher" in name and not family.startswith("naive_teacher"):
        args.update(
            num_scenarios=len(SCENARIOS),
            num_frames=cfg.data.num_frames,
            video={"image_size": cfg.data.frame_px, **cfg.model.args.get("video", {})},
        )
    elif family.startswith(
        ("timesformer_video", "skillformer", "gaze_crop_video", "naive_teacher", "beholder_gaze_pool")
    ):
        image_px = cfg.data.crop_px if family.startswith("gaze_crop_video") else cfg.data.frame_px
        args.update(
            num_frames=cfg.data.num_frames,
            backbone={"image_size": image_px, **cfg.model.args.get("backbone", {})},
        )
    elif family.startswith("x3d"):
        args.update(num_frames=cfg.data.num_frames, image_size=cfg.data.frame_px)
    elif family.startswith("egotrigger"):
        args.update(
            num_frames=cfg.data.num_frames, clip_fps=cfg.data.sample_fps, image_size=cfg.data.frame_px
        )
    elif family.startswith("egodistill"):
        args.update(num_frames=cfg.data.num_frames, image_size=cfg.data.frame_px)
        if cfg.task.teacher_run:  # the reconstruction target's width
            teacher = load_model(Path(cfg.task.teacher_run) / "model")
            args.update(teacher_feature_dim=model_dim(teacher, "feature_dim"))
    MODELS.get(name)  # unknown names fail here with the list of valid ones
    return {**cfg.model.args, **args}


def _datasets(
    model: torch.nn.Module,
    cfg: RunConfig,
    data: SkillData,
    split: str,
    mode: str,
    cache_root: Path,
    num_clips: int | None = None,
) -> Any:
    """Clip dataset of a split for the model's inputs; ``crop_features`` from the cached frozen extractor."""
    takes = {"train": data.train, "val": data.val, "test": data.test}[split]
    extractor = crop_extractor_for(model) if "crop_features" in model_inputs(model) else None
    ds = build_clip_dataset(
        takes,
        model_inputs(model),
        cfg.data,
        mode,
        data.actions,
        cfg.trainer.seed,
        crop_out_px=None if extractor is None else extractor.crop_size,
        num_clips=num_clips,
        input_options=dict(getattr(model, "input_options", {}) or {}),
        # a model built for N exo views reads the first N of the take's cameras (None: all of them)
        num_exo_views=getattr(model, "num_exo_views", None) if "exo_video" in model_inputs(model) else None,
    )
    if extractor is None:
        return ds
    params = {
        "crop_px": cfg.data.crop_px,
        "frame_px": cfg.data.frame_px,
        "num_frames": cfg.data.num_frames,
        "sample_fps": cfg.data.sample_fps,
    }
    return CropFeatureDataset(ds, extractor, FeatureCache(cache_root), params)


def train_run(
    cfg: RunConfig,
    run_dir: str | Path,
    resume: bool = False,
    cache_root: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Train ``cfg`` into ``run_dir`` (resumable), then evaluate the best model on the test split.

    Args:
        log: receives the run's one-line result (best validation score and epoch, test accuracy, run
            folder) at the end; None: nothing is printed.
    """
    run_dir = Path(run_dir)
    cache = Path(cache_root) if cache_root else run_dir.parent / "cache"
    start_process_group(cfg.trainer.accelerator)  # torchrun / srun: every rank joins now (module doc)
    data = load_skill_data(cfg.data)
    if cfg.data.scenarios and not data.test:
        raise ConfigError("no test takes in the selected scenarios")
    torch.manual_seed(cfg.trainer.seed)
    model = create_model(cfg.model.name, **model_args_for_data(cfg, data))
    if "audio" in model_inputs(model):
        data = drop_takes_without_audio(data)  # counted in data_scan.txt
    run_dir.mkdir(parents=True, exist_ok=True)
    if is_launch_rank_zero():  # one writer of the run folder (the others' content is the same)
        save_config(cfg, run_dir / "config.json", resume=resume)
        atomic_write_text(run_dir / "vocab.json", json.dumps(data.vocab(), indent=2))
        atomic_write_text(run_dir / "data_scan.txt", data.skipped_summary + "\n")
    if cfg.data.standardize_gaze:  # every rank fits the same statistics; rank 0 writes them
        _fit_gaze_statistics(model, cfg, data, run_dir, write=is_launch_rank_zero())

    val_ds = _datasets(model, cfg, data, "val", "test", cache, cfg.data.num_val_clips) if data.val else None
    task: SupervisedTask | DistillationTask
    if cfg.task.kind == "distillation":
        task, train_ds = _distillation_setup(model, cfg, data, run_dir, cache)
    elif cfg.task.kind == "supervised":
        train_ds = _datasets(model, cfg, data, "train", "train", cache)
        task = SupervisedTask(model, cfg.optim, cfg.task.action_loss_weight, cfg.task.label_smoothing)
    else:
        raise ConfigError(f"task.kind {cfg.task.kind!r} is not one of supervised, distillation")
    loader_options: dict[str, Any] = {
        "num_workers": cfg.data.num_workers,
        "pin_memory": cfg.data.pin_memory,
        "collate_fn": collate,
    }
    train_loader = make_loader(
        train_ds, cfg.data.batch_size, shuffle=True, seed=cfg.trainer.seed, **loader_options
    )
    val_loader = (
        make_loader(val_ds, cfg.data.eval_batch_size, shuffle=False, **loader_options)
        if val_ds is not None
        else None
    )
    result = fit(
        task,
        train_loader,
        val_loader,
        run_dir,
        cfg.trainer,
        resume=resume,
        monitor="val/take_acc" if val_loader is not None else "train/acc",
        metadata={"run_name": cfg.name, "config": "config.json"},
    )
    test = None
    if data.test:  # every rank predicts its share of the test takes; rank 0 writes (evaluate_run)
        metrics = evaluate_run(run_dir, cache_root=cache, show_progress=cfg.trainer.progress_bar)
        test = {
            "test_overall_accuracy": metrics["overall_accuracy"],
            "test_balanced_accuracy": metrics["balanced_accuracy"],
        }
    if log is not None and result.is_global_zero:
        log(result.line(test))
    return run_dir


def _fit_gaze_statistics(
    model: torch.nn.Module, cfg: RunConfig, data: SkillData, run_dir: Path, write: bool = True
) -> None:
    """Gaze channel mean/std of the training takes into the model's standardisers; input_statistics.json."""
    if "gaze" not in model_inputs(model):
        return  # nothing to standardise (video-only models)
    clips = build_clip_dataset(
        data.train,
        ("gaze", "gaze_mask"),
        cfg.data,
        "test",
        data.actions,
        cfg.trainer.seed,
        num_clips=STATISTICS_CLIPS_PER_TAKE,
    )
    stats = channel_statistics(clips, "gaze", "gaze_mask")
    fit_standardizers(model, {"gaze": stats})
    record = {"gaze": stats.to_dict(), "source": f"train split, {STATISTICS_CLIPS_PER_TAKE} clips per take"}
    if write:
        atomic_write_text(run_dir / "input_statistics.json", json.dumps(record, indent=2))


def _distillation_setup(
    model: torch.nn.Module, cfg: RunConfig, data: SkillData, run_dir: Path, cache: Path
) -> tuple[DistillationTask, Any]:
    """Student + f_t (fixed unless task.train_teacher_projection); teacher features computed once over the
    10 protocol clips of each train take."""
    from skillsight.models.skillsight_student import TeacherProjection

    if not cfg.task.teacher_run:
        raise ConfigError("task.teacher_run must name the teacher's run folder for distillation")
    teacher_dir = Path(cfg.task.teacher_run)
    teacher = load_model(teacher_dir / "model")
    teacher_cfg = load_run_config(teacher_dir)
    protocol = ("num_frames", "sample_fps", "num_test_clips")
    mismatch = {k: (getattr(teacher_cfg.data, k), getattr(cfg.data, k)) for k in protocol}
    mismatch = {k: v for k, v in mismatch.items() if v[0] != v[1]}
    if mismatch:  # the teacher's clip features must be of the very clips the student sees
        raise ConfigError(
            f"teacher run {teacher_dir} cut its clips differently (teacher, student): {mismatch}"
        )
    teacher_clips = _datasets(teacher, teacher_cfg, data, "train", "test", cache)
    features = _teacher_features(
        teacher,
        teacher_dir,
        teacher_clips,
        run_dir / "teacher_features.safetensors",
        cfg.data.eval_batch_size,
        cfg.trainer.progress_bar,
    )
    n_clips = cfg.data.num_test_clips
    features = features.reshape(len(data.train), n_clips, -1)  # (takes, clips, Dt)
    student_clips = _datasets(model, cfg, data, "train", "test", cache)
    train_ds = TeacherFeatureDataset(student_clips, features, cfg.trainer.seed, cfg.data.train_clips_per_take)
    torch.manual_seed(cfg.trainer.seed + 1)
    projection: torch.nn.Module
    distill_dim = model_dim(model, "distill_dim")
    if getattr(model, "reconstructs_teacher_features", False):  # EgoDistill: the target is the feature itself
        if int(features.shape[-1]) != distill_dim:
            raise ConfigError(
                f"{cfg.model.name} reconstructs {distill_dim}-d features but the teacher's are "
                f"{features.shape[-1]}-d (set model.args.teacher_feature_dim or train through train_run)"
            )
        projection = torch.nn.Identity()
    else:
        projection = TeacherProjection(int(features.shape[-1]), out_dim=distill_dim)
    task = DistillationTask(
        model,
        projection,
        cfg.optim,
        distill_weight=cfg.task.distill_weight,
        action_loss_weight=cfg.task.action_loss_weight,
        label_smoothing=cfg.task.label_smoothing,
        train_teacher_projection=cfg.task.train_teacher_projection,
    )
    return task, train_ds


_FEATURES_FORMAT = "skillsight-teacher-features-v1"


def _teacher_features(
    teacher: torch.nn.Module, teacher_dir: Path, clips: Any, path: Path, batch_size: int, show_progress: bool
) -> torch.Tensor:
    """(N clips, Dt) teacher features, stored once per student run (sealed: atomic and checksummed).

    A stored file is reused only if it is intact, came from the same teacher weights and has one row per
    clip; otherwise it is recomputed, saying why (a kill during the first computation, a retrained teacher).
    """
    teacher_sha = weights_sha256(teacher_dir)
    if path.exists():
        try:
            stored, fields = read_sealed(path, (_FEATURES_FORMAT,), "cached teacher features")
            features = stored["features"]
            if fields.get("teacher_weights_sha256") != teacher_sha:
                raise CheckpointError(
                    path, f"was computed from other weights than {teacher_dir}/model.safetensors"
                )
            if features.ndim != 2 or features.shape[0] != len(clips):
                raise CheckpointError(path, f"holds {tuple(features.shape)} features for {len(clips)} clips")
            return features
        except (CheckpointError, KeyError) as err:
            warnings.warn(f"recomputing the teacher features: {err}", stacklevel=2)
    features = sharded_teacher_features(teacher, clips, batch_size, show_progress)
    if is_launch_rank_zero():
        write_sealed(path, {"features": features}, _FEATURES_FORMAT, {"teacher_weights_sha256": teacher_sha})
    return features


def evaluate_run(
    run_dir: str | Path, split: str = "test", cache_root: str | Path | None = None, show_progress: bool = True
) -> dict[str, Any]:
    """10-clip evaluation of a run's best model; writes predictions.csv and metrics.json (with majority).

    Runs on this process's GPU when there is one. Launched as several processes (torchrun, srun, or
    after a multi-process ``train_run``), each rank predicts a disjoint share of the takes, the shares
    are gathered (each take exactly once, checked) and rank 0 alone writes; every rank returns the
    same metrics (see :mod:`skillsight.evaluation.distributed`).

    ``show_progress``: show the pass over the split's clips (see :func:`skillsight.data.progress.progress`).
    """
    run_dir = Path(run_dir)
    start_process_group()
    barrier()  # rank 0 may still be writing the model at the end of training
    cfg = load_run_config(run_dir)
    model = load_model(run_dir / "model")
    data = load_skill_data(cfg.data)
    if "audio" in model_inputs(model):
        data = drop_takes_without_audio(data)
    vocab = json.loads((run_dir / "vocab.json").read_text())
    if vocab["actions"] != data.actions:
        raise ConfigError(f"{run_dir}: the dataset's action vocabulary changed since training")
    cache = Path(cache_root) if cache_root else run_dir.parent / "cache"
    takes = {"train": data.train, "val": data.val, "test": data.test}[split]
    rank, world = rank_and_world()
    mine = shard(sorted(takes, key=lambda t: t.take_uid), rank, world)
    local = None
    if mine:
        shares = {"train": data.train, "val": data.val, "test": data.test, split: mine}
        mine_only = replace(data, train=shares["train"], val=shares["val"], test=shares["test"])
        clips = _datasets(model, cfg, mine_only, split, "test", cache)
        loader = make_loader(clips, cfg.data.eval_batch_size, shuffle=False, collate_fn=collate)
        batches = progress(loader, f"{split} evaluation", enabled=show_progress and rank == 0)
        on_device = OnDevice(model, inference_device())
        local = predict_takes(on_device, batches, SCENARIOS, PROFICIENCY_LABELS)
    preds = gather_take_predictions(local, [t.take_uid for t in takes])
    metrics = score_predictions(preds.labels, preds.predicted, preds.scenarios, len(PROFICIENCY_LABELS))
    unlabelled = [t.take_uid for t in data.train if t.label is None]
    if unlabelled:
        raise ConfigError(f"training takes without a proficiency label: {unlabelled[:5]}")
    train_labels = [t.label for t in data.train if t.label is not None]
    majority = majority_predictions(train_labels, [t.scenario for t in data.train], preds.scenarios)
    metrics["majority"] = score_predictions(preds.labels, majority, preds.scenarios, len(PROFICIENCY_LABELS))
    metrics.update(
        split=split,
        model_name=model.model_name,
        run_name=cfg.name,
        input_names=list(model_inputs(model)),
        sensors=list(getattr(model, "sensors", ())),
    )
    if is_rank_zero():
        write_evaluation(run_dir, preds, metrics)
    barrier()  # the files exist when any rank returns
    return metrics
