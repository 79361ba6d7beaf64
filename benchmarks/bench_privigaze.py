"""PriviGaze on synthetic faces: does privileged distillation beat the same student without it?

For each seed: train the teacher (eye crops + blurred face), then two students from identical initial
weights on the same data, order and epochs: one distilled (all five losses), one on labels only.
Errors are mean angular errors (degrees) on a held-out synthetic set drawn with a different seed.

Prints one line per figure (``name=VALUE ref=VALUE ratio=VALUE``); the reference of the distilled
student is the plain student of the same runs. Run:

    python benchmarks/bench_privigaze.py              # 3 seeds, the CPU demo sizes (minutes per seed)
    python benchmarks/bench_privigaze.py --jobs 3     # the 3 seeds in parallel processes
    python benchmarks/bench_privigaze.py --quick      # 1 seed, fewer samples/epochs (smoke run)
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from skillsight.training.quiet import quiet_lightning


def _run_seed(seed: int, kwargs: dict, threads: int) -> tuple[dict, float]:
    """One seed (in its own process with ``--jobs``): quiet, ``threads`` torch threads (0 = default)."""
    import torch

    quiet_lightning()
    if threads > 0:
        torch.set_num_threads(threads)
    from skillsight.projects.gaze_estimation.pipeline import run_demo

    start = time.time()
    return run_demo(seed=seed, **kwargs), time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-train", type=int, default=2000)
    parser.add_argument("--n-test", type=int, default=500)
    parser.add_argument("--teacher-epochs", type=int, default=8)
    parser.add_argument("--student-epochs", type=int, default=10)
    parser.add_argument("--face-size", type=int, default=64)
    parser.add_argument(
        "--jobs", type=int, default=1, help="seeds run in parallel processes (1 torch thread each)"
    )
    parser.add_argument("--quick", action="store_true", help="1 seed, 600 samples, 3 + 3 epochs")
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.n_train, args.n_test, args.teacher_epochs, args.student_epochs = [0], 600, 200, 3, 3
    quiet_lightning()
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
        results = [_run_seed(seed, kwargs, 0) for seed in args.seeds]

    rows = []
    for seed, (r, seconds) in zip(args.seeds, results):
        rows.append(r)
        print(
            f"seed={seed} teacher_error_deg={r['teacher_error_deg']:.3f} "
            f"distilled_student_error_deg={r['distilled_student_error_deg']:.3f} "
            f"plain_student_error_deg={r['plain_student_error_deg']:.3f} "
            f"distilled_vs_plain_ratio={r['distilled_vs_plain_ratio']:.3f} seconds={seconds:.0f}",
            flush=True,
        )

    def stats(key: str) -> tuple[float, float]:
        v = np.array([r[key] for r in rows])
        return float(v.mean()), (float(v.std(ddof=1)) if v.size > 1 else 0.0)

    t_mean, t_sd = stats("teacher_error_deg")
    d_mean, d_sd = stats("distilled_student_error_deg")
    p_mean, p_sd = stats("plain_student_error_deg")
    r_mean, r_sd = stats("distilled_vs_plain_ratio")
    wins = sum(r["distilled_student_error_deg"] < r["plain_student_error_deg"] for r in rows)
    print(f"teacher_error_deg={t_mean:.3f} spread={t_sd:.3f} ref={p_mean:.3f} ratio={t_mean / p_mean:.3f}")
    print(
        f"distilled_student_error_deg={d_mean:.3f} spread={d_sd:.3f} "
        f"ref={p_mean:.3f} ratio={d_mean / p_mean:.3f}"
    )
    print(f"plain_student_error_deg={p_mean:.3f} spread={p_sd:.3f}")
    print(
        f"distilled_vs_plain ratio={r_mean:.3f} spread={r_sd:.3f} wins={wins}/{len(rows)} seeds={len(rows)}"
    )


if __name__ == "__main__":
    main()
