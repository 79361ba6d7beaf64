"""The SkillSight demo claims over several seeds: mean and spread of every method's test accuracy.

Each seed runs the whole demo (``skillsight demo``: its own synthetic dataset and every run, all with
that seed) into ``--out/seed<N>``, then this script checks the claims of the SkillSight paper on it:

* the teacher (video + gaze) beats the video-only TimeSformer,
* the teacher beats the gaze-only baseline,
* the distilled student beats the gaze-only baseline (the reference of the distillation claim).

Prints one line per method (``name=... acc_mean=... acc_std=... power_mw=...``), one line per claim with
the number of seeds on which it holds and the mean margin, and the student/gaze-only accuracy ratio.
Seeds whose demo already finished (``report.html`` present) are read back, not re-run. Run:

    python benchmarks/bench_skillsight_seeds.py                  # seeds 0 1 2 (about 10 min each)
    python benchmarks/bench_skillsight_seeds.py --seeds 0 --epochs 2   # smoke run
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from skillsight.demo import CLAIMS, demo_steps, run_demo
from skillsight.training.quiet import quiet_lightning


def run_seed(out: Path, seed: int, epochs: int | None) -> dict[str, dict]:
    """Run (or read back) the demo of one seed; returns {run folder name: metrics.json + power.json}."""
    if not (out / "report.html").exists():
        run_demo(out, seed=seed, epochs=epochs)
    runs = {}
    for step in demo_steps():
        folder = out / step.folder
        metrics = json.loads((folder / "metrics.json").read_text())
        metrics["power_mw"] = json.loads((folder / "power.json").read_text())["total_mw"]
        metrics["display_name"] = step.name
        runs[step.folder] = metrics
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("runs/bench_skillsight_seeds"))
    parser.add_argument("--epochs", type=int, default=None, help="override every run's epochs (smoke runs)")
    args = parser.parse_args()
    quiet_lightning()

    start = time.time()
    per_seed = {seed: run_seed(args.out / f"seed{seed}", seed, args.epochs) for seed in args.seeds}
    folders = list(per_seed[args.seeds[0]])
    acc = {f: np.array([per_seed[s][f]["overall_accuracy"] for s in args.seeds]) for f in folders}

    def spread(values: np.ndarray) -> float:
        return float(values.std(ddof=1)) if values.size > 1 else 0.0

    for folder in folders:
        first = per_seed[args.seeds[0]][folder]
        per = " ".join(f"seed{s}={per_seed[s][folder]['overall_accuracy']:.3f}" for s in args.seeds)
        print(
            f"name={folder} acc_mean={acc[folder].mean():.3f} acc_std={spread(acc[folder]):.3f} "
            f"majority={first['majority']['overall_accuracy']:.3f} power_mw={first['power_mw']:.1f} {per}",
            flush=True,
        )
    for better, worse in CLAIMS:
        margin = acc[better] - acc[worse]
        print(
            f"claim={better}>{worse} holds_on={int((margin > 0).sum())}/{len(args.seeds)} "
            f"margin_mean={margin.mean():+.3f} margin_std={spread(margin):.3f}"
        )
    ratio = acc["student"].mean() / acc["gaze_only"].mean()
    print(
        f"name=student_vs_gaze_only value={acc['student'].mean():.3f} ref={acc['gaze_only'].mean():.3f} "
        f"ratio={ratio:.3f}"
    )
    print(f"seeds={args.seeds} seconds={time.time() - start:.0f}")


if __name__ == "__main__":
    main()
