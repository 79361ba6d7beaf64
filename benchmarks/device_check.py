"""Device check: train the paper-size SkillSight teacher and student for a few steps on a GPU in bf16 and
print step time, peak GPU memory and throughput, for the GPU presets' per-device batches.

Cases (the GPU presets of ``skillsight.config.presets.hardware``):

* ``teacher_1gpu``: paper teacher (TimeSformer ViT-B/16 on 16 x 448 px frames, DINOv2 crop features
  as input, gaze encoder), batch 8 on one GPU, activation checkpointing in the video backbone;
* ``teacher_8gpu``: the same at batch 1 per GPU (8 GPUs x 1 = the paper's batch 8), no checkpointing;
* ``student_1gpu`` / ``student_8gpu``: paper student (4 layers, 768-d, 16 gaze steps) at batch 32 / 4.

Each case: ``--warmup`` steps, then ``--steps`` timed optimiser steps (forward, cross-entropy,
backward, AdamW) under ``torch.autocast(bfloat16)`` on random inputs of the model's own shapes (speed
and memory do not depend on the weights or the data). Figures: median step time (ms), peak allocated
GPU memory (GiB, ``torch.cuda.max_memory_allocated``), clips per second per device, and the model-only
time of one Ego-Exo4D training epoch (1786 takes, one clip each) on the case's 1 or 8 devices at that
rate (an estimate: it leaves out the gradient all-reduce between GPUs and the data loading). No
reference exists for these figures (``ref_kind=none``): they are the measurement.

Without a GPU it prints what it would measure and exits 0. ``--device cpu --size test`` runs the same
loop on the CPU in float32 with the test-size models (the unit test's path: it checks the loop, not
speed). Usage: ``python benchmarks/device_check.py [--steps 5] [--warmup 2] [--cases teacher_8gpu,...]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from skillsight.models import create_model
from skillsight.reports.bench_lines import bench_line
from skillsight.training.trainer_setup import enable_gradient_checkpointing

EGOEXO4D_TRAIN_TAKES = 1786  # Ego-Exo4D gaze subset used by SkillSight (train split)


@dataclass(frozen=True)
class Case:
    """One measured configuration: the model (paper and test size), per-device batch, checkpointing."""

    name: str
    paper_model: str
    test_model: str
    batch: int
    checkpointing: bool
    devices: int


CASES = (
    Case("teacher_1gpu", "skillsight_teacher", "test_skillsight_teacher", 8, True, 1),
    Case("teacher_8gpu", "skillsight_teacher", "test_skillsight_teacher", 1, False, 8),
    Case("student_1gpu", "skillsight_student", "test_skillsight_student", 32, False, 1),
    Case("student_8gpu", "skillsight_student", "test_skillsight_student", 4, False, 8),
)


def _build(case: Case, size: str, device: torch.device) -> torch.nn.Module:
    torch.manual_seed(0)
    if size == "paper":
        model = create_model(case.paper_model)
    elif "teacher" in case.name:  # the test teacher runs DINOv2 inside; the check feeds features
        model = create_model(case.test_model, crop_input="crop_features")
    else:
        model = create_model(case.test_model)
    if case.checkpointing:
        enable_gradient_checkpointing(model)
    return model.to(device).train()


def measure(case: Case, size: str, device: torch.device, steps: int, warmup: int) -> dict[str, float]:
    """Median step time (ms), peak memory (GiB; NaN on a CPU) and clips/s of ``case``."""
    model = _build(case, size, device)
    inputs = {k: v.to(device) for k, v in model.example_inputs(case.batch).items()}  # type: ignore[operator]
    labels = torch.arange(case.batch, device=device) % 4
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
    on_gpu = device.type == "cuda"
    if on_gpu:
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for step in range(warmup + steps):
        if on_gpu:
            torch.cuda.synchronize(device)
        start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=on_gpu):
            loss = F.cross_entropy(model(**inputs)["logits"].float(), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if on_gpu:
            torch.cuda.synchronize(device)
        if step >= warmup:
            times.append(time.perf_counter() - start)
    step_s = statistics.median(times)
    peak = torch.cuda.max_memory_allocated(device) / 2**30 if on_gpu else float("nan")
    return {"step_ms": 1000 * step_s, "peak_mem_gib": peak, "clips_per_s": case.batch / step_s}


def _plan(cases: list[Case]) -> None:
    print("device_check: no CUDA device here; on a GPU it trains, in bf16 autocast with AdamW:")
    for case in cases:
        print(
            f"  {case.name}: {case.paper_model} at batch {case.batch} per device"
            f"{' with activation checkpointing' if case.checkpointing else ''}"
        )
    print(
        "and prints per case: <case>_step_ms (median), <case>_peak_mem_gib (max allocated), "
        "<case>_clips_per_s (per device) and <case>_egoexo4d_epoch_min (model only, on the case's 1 "
        f"or 8 devices, {EGOEXO4D_TRAIN_TAKES} clips), each as a bench line with ref_kind=none."
    )
    print("Run the CPU loop with the test-size models: --device cpu --size test")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cases", default=",".join(c.name for c in CASES))
    parser.add_argument("--device", choices=("auto", "cpu"), default="auto")
    parser.add_argument("--size", choices=("paper", "test"), default="paper")
    args = parser.parse_args(argv)
    by_name = {c.name: c for c in CASES}
    unknown = sorted(set(args.cases.split(",")) - set(by_name))
    if unknown:
        parser.error(f"unknown cases {unknown}; valid: {sorted(by_name)}")
    cases = [by_name[n] for n in args.cases.split(",")]
    if args.device == "auto" and not torch.cuda.is_available():
        _plan(cases)
        return 0
    device = torch.device("cuda" if args.device == "auto" else "cpu")
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    for case in cases:
        got = measure(case, args.size, device, args.steps, args.warmup)
        extra = {"device": where.replace(" ", "_"), "batch": case.batch, "size": args.size}
        print(bench_line(f"{case.name}_step_ms", got["step_ms"], None, ref_kind="none", **extra))
        if device.type == "cuda":
            print(
                bench_line(f"{case.name}_peak_mem_gib", got["peak_mem_gib"], None, ref_kind="none", **extra)
            )
        print(bench_line(f"{case.name}_clips_per_s", got["clips_per_s"], None, ref_kind="none", **extra))
        epoch_min = EGOEXO4D_TRAIN_TAKES / (got["clips_per_s"] * case.devices) / 60
        print(bench_line(f"{case.name}_egoexo4d_epoch_min", epoch_min, None, ref_kind="none", **extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
