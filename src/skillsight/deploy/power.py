"""The SkillSight power model: an estimate, not a measurement.

``P = a*N/T + b*B/T + sum_m s_m*d_m`` (SkillSight, Wu et al., CVPR 2026) with ``a`` = 4.6 pJ per MAC,
``b`` = 80 pJ per byte moved to/from memory, sensor powers ``s_m`` (RGB camera 35 mW, IMU 1.2 mW,
microphone 0.3 mW, eye tracker 7.8 mW) and duty cycles ``d_m``; ``N`` MACs and ``B`` bytes of the
model for one window of ``T`` seconds (batch 1). The paper does not publish its N, B and T, so every
report carries the assumptions it was computed under (:attr:`PowerReport.assumptions`).

MACs come from ``torch.utils.flop_counter.FlopCounterMode`` (MACs = FLOPs / 2). Two pitfalls are
handled: in eval mode ``nn.TransformerEncoder``/``nn.MultiheadAttention`` take PyTorch's native
fast path, which the counter does not see (a transformer would count 0 MACs), so the MHA fast
path is disabled while counting and restored afterwards; and on CPU scaled-dot-product attention
runs a fused kernel the counter has no formula for, so attention is counted under the MATH SDPA
backend, whose two batched matmuls (QK^T and AV) the counter does see. Example: a 4-layer,
768-d, FFN-2048 encoder on 19 tokens counts 418,381,824 MACs in its linear layers (the figure the
fused kernel gives) plus 2,217,984 in attention = 420,599,808.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from skillsight.exceptions import ConfigError

__all__ = [
    "SENSOR_POWER_MW",
    "ByteCount",
    "PowerModel",
    "PowerReport",
    "bytes_moved",
    "count_macs",
    "counting_mode",
    "estimate_deployed_power",
    "estimate_power",
]

#: sensor powers of the SkillSight paper, mW when on.
SENSOR_POWER_MW: dict[str, float] = {"rgb": 35.0, "imu": 1.2, "microphone": 0.3, "eye_tracker": 7.8}


@dataclass(frozen=True)
class PowerModel:
    """Energy constants: pJ per MAC, pJ per byte, mW per sensor when on."""

    pj_per_mac: float = 4.6
    pj_per_byte: float = 80.0
    sensor_mw: Mapping[str, float] = field(default_factory=lambda: dict(SENSOR_POWER_MW))


@contextlib.contextmanager
def counting_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode, no grad, MHA fast path off and MATH attention; everything restored on exit."""
    training = {m: m.training for m in model.modules()}
    fastpath = torch.backends.mha.get_fastpath_enabled()
    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        math_attention: contextlib.AbstractContextManager[object] = sdpa_kernel([SDPBackend.MATH])
    except ImportError:  # torch < 2.3: attention of fused kernels may go uncounted
        math_attention = contextlib.nullcontext()
    model.eval()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with torch.no_grad(), math_attention:
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
        for module, mode in training.items():
            module.training = mode


def _check_inputs(model: nn.Module, inputs: Mapping[str, torch.Tensor]) -> None:
    if not isinstance(inputs, Mapping) or not all(isinstance(v, torch.Tensor) for v in inputs.values()):
        raise ConfigError(f"inputs must be a dict of name -> Tensor, got {type(inputs).__name__}")
    declared = tuple(getattr(model, "input_names", ()))
    if declared and set(inputs) != set(declared):
        raise ConfigError(f"{type(model).__name__} declares inputs {list(declared)} but got {sorted(inputs)}")


def count_macs(model: nn.Module, inputs: Mapping[str, torch.Tensor]) -> int:
    """Multiply-accumulates of one forward pass ``model(**inputs)`` (FLOPs / 2 from FlopCounterMode).

    Counts matmuls, linears, convolutions and attention; elementwise ops (norms, activations,
    softmax) have no formula in the counter and are not counted.
    """
    _check_inputs(model, inputs)
    with counting_mode(model), FlopCounterMode(display=False) as counter:
        model(**inputs)
    return int(counter.get_total_flops()) // 2


def _tensors(obj: object) -> list[torch.Tensor]:
    """Every tensor inside a (nested) output: tensor, tuple/list, dict or HF ModelOutput."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, Mapping):
        return [t for v in obj.values() for t in _tensors(v)]
    if isinstance(obj, (tuple, list)):
        return [t for v in obj for t in _tensors(v)]
    return []


def _nbytes(t: torch.Tensor) -> int:
    return t.numel() * t.element_size()


@dataclass(frozen=True)
class ByteCount:
    """Bytes moved to/from memory in one window (see :func:`bytes_moved` for the assumptions)."""

    weight_bytes: int
    input_bytes: int
    activation_bytes: int

    @property
    def total(self) -> int:
        return self.weight_bytes + self.input_bytes + self.activation_bytes


def bytes_moved(model: nn.Module, inputs: Mapping[str, torch.Tensor]) -> ByteCount:
    """Bytes one forward pass moves to/from memory, under stated assumptions.

    * weights: every parameter and buffer is read once per window, at its stored dtype (shared
      parameters once).
    * inputs: each input tensor is read once.
    * activations: the output of every *leaf call* (a module call during which no child module was
      called, e.g. ``nn.Linear``, ``nn.LayerNorm``, ``nn.MultiheadAttention`` whose projections are
      functional) is written once and read once (2x its bytes), measured with forward hooks.
      Outputs that share storage with the call's inputs (dropout in eval, views) move nothing.
      Tensors made by functional ops outside leaf calls (residual adds, concatenations) and
      intermediates inside a leaf call (attention scores) are assumed to stay on chip.
    """
    _check_inputs(model, inputs)
    weights = {id(p): _nbytes(p) for p in model.parameters()}
    weights.update({id(b): _nbytes(b) for b in model.buffers()})
    input_bytes = sum(_nbytes(t) for t in inputs.values())

    stack: list[list[bool]] = []  # per active call: [child_called]
    activation = [0]

    def pre_hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
        if stack:
            stack[-1][0] = True
        stack.append([False])

    def post_hook(module: nn.Module, args: tuple, kwargs: dict, output: object) -> None:
        child_called = stack.pop()[0]
        if child_called:
            return
        storages = {t.untyped_storage().data_ptr() for t in _tensors((args, kwargs))}
        seen: set[int] = set()
        for t in _tensors(output):
            ptr = t.untyped_storage().data_ptr()
            if ptr in storages or ptr in seen:
                continue
            seen.add(ptr)
            activation[0] += 2 * _nbytes(t)

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(pre_hook, with_kwargs=True))
        handles.append(module.register_forward_hook(post_hook, with_kwargs=True))
    try:
        with counting_mode(model):
            model(**inputs)
    finally:
        for h in handles:
            h.remove()
    return ByteCount(
        weight_bytes=sum(weights.values()), input_bytes=input_bytes, activation_bytes=activation[0]
    )


@dataclass
class PowerReport:
    """One power estimate and the assumptions behind it. Powers in mW; N in MACs, B in bytes."""

    model_name: str
    macs: int
    bytes: ByteCount
    window_s: float
    compute_mw: float
    memory_mw: float
    sensor_mw: dict[str, float]
    duty_cycles: dict[str, float]
    total_mw: float
    power_model: PowerModel
    assumptions: list[str]

    def to_dict(self) -> dict[str, object]:
        """Plain numbers for JSON (run folders, reports)."""
        return {
            "model_name": self.model_name,
            "macs": self.macs,
            "bytes": self.bytes.total,
            "weight_bytes": self.bytes.weight_bytes,
            "input_bytes": self.bytes.input_bytes,
            "activation_bytes": self.bytes.activation_bytes,
            "window_s": self.window_s,
            "compute_mw": self.compute_mw,
            "memory_mw": self.memory_mw,
            "sensor_mw": dict(self.sensor_mw),
            "duty_cycles": dict(self.duty_cycles),
            "total_mw": self.total_mw,
            "assumptions": list(self.assumptions),
        }

    def format(self) -> str:
        """Human-readable breakdown followed by the assumptions."""
        pm, b = self.power_model, self.bytes
        lines = [
            f"power estimate for {self.model_name} (a model of power, not a measurement)",
            f"  window T         {self.window_s:.3f} s",
            f"  N  {self.macs / 1e6:12.3f} MMAC/window  -> a*N/T = {self.compute_mw:.4f} mW "
            f"(a = {pm.pj_per_mac} pJ/MAC)",
            f"  B  {b.total / 1e6:12.3f} MB/window    -> b*B/T = {self.memory_mw:.4f} mW "
            f"(b = {pm.pj_per_byte} pJ/byte)",
            f"     weights {b.weight_bytes / 1e6:.3f} MB, inputs {b.input_bytes / 1e6:.4f} MB, "
            f"activations {b.activation_bytes / 1e6:.4f} MB",
        ]
        for name, mw in self.sensor_mw.items():
            lines.append(
                f"  sensor {name:<12} {pm.sensor_mw[name]:.1f} mW x duty "
                f"{self.duty_cycles[name]:.2f} = {mw:.4f} mW"
            )
        lines.append(f"  total P          {self.total_mw:.4f} mW")
        lines.append("assumptions:")
        lines.extend(f"  - {a}" for a in self.assumptions)
        return "\n".join(lines)


def _duty_cycles(
    model: nn.Module, sensors: Sequence[str] | Mapping[str, float] | None, power_model: PowerModel
) -> dict[str, float]:
    declared_duty = getattr(model, "duty_cycles", None)
    if sensors is None and isinstance(declared_duty, Mapping):
        sensors = dict(declared_duty)  # e.g. a sparse or triggered camera
    if sensors is None:
        sensors = tuple(getattr(model, "sensors", ()))
        if not sensors:
            raise ConfigError(
                f"{type(model).__name__} declares no `sensors`; pass sensors=[...] explicitly "
                f"(valid: {sorted(power_model.sensor_mw)})"
            )
    duty = dict(sensors) if isinstance(sensors, Mapping) else dict.fromkeys(sensors, 1.0)
    for name, d in duty.items():
        if name not in power_model.sensor_mw:
            raise ConfigError(f"unknown sensor {name!r}; valid: {sorted(power_model.sensor_mw)}")
        if not 0.0 <= float(d) <= 1.0:
            raise ConfigError(f"duty cycle of sensor {name!r} must be in [0, 1], got {d}")
    return {name: float(d) for name, d in duty.items()}


def estimate_power(
    model: nn.Module,
    inputs: Mapping[str, torch.Tensor] | None = None,
    *,
    window_s: float,
    sensors: Sequence[str] | Mapping[str, float] | None = None,
    power_model: PowerModel | None = None,
) -> PowerReport:
    """Estimate the power of running ``model`` once per window of ``window_s`` seconds.

    Args:
        model: usually a DeclaredInputsModule (its ``sensors`` and ``example_inputs`` are used).
        inputs: batch-1 inputs of one window; default ``model.example_inputs(1)``.
        window_s: T, seconds of data one forward pass covers (e.g. 16 steps at 2 fps = 8 s).
        sensors: sensors that are on (duty 1) or a name -> duty-cycle mapping; default
            ``model.duty_cycles`` when the model declares one (a sparse or triggered camera), else
            ``model.sensors`` at duty 1.
        power_model: constants; default :class:`PowerModel` (the paper's values).

    Raises:
        ConfigError: window_s <= 0, batch size != 1, unknown sensors, or undeclared sensors/inputs.
    """
    pm = power_model or PowerModel()
    if not window_s > 0:
        raise ConfigError(f"window_s must be > 0 seconds, got {window_s}")
    duty = _duty_cycles(model, sensors, pm)
    if inputs is None:
        example_inputs = getattr(model, "example_inputs", None)
        if example_inputs is None:
            raise ConfigError(f"{type(model).__name__} has no example_inputs(); pass inputs explicitly")
        inputs = example_inputs(1)
    batch = {name: int(t.shape[0]) for name, t in inputs.items() if t.ndim > 0}
    if any(b != 1 for b in batch.values()):
        raise ConfigError(f"power is estimated per window at batch size 1; input batch sizes: {batch}")
    macs = count_macs(model, inputs)
    nbytes = bytes_moved(model, inputs)
    compute_mw = pm.pj_per_mac * macs / window_s * 1e-9  # pJ/s = 1e-12 W = 1e-9 mW
    memory_mw = pm.pj_per_byte * nbytes.total / window_s * 1e-9
    sensor_mw = {name: pm.sensor_mw[name] * d for name, d in duty.items()}
    dtypes = sorted({str(p.dtype).replace("torch.", "") for p in model.parameters()})
    assumptions = [
        f"one forward pass per window of T = {window_s:g} s at batch size 1 (no overlap between windows)",
        "N = FLOPs/2 from torch FlopCounterMode with the MHA fast path off and MATH attention "
        "(matmul/linear/conv/attention only; norms, activations and softmax not counted)",
        f"B: every parameter and buffer (lookup tables in full) read once per window at its stored dtype "
        f"({', '.join(dtypes) or 'none'}), "
        "inputs read once, each leaf module's output written once and read once; residual adds, "
        "concatenations and intermediates inside a module stay on chip",
        "sensors: " + ", ".join(f"{n} {pm.sensor_mw[n]} mW x duty {d:g}" for n, d in duty.items()),
        f"energy per op: {pm.pj_per_mac} pJ/MAC, {pm.pj_per_byte} pJ/byte (the SkillSight paper's constants)",
    ]
    return PowerReport(
        model_name=str(getattr(model, "model_name", type(model).__name__)),
        macs=macs,
        bytes=nbytes,
        window_s=float(window_s),
        compute_mw=compute_mw,
        memory_mw=memory_mw,
        sensor_mw=sensor_mw,
        duty_cycles=duty,
        total_mw=compute_mw + memory_mw + sum(sensor_mw.values()),
        power_model=pm,
        assumptions=assumptions,
    )


def estimate_deployed_power(model: nn.Module, *, window_s: float) -> PowerReport:
    """:func:`estimate_power` at batch 1 of ``model`` as a device would run it (``model.deployed()``,
    e.g. the SkillSight teacher with its frozen crop extractor inside); the difference is stated in the
    report's assumptions."""
    deployed_variant = getattr(model, "deployed", None)
    deployed, note = deployed_variant() if deployed_variant is not None else (model, None)
    report = estimate_power(deployed, None, window_s=window_s)  # None: the model's example_inputs(1)
    if note:
        report.assumptions.append(note)
    return report
