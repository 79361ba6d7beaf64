"""PriviGaze train / evaluate / predict / demo: the library functions ``skillsight gaze ...`` calls.

A training run writes a run folder: ``config.json`` (the resolved :class:`GazeTrainConfig`),
``teacher.safetensors/.json`` and/or ``student.safetensors/.json`` (via
:func:`skillsight.runs.checkpoint.save_model`) and ``metrics.json`` (held-out angular errors).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.gaze.tracks import GazeTrack
from skillsight.models import model_inputs
from skillsight.projects.gaze_estimation.angles import DATASET_BINS, angular_error_deg, pitchyaw_to_vector
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
from skillsight.runs.checkpoint import load_model, save_model
from skillsight.training.quiet import quiet_lightning

__all__ = [
    "DEMO_WEIGHTS",
    "PIPELINE_MODES",
    "GazeTrainConfig",
    "build_datasets",
    "evaluate_gaze",
    "gaze_track_from_predictions",
    "predict_gaze",
    "predict_images",
    "run_demo",
    "train_gaze",
]

#: ``both`` pretrains the teacher then distils it; ``plain_student`` is the no-distillation baseline.
PIPELINE_MODES = ("both", "pretrain_teacher", "distill", "plain_student")
#: loss weights of the demo and benchmark (see docs/privigaze.md, "Loss scale").
DEMO_WEIGHTS = LossWeights()
DATASETS = ("synthetic", "mpiifacegaze", "ethxgaze", "gaze360")


@dataclass
class GazeTrainConfig:
    """Everything a PriviGaze run needs; written to ``config.json`` in the run folder.

    ``data_root`` is required for real datasets; ``val_subjects``/``test_subjects`` hold subjects out
    (leave-subjects-out; Gaze360 uses its own split instead). Bins default to the dataset's L2CS bins.
    """

    mode: str = "both"
    data: str = "synthetic"
    data_root: str | None = None
    teacher_model: str = "privigaze_teacher_small"
    student_model: str = "privigaze_student"
    teacher_checkpoint: str | None = None
    face_size: int = 64
    eye_size: tuple[int, int] = (32, 48)
    num_bins: int | None = None
    bin_width_deg: float | None = None
    bin_lo_deg: float | None = None
    n_train: int = 2000
    n_val: int = 400
    seed: int = 0
    val_subjects: list[str] = field(default_factory=list)
    test_subjects: list[str] = field(default_factory=list)
    teacher_epochs: int = 6
    student_epochs: int = 8
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    weights: dict[str, float] = field(default_factory=lambda: LossWeights().to_dict())
    num_workers: int = 0

    def __post_init__(self) -> None:
        if self.mode not in PIPELINE_MODES:
            raise ConfigError(f"gaze mode {self.mode!r} unknown; valid: {', '.join(PIPELINE_MODES)}")
        if self.data not in DATASETS:
            raise ConfigError(f"gaze data {self.data!r} unknown; valid: {', '.join(DATASETS)}")
        if self.data != "synthetic" and not self.data_root:
            raise ConfigError(f"gaze data {self.data!r} needs data_root")
        if self.mode == "distill" and not self.teacher_checkpoint:
            raise ConfigError("gaze mode 'distill' needs teacher_checkpoint (a run's teacher.safetensors)")
        self.eye_size = (int(self.eye_size[0]), int(self.eye_size[1]))

    def bins_kwargs(self) -> dict[str, float]:
        """Angle bins (count, width and lower edge in degrees): the dataset's defaults unless overridden."""
        d = DATASET_BINS[self.data]
        return {
            "num_bins": self.num_bins or d.num_bins,
            "bin_width_deg": self.bin_width_deg or d.width_deg,
            "bin_lo_deg": d.lo_deg if self.bin_lo_deg is None else self.bin_lo_deg,
        }


def build_datasets(cfg: GazeTrainConfig) -> tuple[torch.utils.data.Dataset, torch.utils.data.Dataset]:
    """(train, validation) torch datasets for ``cfg.data``."""
    if cfg.data == "synthetic":
        syn = SyntheticFaceConfig(face_size=cfg.face_size, eye_size=cfg.eye_size)
        train = generate_synthetic_faces(cfg.n_train, seed=cfg.seed, config=syn)
        val = generate_synthetic_faces(cfg.n_val, seed=cfg.seed + 10_000, config=syn)
        return FaceArrayDataset(train), FaceArrayDataset(val)
    root = cfg.data_root
    if root is None:
        raise ConfigError(f"gaze data {cfg.data!r} needs data_root")
    if cfg.data == "mpiifacegaze":
        index = read_mpiifacegaze(root)
    elif cfg.data == "ethxgaze":
        index = read_ethxgaze(root)
    else:
        index = read_gaze360(root)
    if cfg.data == "gaze360":
        train_rows = np.flatnonzero(index.split == "train")
        val_rows = np.flatnonzero(index.split == "val")
    else:
        held = np.isin(index.subject_ids, cfg.val_subjects + cfg.test_subjects)
        if not cfg.val_subjects:
            raise ConfigError(
                f"{cfg.data}: give val_subjects (held-out subjects); found {sorted(set(index.subject_ids))}"
            )
        val_rows = np.flatnonzero(np.isin(index.subject_ids, cfg.val_subjects))
        train_rows = np.flatnonzero(~held)
    if val_rows.size == 0 or train_rows.size == 0:
        raise DataFormatError(
            cfg.data_root or "", "subjects/split", cfg.val_subjects, "empty train or validation set"
        )
    full = FaceIndexDataset(index, cfg.face_size, cfg.eye_size)
    return (
        torch.utils.data.Subset(full, train_rows.tolist()),
        torch.utils.data.Subset(full, val_rows.tolist()),
    )


def _fit(
    task: GazeEstimationTask, train: torch.utils.data.Dataset, epochs: int, cfg: GazeTrainConfig
) -> None:
    import lightning as L

    torch.manual_seed(cfg.seed)
    loader = DataLoader(
        train,
        batch_size=cfg.batch_size,
        shuffle=True,
        num_workers=cfg.num_workers,
        generator=torch.Generator().manual_seed(cfg.seed),
    )
    quiet_lightning()
    trainer = L.Trainer(
        max_epochs=epochs,
        accelerator="auto",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        deterministic=False,
    )
    trainer.fit(task, loader)


_Model = TypeVar("_Model", PriviGazeTeacher, PriviGazeStudent)


def _expect(model: nn.Module, kind: type[_Model], source: str) -> _Model:
    """``model`` if it is a ``kind``, else a ConfigError naming ``source`` and both classes."""
    if not isinstance(model, kind):
        raise ConfigError(f"{source}: expected a {kind.__name__}, got a {type(model).__name__}")
    return model


def _create(name: str, cfg: GazeTrainConfig, seed: int, kind: type[_Model]) -> _Model:
    from skillsight.models import create_model

    torch.manual_seed(seed)
    kwargs: dict[str, Any] = {"face_size": cfg.face_size, **cfg.bins_kwargs()}
    if "teacher" in name:
        kwargs["eye_size"] = list(cfg.eye_size)
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


def train_gaze(cfg: GazeTrainConfig, run_dir: str | Path) -> dict[str, dict[str, float]]:
    """Train per ``cfg.mode``, write the run folder, return the validation metrics per model."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    atomic_write_text(run / "config.json", json.dumps(asdict(cfg), indent=2, sort_keys=True))
    train, val = build_datasets(cfg)
    weights = LossWeights(**cfg.weights)
    metrics: dict[str, dict[str, float]] = {}
    teacher = None
    if cfg.mode in ("both", "pretrain_teacher"):
        teacher = _create(cfg.teacher_model, cfg, cfg.seed, PriviGazeTeacher)
        _fit(
            GazeEstimationTask(
                "pretrain_teacher", teacher=teacher, lr=cfg.lr, weight_decay=cfg.weight_decay, weights=weights
            ),
            train,
            cfg.teacher_epochs,
            cfg,
        )
        save_model(teacher, run / "teacher", metadata={"role": "teacher", "data": cfg.data})
        metrics["teacher"] = evaluate_gaze(teacher, val)
    elif cfg.mode == "distill":
        source = str(cfg.teacher_checkpoint)  # set: GazeTrainConfig checks it for mode 'distill'
        teacher = _expect(load_model(source), PriviGazeTeacher, source)
    if cfg.mode in ("both", "distill", "plain_student"):
        student = _create(cfg.student_model, cfg, cfg.seed + 1, PriviGazeStudent)
        mode = "plain_student" if cfg.mode == "plain_student" else "distill"
        _fit(
            GazeEstimationTask(
                mode,
                teacher=teacher if mode == "distill" else None,
                student=student,
                lr=cfg.lr,
                weight_decay=cfg.weight_decay,
                weights=weights,
            ),
            train,
            cfg.student_epochs,
            cfg,
        )
        save_model(student, run / "student", metadata={"role": f"student ({mode})", "data": cfg.data})
        metrics["student"] = evaluate_gaze(student, val)
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
    """Teacher, distilled student and plain student on synthetic faces; mean held-out errors (degrees).

    Both students start from identical weights and see the same data in the same order; only the
    distillation terms differ. ``weights`` defaults to :data:`DEMO_WEIGHTS`.
    """
    weights = weights or DEMO_WEIGHTS
    cfg = GazeTrainConfig(
        mode="both",
        n_train=n_train,
        n_val=n_test,
        seed=seed,
        face_size=face_size,
        eye_size=eye_size,
        teacher_epochs=teacher_epochs,
        student_epochs=student_epochs,
        batch_size=batch_size,
        weights=weights.to_dict(),
    )
    train, test = build_datasets(cfg)
    teacher = _create(cfg.teacher_model, cfg, seed, PriviGazeTeacher)
    _fit(
        GazeEstimationTask("pretrain_teacher", teacher=teacher, lr=cfg.lr, weights=weights),
        train,
        teacher_epochs,
        cfg,
    )
    result = {"teacher_error_deg": evaluate_gaze(teacher, test)["mean_deg"]}
    for name, mode in (
        ("distilled_student_error_deg", "distill"),
        ("plain_student_error_deg", "plain_student"),
    ):
        # identical initial weights for both students
        student = _create(cfg.student_model, cfg, seed + 1, PriviGazeStudent)
        task = GazeEstimationTask(
            mode, teacher=teacher if mode == "distill" else None, student=student, lr=cfg.lr, weights=weights
        )
        _fit(task, train, student_epochs, cfg)
        result[name] = evaluate_gaze(student, test)["mean_deg"]
    result["distilled_vs_plain_ratio"] = (
        result["distilled_student_error_deg"] / result["plain_student_error_deg"]
    )
    return result
