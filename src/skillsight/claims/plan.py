"""What the SkillSight claims benchmark trains, on which data, with which recipe and seeds.

A *row* is one method of the paper's tables (Table 1: methods; Table 3: teacher ablations; Table 4:
student ablations), trained from a tiny preset with the benchmark's recipe. A *condition* is one
synthetic dataset: a generator seed and a difficulty level; the default condition is generator seed 0
at ``default`` difficulty, the second one generator seed 1 at ``hard``, on which nothing was tuned.

Recipe. The tiny presets are written for the demo's 72 training takes (teacher: 40 epochs of 9 steps).
The benchmark trains on 600 takes, so it keeps each preset's optimiser, learning rate and batch and
sets the number of epochs per family (``video_epochs``, ``gaze_epochs``) so that every run makes a
little more optimiser steps than its tiny recipe (450 vs 360 for the video rows, 450 vs 300 for the
gaze rows), each step on new takes; learning-rate milestones keep their position as a fraction of
training. These numbers were fixed before any test take was scored; nothing is chosen on test takes
(model selection is the best epoch on the 216 validation takes, as in every ``train_run``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from skillsight.config import RunConfig, load_config
from skillsight.exceptions import ConfigError

__all__ = [
    "CLAIMS",
    "ROWS",
    "BenchPlan",
    "Claim",
    "Condition",
    "RowSpec",
    "full_plan",
    "quick_plan",
    "row_config",
]


@dataclass(frozen=True)
class RowSpec:
    """One row of the benchmark's tables.

    Attributes:
        key: run folder name and JSON key (``teacher``, ``gaze_only``, ...).
        display: the name printed in the tables.
        tables: the tables the row appears in (1, 3, 4).
        preset: the tiny preset it starts from; "" for the majority vote (no training).
        overrides: ``--set`` style overrides on top of the preset.
        family: "video" or "gaze": which epoch count of the plan the row trains for.
        teacher: key of the row whose run is the distillation teacher ("" = not distilled).
        paper_acc: the paper's overall accuracy (%) of the row, None where the paper has none.
        paper_mw: the paper's power (mW, Table 1) of the row, None where the paper has none.
    """

    key: str
    display: str
    tables: tuple[int, ...]
    preset: str
    overrides: tuple[str, ...] = ()
    family: str = "video"
    teacher: str = ""
    paper_acc: float | None = None
    paper_mw: float | None = None


_BRANCH = ("model.args.use_video", "model.args.use_crops", "model.args.use_gaze", "model.args.use_gaze_bias")


def _branches(video: bool, crops: bool, gaze: bool, bias: bool) -> tuple[str, ...]:
    values = (video, crops, gaze, bias)
    return tuple(f"{name}={str(v).lower()}" for name, v in zip(_BRANCH, values, strict=True))


#: every row, in table order. Paper figures: REFERENCE.md's Table 1 and ablations (Ego-Exo4D, %).
#: Table 1's baselines from issue 16 (X3D-XS, EgoDistill, EgoTrigger, Beholder) train in the full plan and
#: the quick one; EgoDistill distils the same seed's TimeSformer run (its frozen video teacher).
ROWS: tuple[RowSpec, ...] = (
    RowSpec("teacher", "SkillSight-T (teacher)", (1, 3), "teacher_tiny", paper_acc=50.1, paper_mw=943.0),
    RowSpec(
        "student",
        "SkillSight-S (student)",
        (1, 4),
        "student_tiny",
        family="gaze",
        teacher="teacher",
        paper_acc=44.4,
        paper_mw=9.5,
    ),
    RowSpec("gaze_only", "Gaze-only", (1,), "gaze_only_tiny", family="gaze", paper_acc=37.0, paper_mw=9.5),
    RowSpec(
        "timesformer", "TimeSformer (video-only)", (1,), "timesformer_tiny", paper_acc=45.5, paper_mw=697.5
    ),
    RowSpec(
        "gaze_crop",
        "Gaze-crop video (EgoExoLearn-style)",
        (1,),
        "gaze_crop_tiny",
        paper_acc=42.3,
        paper_mw=141.4,
    ),
    RowSpec("skillformer", "SkillFormer (ego)", (1,), "skillformer_ego_tiny", paper_acc=42.4, paper_mw=697.5),
    RowSpec(
        "beholder", "Beholder (gaze-pooled video)", (1,), "beholder_tiny", paper_acc=34.1, paper_mw=132.4
    ),
    RowSpec("x3d_xs", "X3D-XS", (1,), "x3d_xs_tiny", paper_acc=34.2, paper_mw=88.0),
    RowSpec(
        "egodistill",
        "EgoDistill (sparse frames + head motion)",
        (1,),
        "egodistill_tiny",
        teacher="timesformer",
        paper_acc=42.6,
        paper_mw=16.5,
    ),
    RowSpec(
        "egotrigger",
        "EgoTrigger (audio-triggered frames)",
        (1,),
        "egotrigger_tiny",
        paper_acc=34.1,
        paper_mw=9.9,
    ),
    RowSpec("majority", "Majority vote", (1,), "", family="none", paper_acc=32.3),
    RowSpec(
        "teacher_gaze_attention",
        "Gaze-attention branch only",
        (3,),
        "teacher_tiny",
        _branches(True, False, False, True),
        paper_acc=47.2,
    ),
    RowSpec("teacher_crops", "Crop branch only", (3,), "teacher_tiny", _branches(False, True, False, False)),
    RowSpec(
        "teacher_gaze_dynamics",
        "Gaze-dynamics branch only",
        (3,),
        "teacher_tiny",
        _branches(False, False, True, False),
        paper_acc=37.0,
    ),
    RowSpec("naive_teacher", "Naive end-to-end (no gaze bias)", (3,), "naive_teacher_tiny"),
    RowSpec(
        "student_no_distill",
        "Student w/o distillation",
        (4,),
        "student_tiny",
        ("task.kind=supervised", "task.distill_weight=0.0", "model.args.use_distill_token=false"),
        family="gaze",
        paper_acc=40.0,
    ),
    RowSpec(
        "student_no_action",
        "Student w/o action token",
        (4,),
        "student_tiny",
        ("task.action_loss_weight=0.0", "model.args.use_action_token=false"),
        family="gaze",
        teacher="teacher",
        paper_acc=40.7,
    ),
)


@dataclass(frozen=True)
class Claim:
    """A paper claim "better > worse" on overall accuracy; ``paper`` marks the five the brief names."""

    better: str
    worse: str
    paper: bool = True

    @property
    def name(self) -> str:
        return f"{self.better}>{self.worse}"


CLAIMS: tuple[Claim, ...] = (
    Claim("teacher", "timesformer"),
    Claim("teacher", "gaze_only"),
    Claim("student", "gaze_only"),
    Claim("student", "student_no_distill"),
    Claim("teacher", "teacher_gaze_attention"),
    Claim("teacher", "teacher_crops"),
    Claim("teacher", "teacher_gaze_dynamics"),
    Claim("student", "student_no_action", paper=False),
    Claim("teacher", "naive_teacher", paper=False),
    Claim("student_no_distill", "gaze_only", paper=False),
    # the low-power baselines of Table 1 against the camera-off student (the paper's power argument)
    Claim("student", "egodistill", paper=False),
    Claim("student", "egotrigger", paper=False),
    Claim("student", "x3d_xs", paper=False),
)


@dataclass(frozen=True)
class Condition:
    """One synthetic dataset: generator seed and difficulty level ("easy", "default", "hard")."""

    difficulty: str = "default"
    generator_seed: int = 0

    @property
    def name(self) -> str:
        """Folder name under the benchmark's output, e.g. ``default_seed0``."""
        return f"{self.difficulty}_seed{self.generator_seed}"

    @property
    def label(self) -> str:
        """Name in figure lines, e.g. ``default_gen0`` (training seeds are ``train_seedN`` there)."""
        return f"{self.difficulty}_gen{self.generator_seed}"


@dataclass(frozen=True)
class BenchPlan:
    """Everything that decides the benchmark's figures (saved in its JSON).

    Attributes:
        condition: the dataset.
        takes_per_level: takes per (scenario, level) cell; 51 gives 600 train / 216 val / 408 test takes.
        scenarios: scenario subset (empty = all six).
        seeds: training seeds (every row trains once per seed on the same takes).
        video_epochs, gaze_epochs: epochs of the video/teacher-family rows and of the gaze rows.
        rows: the row keys to run (default: all of :data:`ROWS`).
        mechanism: also run the mechanism measurements (probes; sweeps on the default difficulty).
        sweep_lambdas: lambda_dis values of the distillation sweep (seed 0, validation takes).
        sweep_fractions: training-set fractions of the size sweep (with and without distillation).
        n_resamples: bootstrap resamples per claim.
        extra_overrides: ``--set`` overrides applied to every trained row (tests: fewer clips per take).
    """

    condition: Condition = field(default_factory=Condition)
    takes_per_level: int = 51
    scenarios: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0, 1, 2)
    video_epochs: int = 6
    gaze_epochs: int = 12
    rows: tuple[str, ...] = tuple(r.key for r in ROWS)
    mechanism: bool = True
    sweep_lambdas: tuple[float, ...] = (0.3, 3.0)
    sweep_fractions: tuple[float, ...] = (0.25,)
    n_resamples: int = 2000
    extra_overrides: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.rows) - {r.key for r in ROWS})
        if unknown:
            raise ConfigError(f"benchmark rows {unknown} are unknown; valid: {[r.key for r in ROWS]}")
        for row in self.row_specs():
            if row.teacher and row.teacher not in self.rows:
                raise ConfigError(f"row {row.key!r} distils from {row.teacher!r}, which is not in the plan")
        if not self.seeds:
            raise ConfigError("the benchmark needs at least one training seed")

    def row_specs(self) -> list[RowSpec]:
        """The plan's rows in table order, teachers before the students that distil from them."""
        return [r for r in ROWS if r.key in self.rows]

    def claims(self) -> list[Claim]:
        """The claims whose two rows are both in the plan."""
        return [c for c in CLAIMS if c.better in self.rows and c.worse in self.rows]

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def full_plan(difficulty: str = "default", generator_seed: int = 0, seeds: int = 3) -> BenchPlan:
    """The full benchmark: 1224 takes (408 test), ``seeds`` training seeds, all rows."""
    return BenchPlan(condition=Condition(difficulty, generator_seed), seeds=tuple(range(seeds)))


def quick_plan(difficulty: str = "default", generator_seed: int = 0) -> BenchPlan:
    """A smoke run (minutes): 144 takes, 2 seeds, 1 epoch per row, no sweeps. Not a result."""
    return BenchPlan(
        condition=Condition(difficulty, generator_seed),
        takes_per_level=6,
        seeds=(0, 1),
        video_epochs=1,
        gaze_epochs=2,
        sweep_lambdas=(3.0,),
        sweep_fractions=(0.5,),
        n_resamples=500,
    )


def _scaled_milestones(milestones: list[int], old_epochs: int, new_epochs: int) -> list[int]:
    """Milestones at the same fraction of training, distinct and inside (0, new_epochs)."""
    scaled = {min(max(1, round(m * new_epochs / old_epochs)), new_epochs - 1) for m in milestones}
    return sorted(m for m in scaled if 0 < m < new_epochs)


def row_config(row: RowSpec, plan: BenchPlan, data_root: str, seed: int, teacher_run: str = "") -> RunConfig:
    """The RunConfig of ``row`` for one seed: its preset, overrides and the plan's epochs.

    Raises:
        ConfigError: the majority row (nothing to train) or a distilled row without ``teacher_run``.
    """
    if not row.preset:
        raise ConfigError(f"row {row.key!r} is not trained")
    if row.teacher and not teacher_run:
        raise ConfigError(f"row {row.key!r} distils: pass the teacher's run folder")
    base: RunConfig = load_config(row.preset)
    epochs = plan.video_epochs if row.family == "video" else plan.gaze_epochs
    overrides = [
        *row.overrides,
        f"data.root={data_root}",
        f"trainer.seed={seed}",
        f"trainer.max_epochs={epochs}",
        "trainer.progress_bar=false",
        f"optim.milestones={_scaled_milestones(base.optim.milestones, base.trainer.max_epochs, epochs)}",
    ]
    if base.task.motion_pretrain_epochs > 0:  # EgoDistill's pretraining stage, scaled like its epochs
        scaled = max(1, round(base.task.motion_pretrain_epochs * epochs / base.trainer.max_epochs))
        overrides.append(f"task.motion_pretrain_epochs={scaled}")
    overrides.extend(plan.extra_overrides)
    if teacher_run:
        overrides.append(f"task.teacher_run={teacher_run}")
    return load_config(row.preset, overrides)
