"""benchmarks/device_check.py: the no-GPU message and the CPU path of its training loop (test-size
models), whose printed figures must be consistent bench lines."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest
import torch

SCRIPT = Path(__file__).resolve().parents[3] / "benchmarks" / "device_check.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("device_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_without_a_gpu_it_says_what_it_would_measure_and_exits_0(monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _load().main([]) == 0
    out = capsys.readouterr().out
    assert "no CUDA device" in out
    for case in ("teacher_1gpu", "teacher_8gpu", "student_1gpu", "student_8gpu"):
        assert case in out
    assert "_peak_mem_gib" in out and "bf16" in out
    assert "ref=" not in out, "no figure is printed without a measurement"


def test_cpu_path_trains_the_test_models_and_prints_consistent_bench_lines(capsys) -> None:
    module = _load()
    args = ["--device", "cpu", "--size", "test", "--steps", "1", "--warmup", "0"]
    assert module.main([*args, "--cases", "teacher_8gpu,student_1gpu"]) == 0
    figures = dict(re.findall(r"^(\w+)=(\S+) ref=n/a ratio=n/a ref_kind=none", capsys.readouterr().out, re.M))
    for case, batch, devices in (("teacher_8gpu", 1, 8), ("student_1gpu", 32, 1)):
        step_ms, per_s = float(figures[f"{case}_step_ms"]), float(figures[f"{case}_clips_per_s"])
        assert step_ms > 0
        assert per_s == pytest.approx(1000 * batch / step_ms, rel=2e-3)
        epoch_min = float(figures[f"{case}_egoexo4d_epoch_min"])
        assert epoch_min == pytest.approx(1786 / (per_s * devices) / 60, rel=2e-3)
    assert not any(k.endswith("_peak_mem_gib") for k in figures), "no GPU memory figure on a CPU"


def test_an_unknown_case_is_refused() -> None:
    with pytest.raises(SystemExit):
        _load().main(["--cases", "teacher_64gpu"])
