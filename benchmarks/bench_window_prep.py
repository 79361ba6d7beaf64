"""Window preparation (resampling + normalisation) per window against the model call, same run.

A served window is prepared (:func:`skillsight.gaze.resample.gaze_samples_at` then the window
normalisation of :mod:`skillsight.gaze.normalize`) and then run through the model; issue 19 asks the
preparation to cost <= 0.1 ms per window and serving (preparation + model) <= 1.5x the model call.
Figures, each the median over ``--rounds`` interleaved rounds (each round the median of its calls):

* ``serving_prep_ms_per_window_batched``: :meth:`SkillEstimator.predict_windows` over a whole
  recording (``preprocess_ms``, every window's share of the one batched preparation), reference
  the model call of the same windows (``latency_ms``, onnxruntime fp32, 1 thread, as deployed);
* ``serving_prep_ms_per_window_single``: :meth:`SkillEstimator.predict_window`, one window at a time
  (the streaming path), same reference;
* ``serving_total_over_model_batched``: (preparation + model) / model of the batched path;
* ``clip_normalise_ms``: :func:`normalize_clip_gaze` of one training clip (the dataset's per-item
  call), reference the model call.

The recording is synthetic (``--duration-s`` of 10 Hz gaze with blinks and a 100 Hz trajectory), the
model the trained student of ``--run`` when it loads, else a random-init ``--model``. The script uses
only APIs that older versions have too, so it can be run against an older checkout for a before/after
comparison (``PYTHONPATH=<old>/src``). Usage: ``python benchmarks/bench_window_prep.py [--rounds 5]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.deploy.backends import OnnxBackend
from skillsight.deploy.export import export_model
from skillsight.deploy.inference import SkillEstimator, window_starts
from skillsight.deploy.spec import spec_for_model
from skillsight.exceptions import SkillsightError
from skillsight.gaze.normalize import normalize_clip_gaze
from skillsight.gaze.resample import gaze_samples_at
from skillsight.gaze.tracks import GazeTrack, Trajectory
from skillsight.models import create_model
from skillsight.reports.bench_lines import bench_line


def synthetic_recording(duration_s: float, seed: int = 0) -> tuple[GazeTrack, Trajectory]:
    """10 Hz gaze (20 % rows without depth, a 0.4 s blink every 7 s) and a 100 Hz walking trajectory."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * 10)
    ts = 5_000_000 + np.arange(n, dtype=np.int64) * 100_000 + rng.integers(0, 3, n)
    t = np.arange(n) / 10.0
    keep = (t % 7.0) > 0.4  # blinks: the tracker drops rows
    depth_ok = rng.random(n) > 0.2
    gaze = GazeTrack(
        timestamps_us=ts[keep],
        yaw_rad=(0.3 * np.sin(t / 2.0))[keep],
        pitch_rad=(0.2 * np.cos(t / 1.5) - 0.1)[keep],
        depth_m=np.where(depth_ok, 0.5 + np.abs(np.sin(t / 3.0)) * 2, np.nan)[keep],
        depth_valid=depth_ok[keep],
        layout="synthetic",
    )
    m = int((duration_s + 1) * 100)
    tt = np.arange(m) / 100.0
    angle = 0.3 * np.sin(tt / 4.0)
    q = np.stack([np.zeros(m), np.zeros(m), np.sin(angle / 2), np.cos(angle / 2)], 1)
    pos = np.stack([0.2 * tt, 0.1 * np.sin(tt), 1.6 + 0.01 * np.cos(3 * tt)], 1)
    traj = Trajectory(4_900_000 + np.arange(m, dtype=np.int64) * 10_000, pos, q, np.ones(m))
    return gaze, traj


def _estimator(run: Path | None, model_name: str, tmp: Path) -> tuple[SkillEstimator, str]:
    if run is not None and (run / "model.json").exists():
        try:
            return SkillEstimator.from_run(run, backend="onnx"), f"trained:{run}"
        except SkillsightError as err:
            print(f"# {run}: {str(err)[:120]} -> random-init {model_name} instead", flush=True)
    torch.manual_seed(0)
    model = create_model(model_name, num_classes=4, num_steps=16).eval()
    spec = spec_for_model(model, PROFICIENCY_LABELS)
    path = export_model(model, tmp / "student.onnx", spec)
    return SkillEstimator(OnnxBackend.load(path), spec), f"random_init:{model_name}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=Path("runs/demo/student"), help="trained student run")
    parser.add_argument("--model", default="skillsight_student_compact", help="when --run does not load")
    parser.add_argument("--duration-s", type=float, default=300.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--single", type=int, default=60, help="windows of the one-at-a-time path per round")
    args = parser.parse_args()
    torch.set_num_threads(1)
    gaze, traj = synthetic_recording(args.duration_s)
    with tempfile.TemporaryDirectory() as tmp:
        est, weights = _estimator(args.run, args.model, Path(tmp))
        est.warmup()
        starts = window_starts(int(gaze.timestamps_us[0]), int(gaze.timestamps_us[-1]), est.spec, 1_000_000)
        clip = gaze_samples_at(gaze, est.spec.query_us(int(starts[3])), traj, max_gap_us=est.spec.max_gap_us)
        batched, single, model, normalise = [], [], [], []
        for _ in range(args.rounds):
            preds = est.predict_windows(gaze, traj, hop_s=1.0)
            ran = [p for p in preds if p.skipped is None]
            batched.append(np.median([p.preprocess_ms for p in preds]))
            model.append(np.median([p.latency_ms for p in ran]))
            one = [est.predict_window(gaze, int(s), traj) for s in starts[: args.single]]
            single.append(np.median([p.preprocess_ms for p in one]))
            times = []
            for _ in range(200):
                t0 = time.perf_counter()
                normalize_clip_gaze(clip, far_clip_m=est.spec.far_clip_m)
                times.append(time.perf_counter() - t0)
            normalise.append(np.median(times) * 1e3)
    model_ms = float(np.median(model))
    common = {"weights": weights, "windows": len(starts), "rounds": args.rounds, "ref_name": "model_call"}
    prep_b, prep_s = float(np.median(batched)), float(np.median(single))
    for name, value in (("batched", prep_b), ("single", prep_s)):
        print(
            bench_line(
                f"serving_prep_ms_per_window_{name}",
                value,
                model_ms,
                ref_kind="same_run",
                goal="<=0.1ms",
                met="yes" if value <= 0.1 else "no",
                **common,
            ),
            flush=True,
        )
    for name, value in (("batched", prep_b), ("single", prep_s)):
        ratio = (value + model_ms) / model_ms
        print(
            bench_line(
                f"serving_total_ms_per_window_{name}",
                value + model_ms,
                model_ms,
                ref_kind="same_run",
                goal="ratio<=1.5",
                met="yes" if ratio <= 1.5 else "no",
                **common,
            ),
            flush=True,
        )
    print(
        bench_line("clip_normalise_ms", float(np.median(normalise)), model_ms, ref_kind="same_run", **common),
        flush=True,
    )


if __name__ == "__main__":
    main()
