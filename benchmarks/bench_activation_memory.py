"""Activation memory per batch of the paper-size SkillSight models, measured on the CPU from the
models' own forward pass, plus their forward time on this CPU (timings on a shared machine are noisy:
they are printed as measured, not extrapolated).

Memory: every tensor autograd saves for the backward pass during one training-mode forward is seen
through :func:`torch.autograd.graph.saved_tensors_hooks`; the bytes of their distinct storages are
summed (a storage saved twice counts once; parameters are left out: they are the weights, not
activations). That is what a training step keeps alive between forward and backward, beside weights,
gradients and optimiser state (reported as ``params_mib``: weights; AdamW adds 2x, gradients 1x).

The teacher's full clip (16 frames of 448 px: 12,544 video tokens) keeps tens of GB, more than this
shared machine can hold, so it is measured at 2 and 4 frames and extrapolated linearly to 16: the
divided space-time attention of the TimeSformer is per frame in space (memory linear in frames) and
per patch over 16 frames in time (quadratic in frames, but 784x smaller). The extrapolated figure is
labelled ``estimate=linear_in_frames``. The student is measured at its real size and batch.

Prints one bench line per figure (``ref_kind=none``: no reference exists).
Usage: ``python benchmarks/bench_activation_memory.py [--frames 2,4] [--student-batch 32]``
"""

from __future__ import annotations

import argparse
import time

import torch

from skillsight.models import create_model
from skillsight.reports.bench_lines import bench_line

MIB = 2**20


def saved_activation_bytes(model: torch.nn.Module, inputs: dict[str, torch.Tensor]) -> tuple[int, float]:
    """(bytes of the distinct non-parameter storages saved for backward, forward seconds) of one forward."""
    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        ptr = storage.data_ptr()
        if ptr not in params:
            storages[ptr] = max(storages.get(ptr, 0), storage.nbytes())
        return t

    model.train()
    start = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = model(**inputs)
    seconds = time.perf_counter() - start
    del out  # frees the graph and what it saved
    return sum(storages.values()), seconds


def _params_mib(model: torch.nn.Module) -> float:
    return sum(p.numel() * p.element_size() for p in model.parameters()) / MIB


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", default="2,4", help="teacher clip lengths measured (extrapolated to 16)")
    parser.add_argument("--student-batch", type=int, default=32)
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
    torch.manual_seed(0)

    student = create_model("skillsight_student")
    got, seconds = saved_activation_bytes(student, student.example_inputs(args.student_batch))
    extra = {"batch": args.student_batch, "params_mib": _params_mib(student)}
    print(bench_line("student_paper_activations_mib", got / MIB, None, ref_kind="none", **extra))
    per_clip_ms = 1000 * seconds / args.student_batch
    print(bench_line("student_paper_cpu_forward_ms_per_clip", per_clip_ms, None, ref_kind="none", **extra))

    frames = [int(f) for f in args.frames.split(",")]
    points = []
    for n in frames:
        teacher = create_model("skillsight_teacher", num_frames=n)
        got, seconds = saved_activation_bytes(teacher, teacher.example_inputs(1))
        points.append((n, got, seconds))
        extra = {"batch": 1, "frames": n, "params_mib": _params_mib(teacher)}
        print(bench_line(f"teacher_paper_{n}f_activations_mib", got / MIB, None, ref_kind="none", **extra))
        print(bench_line(f"teacher_paper_{n}f_cpu_forward_s", seconds, None, ref_kind="none", **extra))
        del teacher
    if len(points) >= 2:
        (n0, b0, _), (n1, b1, _) = points[0], points[-1]
        at16 = (b0 + (b1 - b0) / (n1 - n0) * (16 - n0)) / MIB
        extra = {"batch": 1, "frames": 16, "estimate": "linear_in_frames", "from_frames": args.frames}
        print(bench_line("teacher_paper_16f_activations_mib", at16, None, ref_kind="none", **extra))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
