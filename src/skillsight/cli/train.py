"""``skillsight train teacher|student|baseline``: train a SkillSight model into a run folder."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "train_command"]

HELP = "Train the SkillSight teacher, the distilled student or a baseline (resumable run folders)."
console = Console()


class Kind(str, Enum):
    teacher = "teacher"
    student = "student"
    baseline = "baseline"


class Baseline(str, Enum):
    """Baselines with tiny and paper presets (``<baseline>_tiny``, ``<baseline>_paper``)."""

    gaze_only = "gaze_only"  # the student without distillation and action token
    video_only = "video_only"  # the teacher with only its video branch (ablation)
    timesformer = "timesformer"  # stand-alone video-only TimeSformer
    gaze_crop = "gaze_crop"  # TimeSformer on gaze-centred crops (EgoExoLearn / Beholder style)
    skillformer_ego = "skillformer_ego"
    skillformer_exos = "skillformer_exos"
    skillformer_egoexos = "skillformer_egoexos"
    x3d_xs = "x3d_xs"  # light video CNN (X3D-XS, 4 frames)
    egodistill = "egodistill"  # sparse frames + head motion reconstruct a video teacher's feature (--teacher)
    egotrigger = "egotrigger"  # audio events switch the camera on; triggered frames classified
    egoexolearn = "egoexolearn"  # gaze-centred crops (the gaze_crop model)
    beholder = "beholder"  # full frames, gaze-weighted pooling
    naive_teacher = "naive_teacher"  # video + gaze in one TimeSformer (no three branches)


def preset_name(kind: Kind, config: str, baseline: Baseline) -> str:
    """``tiny``/``paper`` expand to the kind's preset (e.g. teacher_tiny); anything else is used as given."""
    if config in {"tiny", "paper"}:
        family = baseline.value if kind is Kind.baseline else kind.value
        return f"{family}_{config}"
    return config


def train_command(
    kind: Kind = typer.Argument(..., help="teacher | student | baseline"),
    config: str = typer.Option("tiny", "--config", "-c", help="tiny | paper | a preset name | a YAML file"),
    out: Path = typer.Option(..., "--out", "-o", help="run folder to write (or resume)"),
    data_root: Path | None = typer.Option(None, "--data", help="dataset root (overrides data.root)"),
    teacher: Path | None = typer.Option(
        None, "--teacher", help="teacher run folder (student distillation; EgoDistill's video teacher)"
    ),
    baseline: Baseline = typer.Option(
        Baseline.gaze_only, "--baseline", help="which baseline for KIND=baseline"
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a config value: section.key=value"),
    resume: bool = typer.Option(
        False, "--resume", help="continue from OUT/checkpoints/last.ckpt after a kill"
    ),
    per_scenario: bool = typer.Option(
        False,
        "--per-scenario",
        help="one model per scenario (the released code's students) into OUT/scenario_<name>, results pooled",
    ),
) -> None:
    """Train a model and evaluate its best checkpoint on the test split."""
    from skillsight.config import load_config
    from skillsight.training.skill_run import train_run

    extra = list(overrides)
    if data_root is not None:
        extra.append(f"data.root={data_root}")
    if teacher is not None:
        extra.append(f"task.teacher_run={teacher}")
    cfg = load_config(preset_name(kind, config, baseline), extra)

    def log(line: str) -> None:
        console.print(line, highlight=False, soft_wrap=True)

    if per_scenario:
        from skillsight.training.per_scenario import train_per_scenario

        train_per_scenario(cfg, out, resume=resume, log=log)
        return
    train_run(cfg, out, resume=resume, log=log)
