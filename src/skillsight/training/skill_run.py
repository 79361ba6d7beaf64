"""Train and evaluate SkillSight models (teacher, distilled student, baselines) from a RunConfig.

A run folder is the unit everything downstream consumes::

    run_dir/config.json   resolved RunConfig        run_dir/vocab.json    classes, scenarios, actions
    run_dir/model.*       best checkpoint            run_dir/checkpoints/  resume state
    run_dir/data_scan.txt takes kept and skipped     run_dir/metrics_<split>.json, predictions_<split>.csv

The takes a run reads follow from its model's declared inputs (:mod:`skillsight.training.run_inputs`);
what it evaluates at the end from the data (:func:`skillsight.training.run_eval.evaluate_after_training`).
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from skillsight.config import RunConfig
from skillsight.config.validation import validate
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import CheckpointError, ConfigError
from skillsight.models import create_model, model_dim, model_inputs
from skillsight.models._factory import check_arguments, model_data_args
from skillsight.models.data_args import DataFacts
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.runs.hashes import weights_sha256
from skillsight.runs.pretrained_refs import record_pretrained
from skillsight.runs.provenance import write_run_info
from skillsight.runs.run_config import check_config, load_run_config, save_config
from skillsight.runs.sealed import read_sealed, write_sealed
from skillsight.training.input_stats import STATISTICS_CLIPS_PER_TAKE, channel_statistics, fit_standardizers
from skillsight.training.loop import LAST_CHECKPOINT, fit
from skillsight.training.motion_pretraining import (
    PRETRAIN_DIR,
    check_pretrainable,
    load_pretrained_motion_encoder,
    run_motion_pretraining,
)
from skillsight.training.process_group import is_launch_rank_zero, start_process_group
from skillsight.training.run_eval import (
    evaluate_after_training,
    evaluate_run,
    predict_run,
    predict_split,
    split_clip_dataset,
)
from skillsight.training.run_inputs import datasets_for, load_run_data, run_warnings
from skillsight.training.sampling import make_loader
from skillsight.training.sharded_features import sharded_teacher_features
from skillsight.training.skill_data import (
    SkillData,
    TeacherFeatureDataset,
    build_clip_dataset,
    collate,
    drop_takes_without_audio,
    load_skill_data,
)
from skillsight.training.tasks import DistillationTask, SupervisedTask

__all__ = [
    "evaluate_run",
    "load_teacher",
    "model_args_for_data",
    "predict_run",
    "predict_split",
    "split_clip_dataset",
    "train_run",
]

_logger = logging.getLogger("skillsight.training")


def load_teacher(teacher_run: str | Path) -> torch.nn.Module:
    """The frozen teacher of a distillation run: a run folder whose model gives clip ``features``.

    Raises:
        ConfigError: not a run folder, or its model has no clip features to distil from (a gaze-only or
            student run), naming the model and what a teacher is.
    """
    teacher_dir = Path(teacher_run)
    if not (teacher_dir / "model.safetensors").is_file():
        raise ConfigError(
            f"teacher run {teacher_dir} is not a trained run folder "
            f"({teacher_dir / 'model.safetensors'} is missing)"
        )
    teacher = load_model(teacher_dir / "model")
    if not hasattr(teacher, "feature_dim"):
        raise ConfigError(
            f"teacher run {teacher_dir} holds {getattr(teacher, 'model_name', type(teacher).__name__)}: it "
            "gives no clip features to distil from; a teacher is a SkillSight teacher or a video model run "
            "(e.g. `skillsight train teacher` or `train baseline --baseline timesformer`)"
        )
    return teacher


def model_args_for_data(cfg: RunConfig, data: SkillData) -> dict[str, Any]:
    """Constructor arguments of ``cfg.model.name``: ``model.args``, overridden by what the data fixes.

    ``num_classes`` is fixed for every model; the rest is what the model's family declares it takes
    (its ``data_args`` hook, :mod:`skillsight.models.data_args`): sequence length, action vocabulary,
    frame size, the teacher run's feature width...

    Raises:
        ConfigError: an unknown model name (listing the valid ones), or a teacher run that cannot be read.
    """
    hook = model_data_args(cfg.model.name)
    teacher_run = cfg.task.teacher_run
    facts = DataFacts(
        num_actions=len(data.actions),
        teacher_feature_dim=(
            (lambda: model_dim(load_teacher(teacher_run), "feature_dim")) if teacher_run else None
        ),
    )
    args: dict[str, Any] = {"num_classes": len(PROFICIENCY_LABELS)}
    if hook is not None:
        args.update(hook(cfg, facts))
    return {**cfg.model.args, **args}


def _silent(_line: str) -> None:
    """The log of a rank other than 0 (rank 0 speaks for the run)."""


def train_run(
    cfg: RunConfig,
    run_dir: str | Path,
    resume: bool = False,
    cache_root: str | Path | None = None,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Train ``cfg`` into ``run_dir`` (resumable), then evaluate what the data allows.

    The takes read follow the model's inputs (a gaze-only model needs no video); what the run ends
    with: test metrics when the test split is labelled, test predictions (and validation metrics) when
    it is not, validation metrics when there is no test split (see
    :func:`~skillsight.training.run_eval.evaluate_after_training`).

    Args:
        log: receives one line per warning and per end-of-run step (default: the
            ``skillsight.training`` logger, at WARNING level).
    """
    say = log or _logger.warning
    validate(cfg)
    run_dir = Path(run_dir)
    for checkpoint in (run_dir / LAST_CHECKPOINT, run_dir / PRETRAIN_DIR / LAST_CHECKPOINT):
        if not resume and checkpoint.is_file():  # before anything in the folder is written
            raise ConfigError(
                f"{run_dir} already holds a run ({checkpoint}); pass --resume to continue it, "
                "or choose another output folder (nothing was overwritten)"
            )
    cache = Path(cache_root) if cache_root else run_dir.parent / "cache"
    start_process_group(cfg.trainer.accelerator)  # torchrun / srun: every rank joins now (module doc)
    vocabulary = load_skill_data(cfg.data, require=())  # every take: the action vocabulary
    torch.manual_seed(cfg.trainer.seed)
    # pretrained folders: copied into the run (small) or hashed (big) so the run folder loads anywhere
    args = model_args_for_data(cfg, vocabulary)
    check_arguments(cfg.model.name, args)  # an unknown model.args key fails before any file is copied
    check_config(cfg, run_dir / "config.json", resume)  # a refused --resume copies no weights either
    build_args, stored_args = record_pretrained(args, run_dir)
    model = create_model(cfg.model.name, **build_args)
    model.model_args = stored_args
    if cfg.task.motion_pretrain_epochs > 0:
        check_pretrainable(model, cfg.model.name)  # before any take is read
    data = load_run_data(cfg, model, actions=vocabulary.actions)
    if "audio" in model_inputs(model):
        data = drop_takes_without_audio(data)  # counted in data_scan.txt
    if cfg.data.scenarios and not data.test:
        raise ConfigError("no test takes in the selected scenarios")
    for line in run_warnings(model, data):
        say(f"warning: {line}")
    run_dir.mkdir(parents=True, exist_ok=True)
    if is_launch_rank_zero():  # one writer of the run folder (the others' content is the same)
        save_config(cfg, run_dir / "config.json", resume=resume)  # refuses a changed recipe on resume
        write_run_info(run_dir, seed=cfg.trainer.seed, resumed=resume)
        atomic_write_text(run_dir / "vocab.json", json.dumps(data.vocab(), indent=2))
        atomic_write_text(run_dir / "data_scan.txt", data.skipped_summary + "\n")
    if cfg.data.standardize_gaze:  # every rank fits the same statistics; rank 0 writes them
        _fit_gaze_statistics(model, cfg, data, run_dir, write=is_launch_rank_zero())

    loader_options: dict[str, Any] = {
        "num_workers": cfg.data.num_workers,
        "pin_memory": cfg.data.pin_memory,
        "collate_fn": collate,
    }
    if cfg.task.motion_pretrain_epochs > 0:  # EgoDistill's first stage, into run_dir/motion_pretrain
        pretrain_loader = make_loader(
            datasets_for(model, cfg, data, "train", "train", cache),
            cfg.data.batch_size,
            shuffle=True,
            seed=cfg.trainer.seed,
            **loader_options,
        )
        weights = run_motion_pretraining(model, cfg, pretrain_loader, run_dir, resume, say)
        load_pretrained_motion_encoder(model, weights)
    val_ds = (
        datasets_for(model, cfg, data, "val", "test", cache, cfg.data.num_val_clips) if data.val else None
    )
    task: SupervisedTask | DistillationTask
    if cfg.task.kind == "distillation":
        task, train_ds = _distillation_setup(model, cfg, data, run_dir, cache)
    elif cfg.task.kind == "supervised":
        train_ds = datasets_for(model, cfg, data, "train", "train", cache)
        task = SupervisedTask(model, cfg.optim, cfg.task.action_loss_weight, cfg.task.label_smoothing)
    else:
        raise ConfigError(f"task.kind {cfg.task.kind!r} is not one of supervised, distillation")
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
    # every rank predicts its share of the evaluated takes (run_eval); rank 0 writes and speaks
    speak = (say if log else _logger.info) if result.is_global_zero else _silent
    metrics = evaluate_after_training(run_dir, data, cache, speak, show_progress=cfg.trainer.progress_bar)
    evaluated = None
    if metrics is not None:  # named with the split they were measured on (test_..., val_...)
        split = metrics["split"]
        evaluated = {f"{split}_{k}": metrics[k] for k in ("overall_accuracy", "balanced_accuracy")}
    speak(result.line(evaluated))
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
    teacher = load_teacher(teacher_dir)
    teacher_cfg = load_run_config(teacher_dir)
    protocol = ("num_frames", "sample_fps", "num_test_clips")
    mismatch = {k: (getattr(teacher_cfg.data, k), getattr(cfg.data, k)) for k in protocol}
    mismatch = {k: v for k, v in mismatch.items() if v[0] != v[1]}
    if mismatch:  # the teacher's clip features must be of the very clips the student sees
        raise ConfigError(
            f"teacher run {teacher_dir} cut its clips differently (teacher, student): {mismatch}"
        )
    teacher_clips = datasets_for(teacher, teacher_cfg, data, "train", "test", cache)
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
    student_clips = datasets_for(model, cfg, data, "train", "test", cache)
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
