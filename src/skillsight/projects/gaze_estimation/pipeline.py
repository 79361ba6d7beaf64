"""PriviGaze train / evaluate / predict / demo: the library functions ``skillsight gaze ...`` calls.

A training run writes a run folder through the one training loop (:func:`skillsight.training.loop.fit`),
one fit per phase::

    run/config.json        the resolved GazeTrainConfig (config_schema "gaze")
    run/teacher/           the teacher's fit: model.safetensors/.json, checkpoints/last.ckpt, logs/
    run/student/           the student's fit (distilled, or plain)
    run/metrics.json       held-out angular errors per model

``train_gaze(cfg, run, resume=True)`` continues a stopped run: a finished phase is not trained again.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from skillsight.config import load_config
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.tracks import GazeTrack
from skillsight.models import model_inputs
from skillsight.projects.gaze_estimation.angles import angular_error_deg, pitchyaw_to_vector
from skillsight.projects.gaze_estimation.config import GazeTrainConfig
from skillsight.projects.gaze_estimation.losses import LossWeights
from skillsight.projects.gaze_estimation.models import PriviGazeStudent, PriviGazeTeacher
from skillsight.projects.gaze_estimation.readers import (
    FaceArrayDataset,
    FaceIndexDataset,
    read_ethxgaze,
    read_gaze360,
    read_mpiifacegaze,
    rgb_to_gray,
)
from skillsight.projects.gaze_estimation.synthetic import SyntheticFaceConfig, generate_synthetic_faces
from skillsight.projects.gaze_estimation.task import GazeEstimationTask
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import load_model
from skillsight.runs.run_config import save_config
from skillsight.training.fit_result import FitResult
from skillsight.training.loop import LAST_CHECKPOINT, fit
from skillsight.training.sampling import make_loader

__all__ = [
    "DEMO_WEIGHTS",
    "GazeTrainConfig",
    "build_datasets",
    "demo_errors",
    "evaluate_gaze",
    "gaze_track_from_predictions",
    "predict_gaze",
    "predict_images",
    "run_demo",
    "train_gaze",
]

#: loss weights of the demo and benchmark (see docs/privigaze.md, "Loss scale").
DEMO_WEIGHTS = LossWeights()


def build_datasets(
    cfg: GazeTrainConfig, seed: int | None = None
) -> tuple[torch.utils.data.Dataset, torch.utils.data.Dataset]:
    """(train, validation) torch datasets for ``cfg.data`` (synthetic sets drawn from ``seed``, the
    trainer's seed by default; the validation set from ``seed + 10000``)."""
    data = cfg.data
    seed = cfg.trainer.seed if seed is None else seed
    if data.dataset == "synthetic":
        syn = SyntheticFaceConfig(face_size=data.face_size, eye_size=data.eye_size)
        train = generate_synthetic_faces(data.n_train, seed=seed, config=syn)
        val = generate_synthetic_faces(data.n_val, seed=seed + 10_000, config=syn)
        return FaceArrayDataset(train), FaceArrayDataset(val)
    root = data.root
    if root is None:
        raise ConfigError(f"data.root: the {data.dataset!r} dataset needs its folder")
    if data.dataset == "mpiifacegaze":
        index = read_mpiifacegaze(root)
    elif data.dataset == "ethxgaze":
        index = read_ethxgaze(root)
    else:
        index = read_gaze360(root)
    if data.dataset == "gaze360":
        train_rows = np.flatnonzero(index.split == "train")
        val_rows = np.flatnonzero(index.split == "val")
    else:
        held = np.isin(index.subject_ids, data.val_subjects + data.test_subjects)
        if not data.val_subjects:
            raise ConfigError(
                f"{data.dataset}: give data.val_subjects (held-out subjects); found "
                f"{sorted(set(index.subject_ids))}"
            )
        val_rows = np.flatnonzero(np.isin(index.subject_ids, data.val_subjects))
        train_rows = np.flatnonzero(~held)
    if val_rows.size == 0 or train_rows.size == 0:
        raise DataFormatError(
            data.root or "", "subjects/split", data.val_subjects, "empty train or validation set"
        )
    full = FaceIndexDataset(index, data.face_size, data.eye_size)
    return (
        torch.utils.data.Subset(full, train_rows.tolist()),
        torch.utils.data.Subset(full, val_rows.tolist()),
    )


def _fit_phase(
    task: GazeEstimationTask,
    train: torch.utils.data.Dataset,
    val: torch.utils.data.Dataset,
    epochs: int,
    cfg: GazeTrainConfig,
    run_dir: Path,
    resume: bool,
) -> FitResult:
    """One phase through the one loop: ``epochs`` epochs, validation errors logged every epoch, the final
    model kept (``monitor=None``), as the hand-written loop did."""
    data = cfg.data
    loaders: dict[str, Any] = {"num_workers": data.num_workers, "pin_memory": data.pin_memory}
    # a one-sample last batch cannot train BatchNorm: that epoch's left-over sample (a different one each
    # shuffled epoch) is dropped instead
    lone_last = len(train) % data.batch_size == 1  # type: ignore[arg-type]
    train_loader = make_loader(
        train, data.batch_size, shuffle=True, seed=cfg.trainer.seed, drop_last=lone_last, **loaders
    )
    val_loader = make_loader(val, data.eval_batch_size, shuffle=False, **loaders)
    trainer = replace(cfg.trainer, max_epochs=epochs)
    resume = resume and (run_dir / LAST_CHECKPOINT).is_file()
    return fit(
        task,
        train_loader,
        val_loader,
        run_dir,
        trainer,
        resume=resume,
        monitor=None,
        metadata={"role": task.mode, "data": data.dataset},
    )


_Model = TypeVar("_Model", PriviGazeTeacher, PriviGazeStudent)


def _expect(model: nn.Module, kind: type[_Model], source: str) -> _Model:
    """``model`` if it is a ``kind``, else a ConfigError naming ``source`` and both classes."""
    if not isinstance(model, kind):
        raise ConfigError(f"{source}: expected a {kind.__name__}, got a {type(model).__name__}")
    return model


def _create(name: str, cfg: GazeTrainConfig, seed: int, kind: type[_Model]) -> _Model:
    from skillsight.models import create_model

    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"face_size": cfg.data.face_size, **cfg.bins_kwargs()}
    if "teacher" in name:
        kwargs["eye_size"] = list(cfg.data.eye_size)
        # local ConvNeXtV2 folders; the face's RGB stem is adapted to grayscale, not re-initialised
        if cfg.model.face_backbone:
            kwargs["face_backbone_path"] = cfg.model.face_backbone
        if cfg.model.eye_backbone:
            kwargs["eye_backbone_path"] = cfg.model.eye_backbone
    return _expect(create_model(name, **kwargs), kind, f"model {name!r}")


@torch.no_grad()
def _predict_with_labels(
    model: nn.Module, dataset: torch.utils.data.Dataset, batch_size: int
) -> tuple[np.ndarray, np.ndarray]:
    model.eval()
    preds, labels = [], []
    for batch in DataLoader(dataset, batch_size=batch_size):
        inputs = {k: batch[k] for k in model_inputs(model)}
        preds.append(torch.deg2rad(model(**inputs)["pitchyaw_deg"]).double().numpy())
        labels.append(batch["pitchyaw_rad"].double().numpy())
    if not preds:
        return np.zeros((0, 2)), np.zeros((0, 2))
    return np.concatenate(preds), np.concatenate(labels)


def predict_gaze(model: nn.Module, dataset: torch.utils.data.Dataset, batch_size: int = 256) -> np.ndarray:
    """(N, 2) predicted (pitch, yaw) radians of ``model`` (teacher or student) over ``dataset``."""
    return _predict_with_labels(model, dataset, batch_size)[0]


def evaluate_gaze(
    model: nn.Module, dataset: torch.utils.data.Dataset, batch_size: int = 256
) -> dict[str, float]:
    """Mean / median / 95th-percentile angular error (degrees) of ``model`` on ``dataset``."""
    pred, true = _predict_with_labels(model, dataset, batch_size)
    if pred.shape[0] == 0:
        raise ConfigError("evaluate_gaze got an empty dataset")
    err = angular_error_deg(pred, true)
    return {
        "mean_deg": float(err.mean()),
        "median_deg": float(np.median(err)),
        "p95_deg": float(np.percentile(err, 95)),
        "n": int(err.size),
    }


def _task(
    mode: str, cfg: GazeTrainConfig, teacher: PriviGazeTeacher | None, student: PriviGazeStudent | None
) -> GazeEstimationTask:
    t = cfg.task
    return GazeEstimationTask(
        mode,
        teacher=teacher,
        student=student,
        optim=cfg.optim,
        weights=t.weights,
        nce_temperature=t.nce_temperature,
        kd_temperature=t.kd_temperature,
    )


def train_gaze(
    cfg: GazeTrainConfig,
    run_dir: str | Path,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> dict[str, dict[str, float]]:
    """Train per ``cfg.task.mode``, write the run folder, return the validation metrics per model.

    Args:
        resume: continue a stopped run (each phase from its checkpoint; a finished phase is only restored).
        log: receives one result line per phase (None: silent).
    """
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run / "config.json", resume=resume)
    train, val = build_datasets(cfg)
    seed, mode, batch = cfg.trainer.seed, cfg.task.mode, cfg.data.eval_batch_size
    metrics: dict[str, dict[str, float]] = {}
    teacher = None
    if mode in ("both", "pretrain_teacher"):
        teacher = _create(cfg.model.teacher, cfg, seed, PriviGazeTeacher)
        result = _fit_phase(
            _task("pretrain_teacher", cfg, teacher, None),
            train,
            val,
            cfg.task.teacher_epochs,
            cfg,
            run / "teacher",
            resume,
        )
        metrics["teacher"] = evaluate_gaze(teacher, val, batch)
        if log is not None:
            log(result.line({"val_mean_deg": metrics["teacher"]["mean_deg"]}, label="teacher"))
    elif mode == "distill":
        source = str(cfg.model.teacher_checkpoint)  # set: GazeTrainConfig.check requires it for 'distill'
        teacher = _expect(load_model(source), PriviGazeTeacher, source)
    if mode in ("both", "distill", "plain_student"):
        student = _create(cfg.model.student, cfg, seed + 1, PriviGazeStudent)
        phase = "plain_student" if mode == "plain_student" else "distill"
        result = _fit_phase(
            _task(phase, cfg, teacher if phase == "distill" else None, student),
            train,
            val,
            cfg.task.student_epochs,
            cfg,
            run / "student",
            resume,
        )
        metrics["student"] = evaluate_gaze(student, val, batch)
        if log is not None:
            log(result.line({"val_mean_deg": metrics["student"]["mean_deg"]}, label=f"student ({phase})"))
    atomic_write_text(run / "metrics.json", json.dumps(metrics, indent=2, sort_keys=True))
    return metrics


def predict_images(checkpoint: str | Path, images: Sequence[str | Path]) -> np.ndarray:
    """(N, 2) (pitch, yaw) radians from face image files with a *student* checkpoint.

    Each file is taken as a face crop (RGB, any size): converted to gray and resized to the
    model's ``face_size``.
    """
    import cv2

    model = load_model(checkpoint)
    if not isinstance(model, PriviGazeStudent):
        raise ConfigError(
            f"{checkpoint}: predict needs a face-only student, this model takes {model.input_names}"
        )
    S = model.face_size
    faces = []
    for path in images:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            raise DataFormatError(path, "", "", "cannot read image")
        faces.append(cv2.resize(rgb_to_gray(bgr[..., ::-1]), (S, S), interpolation=cv2.INTER_AREA) / 255.0)
    with torch.no_grad():
        out = model(face=torch.as_tensor(np.stack(faces), dtype=torch.float32)[:, None])
    return torch.deg2rad(out["pitchyaw_deg"]).double().numpy()


def gaze_track_from_predictions(
    timestamps_us: np.ndarray, pitch_rad: np.ndarray, yaw_rad: np.ndarray, source: str = "privigaze"
) -> GazeTrack:
    """Turn per-frame face-camera gaze predictions into a :class:`GazeTrack` (depth NaN).

    The estimator's angles are in the face-camera convention (+x toward the camera's left, i.e. the
    subject's right for a subject facing the camera; y up; z toward the camera). A GazeTrack holds
    CPF angles (X subject's left, Y up, Z forward, yaw = atan(x/z), pitch = atan(y/z)), so the
    vector's x is negated and the angles re-derived with the CPF's tangent convention.
    """
    t = np.asarray(timestamps_us)
    pitch, yaw = np.asarray(pitch_rad, np.float64), np.asarray(yaw_rad, np.float64)
    if t.ndim != 1 or pitch.shape != t.shape or yaw.shape != t.shape:
        raise DataFormatError(
            source,
            "timestamps_us/pitch_rad/yaw_rad",
            (t.shape, pitch.shape, yaw.shape),
            "need three 1-D arrays of the same length",
        )
    if t.size > 1 and np.any(np.diff(t) <= 0):
        bad = int(np.flatnonzero(np.diff(t) <= 0)[0])
        raise DataFormatError(
            source, f"timestamps_us[{bad + 1}]", int(t[bad + 1]), "timestamps must strictly increase"
        )
    v = pitchyaw_to_vector(np.stack([pitch, yaw], axis=-1))  # (N, 3)
    x_cpf, y_cpf, z_cpf = -v[:, 0], v[:, 1], v[:, 2]
    if np.any(z_cpf <= 0):
        bad = int(np.flatnonzero(z_cpf <= 0)[0])
        raise DataFormatError(
            source, f"yaw_rad[{bad}]", float(yaw[bad]), "gaze points behind the subject (|yaw| >= 90 deg)"
        )
    n = t.size
    return GazeTrack(
        timestamps_us=t.astype(np.int64),
        yaw_rad=np.arctan2(x_cpf, z_cpf),
        pitch_rad=np.arctan2(y_cpf, z_cpf),
        depth_m=np.full(n, np.nan),
        depth_valid=np.zeros(n, bool),
        layout="privigaze",
        source=source,
    )


def demo_errors(
    seed: int = 0,
    n_train: int = 2000,
    n_test: int = 500,
    teacher_epochs: int = 8,
    student_epochs: int = 10,
    face_size: int = 64,
    eye_size: tuple[int, int] = (32, 48),
    batch_size: int = 64,
    weights: LossWeights | None = None,
) -> dict[str, np.ndarray]:
    """Teacher, distilled student and plain student on synthetic faces: the (N,) held-out angular
    error (degrees) of each test face, under ``teacher``, ``distilled_student`` and ``plain_student``
    (the same faces in the same order, so the three are paired).

    Both students start from identical weights and see the same data in the same order; only the
    distillation terms differ. ``weights`` defaults to :data:`DEMO_WEIGHTS`. The fits go to a temporary
    folder (only the errors are kept).
    """
    overrides = [
        f"trainer.seed={seed}",
        f"data.n_train={n_train}",
        f"data.n_val={n_test}",
        f"data.face_size={face_size}",
        f"data.eye_size=[{eye_size[0]}, {eye_size[1]}]",
        f"data.batch_size={batch_size}",
        f"task.teacher_epochs={teacher_epochs}",
        f"task.student_epochs={student_epochs}",
        "trainer.progress_bar=false",
    ]
    cfg: GazeTrainConfig = load_config("privigaze_tiny", overrides, method="gaze")
    cfg.task.weights = weights or DEMO_WEIGHTS
    train, test = build_datasets(cfg)

    def errors(model: nn.Module) -> np.ndarray:
        pred, true = _predict_with_labels(model, test, 256)
        return angular_error_deg(pred, true)  # (N,) degrees

    result: dict[str, np.ndarray] = {}
    with tempfile.TemporaryDirectory(prefix="privigaze_demo_") as tmp:
        teacher = _create(cfg.model.teacher, cfg, seed, PriviGazeTeacher)
        _fit_phase(
            _task("pretrain_teacher", cfg, teacher, None),
            train,
            test,
            teacher_epochs,
            cfg,
            Path(tmp) / "teacher",
            False,
        )
        result["teacher"] = errors(teacher)
        for name, mode in (("distilled_student", "distill"), ("plain_student", "plain_student")):
            # identical initial weights for both students
            student = _create(cfg.model.student, cfg, seed + 1, PriviGazeStudent)
            task = _task(mode, cfg, teacher if mode == "distill" else None, student)
            _fit_phase(task, train, test, student_epochs, cfg, Path(tmp) / mode, False)
            result[name] = errors(student)
    return result


def run_demo(
    seed: int = 0,
    n_train: int = 2000,
    n_test: int = 500,
    teacher_epochs: int = 8,
    student_epochs: int = 10,
    face_size: int = 64,
    eye_size: tuple[int, int] = (32, 48),
    batch_size: int = 64,
    weights: LossWeights | None = None,
) -> dict[str, float]:
    """Mean held-out errors (degrees) of :func:`demo_errors`' three models and distilled / plain."""
    errs = demo_errors(
        seed, n_train, n_test, teacher_epochs, student_epochs, face_size, eye_size, batch_size, weights
    )
    result = {f"{name}_error_deg": float(e.mean()) for name, e in errs.items()}
    result["distilled_vs_plain_ratio"] = (
        result["distilled_student_error_deg"] / result["plain_student_error_deg"]
    )
    return result
