"""Gaze-only student latency and throughput on this machine's CPU: onnxruntime vs PyTorch eager.

For the paper-size student (``skillsight_student``: 4 layers, 768-d, FFN 2048, 16 gaze steps) and
the compact one (``skillsight_student_compact``), both randomly initialised (speed does not depend
on the weights), it measures in one run:

* latency per window at batch 1 (median of ``--reps`` calls after warm-up), PyTorch eager
  (eval, inference_mode) and onnxruntime (CPU provider, default threads) on the file
  :func:`skillsight.deploy.export.export_model` writes;
* throughput at batch 256 (windows per second, best of 3 calls);
* the compute-bound limit for the same MACs: ``2 * MACs / F`` where F is the float32 GFLOP/s of a
  2048 x 2048 torch matmul measured in the same run (ratio = measured latency / limit; 1 would be
  a model running at matmul speed);
* the power model's estimate per 8 s window (:func:`skillsight.deploy.power.estimate_power`).

The paper reports 1.6 ms per sample on a GPU; our CPU figure is printed next to it (a different
device: the ratio is a comparison of setups, not of implementations). On shared machines the
timings are noisy; rerun for stable figures.

Prints one line per figure: ``name=VALUE ref=VALUE ratio=VALUE``.
Usage: ``python benchmarks/bench_student_latency.py [--reps 50] [--models skillsight_student,...]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.deploy.backends import OnnxBackend, TorchBackend
from skillsight.deploy.export import export_model
from skillsight.deploy.power import SENSOR_POWER_MW, count_macs, estimate_power
from skillsight.models import create_model

PAPER_GPU_MS = 1.6  # SkillSight paper: student inference per sample on a GPU
WINDOW_S = 8.0  # 16 steps at 2 fps


def matmul_gflops(n: int = 2048, reps: int = 5) -> float:
    """Best float32 GFLOP/s of an n x n @ n x n torch matmul."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best / 1e9


def _inputs(model: torch.nn.Module, batch: int) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in model.example_inputs(batch).items()}


def median_ms(backend, inputs: dict[str, np.ndarray], reps: int) -> float:
    for _ in range(3):
        backend.logits(inputs)
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        backend.logits(inputs)
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def throughput(backend, inputs: dict[str, np.ndarray], batch: int) -> float:
    backend.logits(inputs)
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        backend.logits(inputs)
        best = min(best, time.perf_counter() - t)
    return batch / best


def line(name: str, value: float, ref: float) -> None:
    print(f"{name}={value:.4g} ref={ref:.4g} ratio={value / ref:.4g}", flush=True)


def bench(name: str, gflops: float, reps: int, batch: int, tmp: Path) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=len(PROFICIENCY_LABELS), num_steps=16).eval()
    macs = count_macs(model, model.example_inputs(1))
    limit_ms = 2 * macs / (gflops * 1e9) * 1e3
    eager = TorchBackend(model)
    one, many = _inputs(model, 1), _inputs(model, batch)
    # PyTorch first: onnxruntime's idle worker threads spin for a while after each run and would
    # compete with torch for the (2) cores if a session were already live.
    torch_ms, torch_tp = median_ms(eager, one, reps), throughput(eager, many, batch)
    path = export_model(model, tmp / f"{name}.onnx", extra={"class_names": list(PROFICIENCY_LABELS)})
    onnx = OnnxBackend.load(path)
    onnx_ms, onnx_tp = median_ms(onnx, one, reps), throughput(onnx, many, batch)
    print(
        f"# {name}: {macs / 1e6:.1f} MMAC/window, "
        f"{sum(p.numel() for p in model.parameters()) / 1e6:.2f} M params, "
        f"compute-bound limit {limit_ms:.4f} ms at {gflops:.1f} GFLOP/s",
        flush=True,
    )
    line(f"{name}_torch_eager_b1_ms", torch_ms, limit_ms)
    line(f"{name}_onnxruntime_b1_ms", onnx_ms, limit_ms)
    line(f"{name}_onnxruntime_vs_torch_b1_ms", onnx_ms, torch_ms)
    line(f"{name}_cpu_onnxruntime_b1_ms_vs_paper_gpu", onnx_ms, PAPER_GPU_MS)
    bound_tp = gflops * 1e9 / (2 * macs)
    line(f"{name}_torch_eager_b{batch}_windows_per_s", torch_tp, bound_tp)
    line(f"{name}_onnxruntime_b{batch}_windows_per_s", onnx_tp, bound_tp)
    power = estimate_power(model, window_s=WINDOW_S)
    line(f"{name}_power_mw", power.total_mw, SENSOR_POWER_MW["eye_tracker"])
    line(f"{name}_compute_memory_mw", power.compute_mw + power.memory_mw, power.total_mw)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=50, help="batch-1 calls per latency median")
    parser.add_argument("--batch", type=int, default=256, help="batch of the throughput figure")
    parser.add_argument("--models", default="skillsight_student,skillsight_student_compact")
    args = parser.parse_args()
    start = time.perf_counter()
    gflops = matmul_gflops()
    print(
        f"# torch {torch.__version__}, {torch.get_num_threads()} threads; "
        "timings are noisy on a shared machine",
        flush=True,
    )
    line("matmul_2048_gflops", gflops, gflops)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            bench(name.strip(), gflops, args.reps, args.batch, Path(tmp))
    print(f"# elapsed {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
