"""PriviGaze on synthetic faces: does privileged distillation beat the same student without it?

For each seed: train the teacher (eye crops + blurred face), then two students from identical initial
weights on the same data, order and epochs: one distilled (all five losses), one on labels only.
Errors are angular errors (degrees) of every face of a held-out synthetic set drawn with another seed.

Figures print through ``reports.bench_lines.bench_line`` (reference: the plain student of the same
run). Claims (the shared statistics helper, ``skillsight.evaluation.paired_stats``): each is the paired
difference of mean angular error on the same held-out faces, pooled over seeds (faces resampled within
each seed's test set), with a 95 % interval; lower error is better, so a claim holds when the interval
lies below zero:

* ``distilled_student-plain_student``: distillation helps the student (the paper's claim);
* ``teacher-plain_student``: the teacher has something to teach (the premise of the first).

Where the first does not hold, the run reports why in a sentence with its numbers (the share of the
teacher-to-student gap that distillation closes). Prints the figure lines,
one ``claim_...`` line per claim (``reports.bench_lines.claim_line``), and with ``--json`` writes all of
it (each claim also as its ``summary()`` line) plus every face's error.

    python benchmarks/bench_privigaze.py              # 3 seeds, 800 faces, 6 + 8 epochs (~10 min, 1 core)
    python benchmarks/bench_privigaze.py --jobs 3     # the 3 seeds in parallel processes
    python benchmarks/bench_privigaze.py --quick      # 1 seed, fewer samples/epochs (smoke run)
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.evaluation.paired_stats import PairedDifference, pooled_paired_bootstrap
from skillsight.reports.bench_lines import bench_line, claim_line
from skillsight.training.quiet import quiet_lightning

MODELS = ("teacher", "distilled_student", "plain_student")


def _run_seed(seed: int, kwargs: dict, threads: int) -> tuple[dict[str, np.ndarray], float]:
    """One seed (in its own process with ``--jobs``): quiet, ``threads`` torch threads."""
    import torch

    quiet_lightning()
    torch.set_num_threads(max(1, threads))
    from skillsight.projects.gaze_estimation.pipeline import demo_errors

    start = time.time()
    return demo_errors(seed=seed, **kwargs), time.time() - start


def _claims(errors: list[dict[str, np.ndarray]]) -> dict[str, PairedDifference]:
    """Paired, seed-pooled differences of mean angular error (lower is better)."""
    return {
        f"{a}-{b}": pooled_paired_bootstrap(
            [e[a] for e in errors], [e[b] for e in errors], name_a=a, name_b=b, higher_is_better=False
        )
        for a, b in (("distilled_student", "plain_student"), ("teacher", "plain_student"))
    }


def _why(means: dict[str, float], claims: dict[str, PairedDifference]) -> dict[str, str]:
    """The measured reason for each claim that does not hold."""
    out = {}
    gain, premise = claims["distilled_student-plain_student"], claims["teacher-plain_student"]
    gap = means["plain_student"] - means["teacher"]
    if not gain.holds:
        closed = (means["plain_student"] - means["distilled_student"]) / gap if gap > 0 else float("nan")
        out["distilled_student-plain_student"] = (
            f"the teacher is {gap:.2f} deg better than the plain student ({means['teacher']:.2f} vs "
            f"{means['plain_student']:.2f}), but distillation closes {closed:+.1%} of that gap "
            f"(distilled {means['distilled_student']:.2f} deg): the student does not absorb what the "
            "privileged eye crops give the teacher"
        )
    if not premise.holds:
        out["teacher-plain_student"] = (
            f"the teacher ({means['teacher']:.2f} deg) is not better than the plain student "
            f"({means['plain_student']:.2f} deg): there is nothing to distil"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-train", type=int, default=800)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--teacher-epochs", type=int, default=6)
    parser.add_argument("--student-epochs", type=int, default=8)
    parser.add_argument("--face-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per seed")
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds run in parallel processes (1 torch thread each)"
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, 600 samples, 3 + 3 epochs")
    parser.add_argument("--json", type=Path, default=None, help="write figures, claims and errors here")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_train, args.n_test, args.teacher_epochs, args.student_epochs = [0], 600, 200, 3, 3
    quiet_lightning()
    start = time.time()
    kwargs = dict(
        n_train=args.n_train,
        n_test=args.n_test,
        teacher_epochs=args.teacher_epochs,
        student_epochs=args.student_epochs,
        face_size=args.face_size,
    )
    if args.jobs > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            n = len(args.seeds)
            results = list(pool.map(_run_seed, args.seeds, [kwargs] * n, [1] * n))
    else:
        results = [_run_seed(seed, kwargs, args.threads) for seed in args.seeds]

    errors = [e for e, _ in results]
    for seed, (e, seconds) in zip(args.seeds, results):
        figures = " ".join(f"{m}_error_deg={e[m].mean():.3f}" for m in MODELS)
        ratio = e["distilled_student"].mean() / e["plain_student"].mean()
        print(f"seed={seed} {figures} distilled_vs_plain_ratio={ratio:.3f} seconds={seconds:.0f}", flush=True)
    per_seed = {m: np.array([e[m].mean() for e in errors]) for m in MODELS}
    means = {m: float(v.mean()) for m, v in per_seed.items()}
    spread = {m: float(v.std(ddof=1)) if v.size > 1 else 0.0 for m, v in per_seed.items()}
    ref = means["plain_student"]
    for m in ("teacher", "distilled_student"):
        print(
            bench_line(
                f"{m}_error_deg", means[m], ref, ref_kind="same_run", ref_name="plain_student",
                spread=spread[m], seeds=len(errors),
            )
        )  # fmt: skip
    print(bench_line("plain_student_error_deg", ref, None, ref_kind="none", spread=spread["plain_student"]))
    claims = _claims(errors)
    for claim in claims.values():
        print(claim_line("privigaze_error_deg", claim))
    why = _why(means, claims)
    for name, sentence in why.items():
        print(f"# why {name} does not hold: {sentence}")
    seconds = time.time() - start
    print(f"bench_privigaze_seconds={seconds:.0f} seeds={len(args.seeds)} n_train={args.n_train}")
    if args.json:
        payload: dict[str, Any] = {
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "mean_error_deg": means,
            "spread_over_seeds_deg": spread,
            "claims": {name: {**c.to_dict(), "summary": c.summary()} for name, c in claims.items()},
            "why": why,
            "per_face_error_deg": {
                str(s): {m: np.round(e[m], 4).tolist() for m in MODELS} for s, e in zip(args.seeds, errors)
            },
            "seconds": seconds,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, sort_keys=True) + "\n")
        print(f"# wrote {args.json}")


if __name__ == "__main__":
    main()
