"""The issue-16 baselines on the synthetic data: accuracy, balanced accuracy and power beside the paper's.

Rows (SkillSight Table 1 and its teacher ablation): X3D-XS, EgoDistill (sparse frames + head motion, the
TimeSformer video baseline as its frozen teacher), EgoTrigger (audio-triggered camera), EgoExoLearn-style
gaze crops, Beholder-style gaze-pooled video, and the naive end-to-end teacher. Each trains at tiny size
(its ``*_tiny`` preset) on one synthetic dataset and is evaluated with the 10-clip protocol.

Printed per row through :func:`skillsight.reports.bench_lines.bench_line`
(``name=value ref=value ratio=value ref_kind=same_run|paper``):

* ``<row>_accuracy``: test take accuracy, ``ref`` = the per-scenario training majority of the same run;
* ``<row>_balanced_accuracy``: the same for balanced accuracy;
* ``<row>_power_mw``: the trained tiny model's power per 8 s window (deployed: EgoTrigger's measured
  trigger rate, EgoDistill's sparse camera), ``ref`` = the paper's figure (``ref_kind=paper``; the
  paper does not state its N, B or T, so the ratio compares assumptions as much as models);
* ``<row>_paper_size_power_mw``: the paper-size registered model's power under the same assumptions
  (the naive teacher's with ``ref_kind=none``: SkillSight reports it in its ablation, accuracy only).

:func:`train_baseline_row` trains and scores one row and is what the powered evidence benchmark
(issue 13) reuses. Run::

    python benchmarks/bench_baselines.py                 # 144 takes, 40 epochs per row (~10 min on 2 cores)
    python benchmarks/bench_baselines.py --quick         # 2 scenarios x 3 takes, 3 epochs (~1 min)
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from skillsight.config import load_config
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.deploy.power import estimate_deployed_power, estimate_power
from skillsight.models import create_model
from skillsight.reports.bench_lines import bench_line
from skillsight.runs.checkpoint import load_model
from skillsight.training.quiet import quiet_lightning
from skillsight.training.skill_run import train_run

WINDOW_S = 8.0  # one SkillSight clip: 16 frames at 2 fps


@dataclass(frozen=True)
class BaselineRow:
    """One table row: its preset stem, the paper's figures and the registered paper-size model."""

    name: str
    preset: str
    paper_mw: float | None
    paper_accuracy: float | None  # SkillSight Table 1, Ego-Exo4D overall (%)
    paper_model: str | None
    needs_video_teacher: bool = False


ROWS: tuple[BaselineRow, ...] = (
    BaselineRow("x3d_xs", "x3d_xs_tiny", 88.0, 34.2, "x3d_xs"),
    BaselineRow("egodistill", "egodistill_tiny", 16.5, 42.6, "egodistill", needs_video_teacher=True),
    BaselineRow("egotrigger", "egotrigger_tiny", 9.9, 34.1, "egotrigger"),
    BaselineRow("egoexolearn", "egoexolearn_tiny", 141.4, 42.3, "gaze_crop_video"),
    BaselineRow("beholder", "beholder_tiny", 132.4, 34.1, "beholder_gaze_pool"),
    BaselineRow("naive_teacher", "naive_teacher_tiny", None, None, "naive_teacher"),
)


def train_baseline_row(
    row: BaselineRow,
    data_root: Path,
    out_dir: Path,
    seed: int = 0,
    epochs: int | None = None,
    teacher_run: Path | None = None,
    overrides: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Train ``row``'s tiny preset on ``data_root`` into ``out_dir / row.name`` (read back when done) and
    return its test metrics plus ``power_mw`` (deployed power of the trained model, 8 s window).

    Args:
        teacher_run: the frozen video teacher run (required for EgoDistill).
        overrides: extra ``section.key=value`` settings.
    """
    run_dir = out_dir / row.name
    if not (run_dir / "metrics.json").is_file():
        sets = [f"data.root={data_root}", f"trainer.seed={seed}", "trainer.progress_bar=false", *overrides]
        if epochs is not None:
            sets.append(f"trainer.max_epochs={epochs}")
        if row.needs_video_teacher:
            if teacher_run is None:
                raise ValueError(f"{row.name} needs a trained video teacher run")
            sets.append(f"task.teacher_run={teacher_run}")
        train_run(load_config(row.preset, sets), run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    report = estimate_deployed_power(load_model(run_dir / "model"), window_s=WINDOW_S)
    metrics["power_mw"] = report.total_mw
    metrics["duty_cycles"] = report.duty_cycles
    return metrics


SAME: dict[str, Any] = {"ref_kind": "same_run"}


def _paper_kind(ref: float | None) -> dict[str, Any]:
    """``ref_kind=paper`` when the paper gives the figure, else ``none``."""
    return {"ref_kind": "paper" if ref is not None else "none"}


def paper_size_power_mw(row: BaselineRow, duty: dict[str, float] | None) -> float | None:
    """Power of the paper-size registered model (EgoTrigger at the trigger rate measured in this run)."""
    if row.paper_model is None:
        return None
    model = create_model(row.paper_model).eval()
    if row.name == "egotrigger" and duty:
        model.trigger_count.fill_(duty["rgb"] * 1000.0)
        model.frame_count.fill_(1000.0)
    if hasattr(model, "deployed") and row.name == "egotrigger":
        return estimate_deployed_power(model, window_s=WINDOW_S).total_mw
    return estimate_power(model, window_s=WINDOW_S).total_mw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench_baselines"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=None, help="override every row's epochs")
    parser.add_argument("--quick", action="store_true", help="2 scenarios x 3 takes per level, 3 epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    quiet_lightning()
    start = time.time()
    data_root = args.out / "data"
    if not (data_root / "takes.json").is_file():
        kw: dict[str, Any] = {"scenarios": ("Soccer", "Cooking"), "takes_per_level": 3} if args.quick else {}
        generate_synthetic_dataset(data_root, seed=args.seed, **kw)
    epochs = 3 if args.quick and args.epochs is None else args.epochs
    teacher_dir = args.out / "timesformer_teacher"
    if not (teacher_dir / "metrics.json").is_file():
        sets = [f"data.root={data_root}", f"trainer.seed={args.seed}", "trainer.progress_bar=false"]
        sets += [f"trainer.max_epochs={epochs}"] if epochs is not None else []
        train_run(load_config("timesformer_tiny", sets), teacher_dir)
    print(f"# data {data_root}, seed {args.seed}; EgoDistill's teacher: {teacher_dir} (timesformer_tiny)")
    for row in ROWS:
        t0 = time.time()
        m = train_baseline_row(row, data_root, args.out, args.seed, epochs, teacher_dir)
        majority = m["majority"]
        print(bench_line(f"{row.name}_accuracy", m["overall_accuracy"], majority["overall_accuracy"], **SAME))
        print(
            bench_line(
                f"{row.name}_balanced_accuracy", m["balanced_accuracy"], majority["balanced_accuracy"], **SAME
            )
        )
        print(bench_line(f"{row.name}_power_mw", m["power_mw"], row.paper_mw, **_paper_kind(row.paper_mw)))
        paper_mw = paper_size_power_mw(row, m.get("duty_cycles"))
        if paper_mw is not None:
            print(
                bench_line(
                    f"{row.name}_paper_size_power_mw", paper_mw, row.paper_mw, **_paper_kind(row.paper_mw)
                )
            )
        if row.paper_accuracy is not None:
            print(
                f"# {row.name}: the paper reports {row.paper_accuracy} % on Ego-Exo4D (not comparable here)"
            )
        print(f"# {row.name}: {m['num_takes']} test takes, duty {m['duty_cycles']}, {time.time() - t0:.0f} s")
    print(f"# total {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
