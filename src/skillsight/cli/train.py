"""``skillsight train teacher|student|baseline``: train a SkillSight model into a run folder."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from skillsight.config.schema import RunConfig

__all__ = [
    "HELP",
    "Baseline",
    "Kind",
    "check_options",
    "check_teacher",
    "preset_family",
    "preset_name",
    "train_command",
]

HELP = "Train the SkillSight teacher, the distilled student or a baseline (resumable run folders)."
console = Console(soft_wrap=True)
warnings_console = Console(stderr=True, soft_wrap=True, highlight=False)


def _say(message: str) -> None:
    """Training's messages: warnings (what the model will not see) to stderr in yellow, the rest to stdout."""
    from rich.text import Text

    if message.startswith("warning:"):
        warnings_console.print(Text(message, style="yellow"))
    else:
        console.print(Text(message))


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


def preset_name(kind: Kind, config: str, baseline: Baseline | None) -> str:
    """``tiny``/``paper`` expand to the kind's preset (e.g. teacher_tiny); anything else is used as given."""
    if config in {"tiny", "paper"}:
        family = (baseline or Baseline.gaze_only).value if kind is Kind.baseline else kind.value
        return f"{family}_{config}"
    return config


def preset_family(name: str) -> str | None:
    """The kind or baseline a preset name belongs to (``timesformer_tiny`` -> ``timesformer``), or None.

    The longest matching prefix wins, so ``skillformer_egoexos_tiny`` is not ``skillformer_ego``'s.
    """
    families = [Kind.teacher.value, Kind.student.value, *(b.value for b in Baseline)]
    matches = [f for f in families if name == f or name.startswith(f + "_")]
    return max(matches, key=len) if matches else None


def check_options(
    kind: Kind, config: str, baseline: Baseline | None, teacher: Path | None, preset: str
) -> None:
    """Refuse options that do not apply to the chosen kind, before anything is loaded.

    Raises:
        ConfigError: ``--baseline`` without KIND=baseline; a named preset of another kind or baseline
            (``--config teacher_tiny`` with ``train baseline``); ``--teacher`` for the teacher itself.
    """
    from skillsight.config import PRESETS
    from skillsight.exceptions import ConfigError

    if baseline is not None and kind is not Kind.baseline:
        raise ConfigError(
            f"--baseline applies to `skillsight train baseline`, not `train {kind.value}` "
            f"(try `skillsight train baseline --baseline {baseline.value}`)"
        )
    if teacher is not None and kind is Kind.teacher:
        raise ConfigError("--teacher applies to `train student` and `train baseline --baseline egodistill`")
    family = preset_family(preset) if preset in PRESETS else None
    if family is None:
        return
    expected = kind.value if kind is not Kind.baseline else (baseline.value if baseline else None)
    if kind is Kind.baseline and expected is None:
        if family in (Kind.teacher.value, Kind.student.value):
            raise ConfigError(
                f"--config {config} is a {family} preset; train it with `skillsight train {family}`"
            )
        return
    if family != expected:
        what = f"baseline {expected}" if kind is Kind.baseline else f"the {expected}"
        sizes = ", ".join(n for n in PRESETS.names() if preset_family(n) == expected)
        raise ConfigError(
            f"--config {config} is a preset of {family}, not of {what} (its presets: {sizes or 'none'})"
        )


def check_teacher(cfg: RunConfig, teacher: Path | None, config: str) -> None:
    """``--teacher`` only for distillation runs, and distillation runs need one."""
    from skillsight.exceptions import ConfigError

    if teacher is not None and cfg.task.kind != "distillation":
        raise ConfigError(
            f"--teacher applies to distillation runs (the student, EgoDistill); --config {config} trains "
            f"{cfg.model.name} with task.kind={cfg.task.kind}"
        )
    if cfg.task.kind == "distillation" and not cfg.task.teacher_run:
        raise ConfigError(
            f"--config {config} distils from a teacher: give its run folder with --teacher RUN "
            "(e.g. runs/teacher from `skillsight train teacher`)"
        )


def train_command(
    kind: Kind = typer.Argument(..., help="teacher, student or baseline"),
    config: str = typer.Option("tiny", "--config", "-c", help="tiny, paper, a preset name or a YAML file"),
    out: Path = typer.Option(..., "--out", "-o", help="run folder to write (or resume)"),
    data_root: Path | None = typer.Option(None, "--data", help="dataset root (overrides data.root)"),
    teacher: Path | None = typer.Option(
        None, "--teacher", help="teacher run folder (student distillation; EgoDistill's video teacher)"
    ),
    baseline: Baseline | None = typer.Option(
        None, "--baseline", help="which baseline, for KIND=baseline (default gaze_only)"
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
    """Train a model, then evaluate its best checkpoint on the test split (or predict unlabelled takes)."""
    from skillsight.config import load_config
    from skillsight.training.skill_run import train_run

    preset = preset_name(kind, config, baseline)
    check_options(kind, config, baseline, teacher, preset)
    extra = list(overrides)
    if data_root is not None:
        extra.append(f"data.root={data_root}")
    if teacher is not None:
        extra.append(f"task.teacher_run={teacher}")
    cfg = load_config(preset, extra)
    check_teacher(cfg, teacher, config)
    if per_scenario:
        from skillsight.training.per_scenario import train_per_scenario

        train_per_scenario(cfg, out, resume=resume, log=_say)
        return
    train_run(cfg, out, resume=resume, log=_say)  # ends with the one-line result, naming the run folder
