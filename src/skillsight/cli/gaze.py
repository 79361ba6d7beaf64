"""``skillsight gaze ...``: PriviGaze gaze estimation from face images.

Subcommands: train, lopo (leave-one-person-out on MPIIFaceGaze), eval, predict, export, demo.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from skillsight.exceptions import ConfigError

__all__ = ["HELP", "app"]

HELP = (
    "PriviGaze: estimate gaze from a face image; privileged teacher distilled into an ~80K-parameter student."
)
app = typer.Typer(help=HELP, no_args_is_help=True)


#: shortcut option -> the config key it sets (given options override the preset and file)
_TRAIN_SHORTCUTS = {
    "mode": "task.mode",
    "data": "data.dataset",
    "data_root": "data.root",
    "teacher_checkpoint": "model.teacher_checkpoint",
    "teacher_model": "model.teacher",
    "student_model": "model.student",
    "face_backbone": "model.face_backbone",
    "eye_backbone": "model.eye_backbone",
    "face_size": "data.face_size",
    "val_subject": "data.val_subjects",
    "n_train": "data.n_train",
    "teacher_epochs": "task.teacher_epochs",
    "student_epochs": "task.student_epochs",
    "batch_size": "data.batch_size",
    "seed": "trainer.seed",
}


@app.command()
def train(
    out: Path = typer.Option(..., help="run folder to write (config.json, teacher/, student/, metrics.json)"),
    config: str = typer.Option(
        "privigaze_tiny", "--config", "-c", help="privigaze_tiny | privigaze_paper | a YAML/JSON file"
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a config value: section.key=value"),
    resume: bool = typer.Option(False, "--resume", help="continue a stopped run from its checkpoints"),
    mode: str | None = typer.Option(None, help="both | pretrain_teacher | distill | plain_student"),
    data: str | None = typer.Option(None, help="synthetic | mpiifacegaze | ethxgaze | gaze360"),
    data_root: Path | None = typer.Option(None, help="dataset folder (real datasets)"),
    teacher_checkpoint: Path | None = typer.Option(None, help="teacher model for --mode distill"),
    teacher_model: str | None = typer.Option(
        None, help="registered teacher (privigaze_teacher = paper size)"
    ),
    student_model: str | None = typer.Option(None),
    face_backbone: Path | None = typer.Option(
        None,
        help="local ConvNeXtV2 folder (RGB weights) for the teacher's face stream; its stem becomes gray",
    ),
    eye_backbone: Path | None = typer.Option(
        None, help="local ConvNeXtV2 folder for the teacher's eye stream"
    ),
    face_size: int | None = typer.Option(None, help="face side in pixels (paper: 224)"),
    val_subject: list[str] = typer.Option(
        [], help="held-out subject id (repeatable; MPIIFaceGaze / ETH-XGaze)"
    ),
    n_train: int | None = typer.Option(None, help="synthetic training samples"),
    teacher_epochs: int | None = typer.Option(None),
    student_epochs: int | None = typer.Option(None),
    batch_size: int | None = typer.Option(None),
    seed: int | None = typer.Option(None),
) -> None:
    """Train the teacher and/or the student through the one training loop; writes a run folder."""
    import json as _json

    from skillsight.config import load_config
    from skillsight.projects.gaze_estimation.pipeline import train_gaze

    given = dict(locals())
    shortcuts = []
    for option, key in _TRAIN_SHORTCUTS.items():
        value = given[option]
        if value is not None and value != []:
            shortcuts.append(f"{key}={_json.dumps(str(value) if isinstance(value, Path) else value)}")
    cfg = load_config(config, [*shortcuts, *overrides], method="gaze")
    metrics = train_gaze(cfg, out, resume=resume, log=typer.echo)
    for role, m in metrics.items():
        typer.echo(
            f"{role}: mean angular error {m['mean_deg']:.2f} deg (median {m['median_deg']:.2f}, n={m['n']})"
        )


@app.command()
def lopo(
    out: Path = typer.Option(..., help="protocol folder to write (fold_<subject>/ run folders, lopo.json)"),
    data_root: Path = typer.Option(..., help="MPIIFaceGaze folder (pXX/pXX.txt)"),
    config: str = typer.Option(
        "privigaze_paper", "--config", "-c", help="privigaze_paper | privigaze_tiny | a YAML/JSON file"
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a config value: section.key=value"),
    subject: list[str] = typer.Option([], help="run only these folds (repeatable; default: every subject)"),
    resume: bool = typer.Option(False, "--resume", help="keep finished folds, continue the others"),
) -> None:
    """Leave-one-person-out on MPIIFaceGaze: one fold per subject, the mean error over folds."""
    from skillsight.config import load_config
    from skillsight.projects.gaze_estimation.protocols import leave_one_person_out

    sets = ["data.dataset=mpiifacegaze", f"data.root={json.dumps(str(data_root))}", *overrides]
    cfg = load_config(config, sets, method="gaze")
    leave_one_person_out(cfg, out, subjects=list(subject) or None, resume=resume, log=typer.echo)


@app.command("eval")
def evaluate(
    checkpoint: Path = typer.Argument(
        ..., help="a run's teacher/model.safetensors or student/model.safetensors"
    ),
    data: str = typer.Option("synthetic", help="synthetic | mpiifacegaze | ethxgaze | gaze360"),
    data_root: Path | None = typer.Option(None),
    val_subject: list[str] = typer.Option([], help="subjects to evaluate on (MPIIFaceGaze / ETH-XGaze)"),
    n: int = typer.Option(500, help="synthetic evaluation samples"),
    seed: int = typer.Option(12345, help="synthetic evaluation seed (use one not used in training)"),
) -> None:
    """Mean/median angular error (degrees) of a checkpoint on held-out data (JSON on stdout)."""
    from skillsight.config import config_from_dict, validate
    from skillsight.projects.gaze_estimation.config import GazeTrainConfig
    from skillsight.projects.gaze_estimation.models import PriviGazeStudent, PriviGazeTeacher
    from skillsight.projects.gaze_estimation.pipeline import build_datasets, evaluate_gaze
    from skillsight.runs.checkpoint import load_model

    model = load_model(checkpoint)
    if not isinstance(model, (PriviGazeTeacher, PriviGazeStudent)):
        raise ConfigError(f"{checkpoint}: not a PriviGaze teacher or student ({type(model).__name__})")
    eye = getattr(model, "eye_size", (32, 48))
    data_cfg = {
        "dataset": data,
        "root": str(data_root) if data_root else None,
        "face_size": model.face_size,
        "eye_size": list(eye),
        "val_subjects": list(val_subject),
        "n_train": 1,
        "n_val": n,
    }
    cfg = validate(config_from_dict({"data": data_cfg}, source="gaze eval options", schema=GazeTrainConfig))
    _, val = build_datasets(cfg, seed=seed - 10_000)
    typer.echo(json.dumps(evaluate_gaze(model, val), indent=2))


@app.command()
def predict(
    checkpoint: Path = typer.Argument(..., help="student checkpoint (.safetensors)"),
    images: list[Path] = typer.Argument(..., help="face image files (each taken as a face crop)"),
) -> None:
    """Print pitch and yaw (degrees) for each face image."""
    import numpy as np

    from skillsight.projects.gaze_estimation.pipeline import predict_images

    pred = np.degrees(predict_images(checkpoint, images))
    for path, (pitch, yaw) in zip(images, pred):
        typer.echo(f"{path}\tpitch_deg={pitch:.2f}\tyaw_deg={yaw:.2f}")


@app.command()
def export(
    checkpoint: Path = typer.Argument(..., help="checkpoint (.safetensors) of a teacher or student"),
    out: Path = typer.Option(..., help=".onnx file to write"),
    check: bool = typer.Option(True, help="check ONNX Runtime against PyTorch (atol 1e-4)"),
) -> None:
    """Export to ONNX (dynamic batch) with skillsight.deploy.onnx_export."""
    from skillsight.deploy.onnx_export import check_onnx_parity, export_onnx
    from skillsight.projects.gaze_estimation.models import PriviGazeStudent, PriviGazeTeacher
    from skillsight.runs.checkpoint import load_model

    model = load_model(checkpoint)
    if not isinstance(model, (PriviGazeTeacher, PriviGazeStudent)):
        raise ConfigError(f"{checkpoint}: not a PriviGaze teacher or student ({type(model).__name__})")
    export_onnx(model, out, metadata={"angle_order": "pitch,yaw", "bins": model.bins.to_dict()})
    typer.echo(f"wrote {out}")
    if check:
        typer.echo(f"max |onnx - torch| = {check_onnx_parity(model, out):.2e}")


@app.command()
def demo(
    seed: int = typer.Option(0),
    n_train: int = typer.Option(2000, help="synthetic training faces"),
    n_test: int = typer.Option(500, help="held-out synthetic faces (a different seed)"),
    teacher_epochs: int = typer.Option(8),
    student_epochs: int = typer.Option(10),
    face_size: int = typer.Option(64, help="64 px on CPU; the paper uses 224"),
) -> None:
    """Train teacher, distilled student and plain student on synthetic faces (CPU, a few minutes)."""
    from skillsight.projects.gaze_estimation.pipeline import run_demo

    r = run_demo(
        seed=seed,
        n_train=n_train,
        n_test=n_test,
        teacher_epochs=teacher_epochs,
        student_epochs=student_epochs,
        face_size=face_size,
    )
    typer.echo(f"teacher (eyes + blurred face)        : {r['teacher_error_deg']:.2f} deg")
    typer.echo(f"student, distilled (face only)       : {r['distilled_student_error_deg']:.2f} deg")
    typer.echo(f"student, no distillation (face only) : {r['plain_student_error_deg']:.2f} deg")
    typer.echo(f"distilled_vs_plain ratio             : {r['distilled_vs_plain_ratio']:.3f}")
