"""Gaze-only student latency against the hardware limit, every backend, fp32 and int8, at batch 1 and 64.

The LIMIT is measured in the same run with the best library at the model's own shapes: for each
matmul shape of the student ((B*T, d) @ (d, d) and (B*T, d) @ (d, ffn)) the faster of torch's and
onnxruntime's MatMul (1 thread) gives the MAC rate; limit = model MACs / that rate, or the time to
read the weights once at the measured memory bandwidth (a large numpy copy), whichever is longer.
Every latency is printed with its ratio to that limit (``ratio`` = measured / limit; 1.0 = at the
limit), for the paper-size (``skillsight_student``), compact and tiny students:

* PyTorch eager (inference_mode, 1 thread), onnxruntime fp32 and onnxruntime int8 (dynamic
  quantisation, :mod:`skillsight.deploy.quantize`), sessions as deployed (1 intra-op thread);
* window preparation of the serving path (:meth:`SkillEstimator.prepare_windows`, per window) against
  the model call, and the one-window-at-a-time preparation as reference;
* the power model's estimate per 8 s window (:func:`skillsight.deploy.power.estimate_power`);
* int8 accuracy: top-class agreement and largest logit difference of int8 vs fp32 on real test
  windows (``--run``, e.g. ``runs/demo/student``, with ``--gaze`` a gaze CSV), else on random ones.

Limits take the fastest of their calls (load only slows the hardware), latencies the median of
``--reps`` calls (a fifth of them at batch 64), interleaved over ``--rounds`` rounds (backends alternate,
so machine load hits them alike), median over rounds. Goals (issue 19) are printed with each line as
``goal=`` and ``met=``. Usage: ``python benchmarks/bench_student_latency.py [--reps 30] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.deploy.backends import OnnxBackend, TorchBackend
from skillsight.deploy.export import export_model
from skillsight.deploy.power import count_macs, estimate_power
from skillsight.deploy.quantize import quantize_int8
from skillsight.models import create_model
from skillsight.reports.bench_lines import bench_line

MODELS = ("skillsight_student", "skillsight_student_compact", "skillsight_student_tiny")
#: issue 19 goals: ratio to the fp32 limit at batch 1.
GOALS = {
    ("skillsight_student", "onnx_fp32"): 1.3,
    ("skillsight_student", "onnx_int8"): 0.6,
    ("skillsight_student_compact", "onnx_fp32"): 1.1,
}


def _median_ms(fn: Callable[[], object], reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times)) * 1e3


def _best_ms(fn: Callable[[], object], reps: int) -> float:
    """Fastest of ``reps`` calls: a limit is what the hardware does at best (load only slows it)."""
    fn()
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def _ort_matmul(m: int, k: int, n: int, tmp: Path) -> Callable[[], object]:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = np.random.default_rng(0).standard_normal((k, n)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])],
        "mm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [m, k])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [m, n])],
        [numpy_helper.from_array(w, "w")],
    )
    path = tmp / f"mm_{m}_{k}_{n}.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(1).standard_normal((m, k)).astype(np.float32)
    return lambda: sess.run(["y"], {"x": x})


def mac_rate(m: int, k: int, n: int, reps: int, tmp: Path) -> tuple[float, str]:
    """Best MAC/s of an (m, k) @ (k, n) matmul over torch and onnxruntime (1 thread), and which."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    rates = {
        "torch": m * k * n / (_best_ms(lambda: a @ b, reps) / 1e3),
        "onnxruntime": m * k * n / (_best_ms(_ort_matmul(m, k, n, tmp), reps) / 1e3),
    }
    best = max(rates, key=lambda name: rates[name])
    return rates[best], best


def memory_bandwidth() -> float:
    """Bytes/s of a 256 MB numpy copy (read + write both counted), fastest of 10."""
    src = np.ones(64 * 1024 * 1024, np.float32)
    dst = np.ones_like(src)  # touched, so no page faults are timed
    ms = _best_ms(lambda: np.copyto(dst, src), 10)
    return 2 * src.nbytes / (ms / 1e3)


def _ffn_width(model: torch.nn.Module) -> int:
    """Width of the encoder's feed-forward layer (the widest Linear of the encoder)."""
    return max(m.out_features for m in model.encoder.modules() if isinstance(m, torch.nn.Linear))


def _inputs(model: torch.nn.Module, batch: int) -> dict[str, np.ndarray]:
    return {k: v.numpy() for k, v in model.example_inputs(batch).items()}  # type: ignore[operator]


def _goal_fields(name: str, backend: str, ratio: float) -> dict[str, object]:
    goal = GOALS.get((name, backend))
    return {} if goal is None else {"goal": f"<={goal}", "met": "yes" if ratio <= goal else "no"}


def bench_model(name: str, args: argparse.Namespace, bandwidth: float, tmp: Path) -> None:
    torch.manual_seed(0)
    model = create_model(name, num_classes=len(PROFICIENCY_LABELS), num_steps=16).eval()
    d = int(model.input_proj.out_features)
    ffn = int(model.model_args.get("ffn_dim", 0)) or _ffn_width(model)
    tokens = 16 + int(model.num_tokens)  # gaze steps + cls (+ act, dis)
    fp32 = export_model(model, tmp / f"{name}.onnx", extra={"class_names": list(PROFICIENCY_LABELS)})
    int8 = quantize_int8(fp32, tmp / f"{name}.int8.onnx")
    backends = {
        "torch_eager": TorchBackend(model),
        "onnx_fp32": OnnxBackend.load(fp32),
        "onnx_int8": OnnxBackend.load(int8),
    }
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    for batch in (1, 64):
        macs = count_macs(model, model.example_inputs(batch))  # type: ignore[operator]
        rate_dd, lib_dd = mac_rate(batch * tokens, d, d, args.reps, tmp)
        rate_df, lib_df = mac_rate(batch * tokens, d, ffn, args.reps, tmp)
        rate = min(rate_dd, rate_df)  # the slower shape bounds the model (most MACs are in both)
        limit_ms = max(macs / rate, weight_bytes / bandwidth) * 1e3
        print(
            f"# {name} batch {batch}: {macs / 1e6:.1f} MMAC, {weight_bytes / 1e6:.1f} MB weights; "
            f"best matmul {rate_dd / 1e9:.1f} ({lib_dd}) / {rate_df / 1e9:.1f} ({lib_df}) GMAC/s; "
            f"memory floor {weight_bytes / bandwidth * 1e3:.3f} ms; limit {limit_ms:.4f} ms",
            flush=True,
        )
        inputs = _inputs(model, batch)
        rounds: dict[str, list[float]] = {k: [] for k in backends}
        reps = args.reps if batch == 1 else max(3, args.reps // 5)
        for _ in range(args.rounds):
            for key, backend in backends.items():
                rounds[key].append(_median_ms(lambda b=backend, x=inputs: b.logits(x), reps))
        for key, values in rounds.items():
            ms = float(np.median(values))
            extra = _goal_fields(name, key, ms / limit_ms) if batch == 1 else {}
            print(
                bench_line(
                    f"{name}_{key}_b{batch}_ms", ms, limit_ms, ref_kind="same_run", ref_name="limit", **extra
                ),
                flush=True,
            )
    print(
        bench_line(
            f"{name}_int8_file_mb",
            int8.stat().st_size / 1e6,
            fp32.stat().st_size / 1e6,
            ref_kind="same_run",
            ref_name="fp32_file",
        ),
        flush=True,
    )
    power = estimate_power(model, window_s=8.0)  # the power model's estimate, not a measurement
    print(
        bench_line(f"{name}_power_model_mw_per_8s_window", power.total_mw, None, ref_kind="none"), flush=True
    )
    many = _inputs(model, 512)
    a = backends["onnx_fp32"].logits(many).astype(np.float64)
    b = backends["onnx_int8"].logits(many).astype(np.float64)
    print(
        bench_line(
            f"{name}_int8_top1_agreement_random_windows",
            float((a.argmax(1) == b.argmax(1)).mean()),
            1.0,
            ref_kind="same_run",
            ref_name="fp32",
            max_abs_logit_diff=float(np.abs(a - b).max()),
        ),
        flush=True,
    )


def bench_real_windows(run: Path, gaze: Path, args: argparse.Namespace, tmp: Path) -> None:
    """int8 agreement on real gaze windows, and serving preparation vs the model call.

    The model is the trained student of ``run`` when it loads, else a randomly initialised
    paper-size student (said in the figure's ``weights=`` field).
    """
    from skillsight.data.readers.aria import read_gaze_csv
    from skillsight.deploy.inference import SkillEstimator, window_starts
    from skillsight.deploy.spec import spec_for_model, spec_from_run
    from skillsight.exceptions import SkillsightError
    from skillsight.runs.checkpoint import load_model

    try:
        model, weights = load_model(run / "model"), f"trained:{run}"
        spec = spec_from_run(run, model)
    except (SkillsightError, OSError) as err:
        print(f"# {run}: {str(err)[:120]} -> random-init paper-size student instead", flush=True)
        torch.manual_seed(0)
        model, weights = create_model("skillsight_student", num_classes=4, num_steps=16), "random_init"
        spec = spec_for_model(model, PROFICIENCY_LABELS)
    model.eval()
    fp32 = export_model(model, tmp / "real.onnx", spec)
    int8 = quantize_int8(fp32, tmp / "real.int8.onnx")
    est = SkillEstimator(OnnxBackend.load(fp32), spec)
    track = read_gaze_csv(gaze)
    ts = track.timestamps_us
    starts = window_starts(int(ts[0]), int(ts[-1]), spec, 250_000)  # 4 estimates/s
    inputs = est.prepare_windows(track, starts).inputs  # name -> (W, ...)
    ref = TorchBackend(model).logits(inputs).astype(np.float64)
    got = OnnxBackend.load(int8).logits(inputs).astype(np.float64)
    agree = float((ref.argmax(1) == got.argmax(1)).mean())
    print(
        bench_line(
            "real_windows_int8_top1_agreement",
            agree,
            1.0,
            ref_kind="same_run",
            ref_name="pytorch_fp32",
            weights=weights,
            windows=len(starts),
            max_abs_logit_diff=float(np.abs(ref - got).max()),
            goal=">=0.99",
            met="yes" if agree >= 0.99 else "no",
        ),
        flush=True,
    )
    one = {k: v[:1] for k, v in inputs.items()}
    n_single = min(50, len(starts))
    batched, single, call = [], [], []
    for _ in range(args.rounds):
        batched.append(_median_ms(lambda: est.prepare_windows(track, starts), 3) / len(starts))
        single.append(
            _median_ms(lambda: [est.window_inputs(track, int(s)) for s in starts[:n_single]], 3) / n_single
        )
        call.append(_median_ms(lambda: est.backend.logits(one), args.reps))
    prep, model_ms = float(np.median(batched)), float(np.median(call))
    met = "yes" if prep <= 0.1 else "no"
    print(
        bench_line(
            "serving_prep_batched_ms_per_window",
            prep,
            float(np.median(single)),
            ref_kind="same_run",
            ref_name="one_window_at_a_time",
            goal="<=0.1ms",
            met=met,
        ),
        flush=True,
    )
    ratio = (prep + model_ms) / model_ms
    print(
        bench_line(
            "serving_prep_plus_model_ms",
            prep + model_ms,
            model_ms,
            ref_kind="same_run",
            ref_name="paper_student_fp32_call",
            goal="ratio<=1.5",
            met="yes" if ratio <= 1.5 else "no",
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=30, help="calls per latency median")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median over rounds)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument(
        "--run", type=Path, default=Path("runs/demo/student"), help="trained student run folder"
    )
    parser.add_argument(
        "--gaze",
        type=Path,
        default=Path(__file__).resolve().parents[1].parent
        / "shared/data/aria-mps-samples/gen1/legacy_v2/generalized_eye_gaze.csv",
        help="MPS gaze CSV whose windows are the real test windows",
    )
    args = parser.parse_args()
    torch.set_num_threads(1)
    start = time.perf_counter()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# torch {torch.__version__}, 1 thread everywhere; load average {load:.1f} "
        f"on {os.cpu_count()} cores",
        flush=True,
    )
    bandwidth = memory_bandwidth()
    print(bench_line("memory_bandwidth_gb_per_s", bandwidth / 1e9, None, ref_kind="none"), flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.models.split(","):
            bench_model(name.strip(), args, bandwidth, Path(tmp))
        if args.gaze is not None and args.gaze.is_file():
            bench_real_windows(args.run, args.gaze, args, Path(tmp))
        else:
            print(f"# no gaze CSV at --gaze {args.gaze}: the real-window figures are skipped", flush=True)
    print(f"# elapsed {time.perf_counter() - start:.1f} s", flush=True)


if __name__ == "__main__":
    main()
