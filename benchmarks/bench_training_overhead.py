"""Training overhead (issue 19 item 6): a later epoch through the one training loop vs its pure compute.

For the tiny teacher and the tiny distilled student (their presets, as ``skillsight train``), on a small
synthetic dataset:

* **epoch period**: wall time from the start of one training epoch to the start of the next, through
  ``train_run`` (data loading, the training steps, validation, checkpointing, logging: everything a user
  waits for), median over the later epochs (the first pays warm-up and cache fills);
* **pure compute**: the same epoch's batches, loaded into memory first, through the task's own forward
  and losses, backward and an AdamW step of the same optimiser settings: the floor of any loop on
  this machine, measured in the same run;
* **loading**: one pass over the same training loader alone.

Prints ``training_overhead_<model>_epoch_s`` against the pure compute (``ref_kind=same_run``); the
goals are <= 1.5x (teacher) and <= 2x (student). Usage::

    python benchmarks/bench_training_overhead.py [--epochs 5] [--takes-per-level N]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from skillsight.config import load_config
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.reports.bench_lines import bench_line
from skillsight.training.optim import build_optimizer
from skillsight.training.skill_run import train_run
from skillsight.training.task_base import OptimisedTask

GOALS = {"teacher": 1.5, "student": 2.0}


class EpochClock:
    """Records when each training epoch starts and keeps the task and its training loader."""

    def __init__(self) -> None:
        self.starts: list[float] = []
        self.task: Any = None
        self.loader: Any = None

    def install(self) -> None:
        clock = self

        def on_train_epoch_start(task: OptimisedTask) -> None:
            clock.starts.append(time.perf_counter())
            clock.task, clock.loader = task, task.trainer.train_dataloader

        OptimisedTask.on_train_epoch_start = on_train_epoch_start  # type: ignore[method-assign,assignment]

    def later_epoch_s(self) -> float:
        """Median start-to-next-start period of the epochs after the first (the last has no next start)."""
        periods = [b - a for a, b in zip(self.starts[1:], self.starts[2:])]
        return statistics.median(periods) if periods else float("nan")


def loading_s(loader: Any) -> tuple[float, list[dict[str, Any]]]:
    """One pass over ``loader``: its wall time and the batches it gave."""
    start = time.perf_counter()
    batches = list(loader)
    return time.perf_counter() - start, batches


def pure_compute_s(task: Any, batches: list[dict[str, Any]], rounds: int = 2) -> float:
    """Forward + losses + backward + optimiser step over in-memory ``batches`` (best of ``rounds``)."""
    task.train()
    optimizer = build_optimizer(task.optimised_module(), task.optim)
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for batch in batches:
            out = task(**task.model_inputs(batch))
            task.losses(batch, out)["loss"].backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        best = min(best, time.perf_counter() - start)
    return best


def measure(preset: str, overrides: list[str], run_dir: Path) -> dict[str, float]:
    """Train ``preset`` into ``run_dir`` with the clock installed; the three times in seconds."""
    clock = EpochClock()
    clock.install()
    train_run(load_config(preset, overrides), run_dir, cache_root=run_dir.parent / "cache")
    epoch = clock.later_epoch_s()
    load, batches = loading_s(clock.loader)
    with torch.enable_grad():
        compute = pure_compute_s(clock.task, batches)
    return {"epoch_s": epoch, "compute_s": compute, "loading_s": load, "batches": len(batches)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs per run (>= 4: later epochs measured)")
    parser.add_argument(
        "--takes-per-level", type=int, default=None, help="default: the generator's (the demo's dataset)"
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        sizes = {} if args.takes_per_level is None else {"takes_per_level": args.takes_per_level}
        generate_synthetic_dataset(root, seed=0, **sizes)
        common = [
            f"data.root={root}",
            f"trainer.max_epochs={args.epochs}",
            "trainer.progress_bar=false",
            "data.num_workers=0",
        ]
        teacher_dir = Path(tmp) / "runs" / "teacher"
        figures = {"teacher": measure("teacher_tiny", common, teacher_dir)}
        figures["student"] = measure(
            "student_tiny", [*common, f"task.teacher_run={teacher_dir}"], Path(tmp) / "runs" / "student"
        )
    print(f"# threads=1; later epochs of {args.epochs}; takes per level: {args.takes_per_level or 'default'}")
    for name, f in figures.items():
        print(
            bench_line(
                f"training_overhead_{name}_epoch_s",
                f["epoch_s"],
                f["compute_s"],
                ref_kind="same_run",
                ref_name="pure_forward_backward_adamw",
                goal=GOALS[name],
                met=f["epoch_s"] / f["compute_s"] <= GOALS[name],
                loading_share=f["loading_s"] / f["epoch_s"],
                batches=int(f["batches"]),
            )
        )


if __name__ == "__main__":
    main()
