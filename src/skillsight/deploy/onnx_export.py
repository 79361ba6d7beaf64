"""Export any DeclaredInputsModule to ONNX (dynamic batch, metadata inside) and check parity.

Exporter choice: torch 2.x has two exporters behind ``torch.onnx.export``. The default since
torch 2.9 (``dynamo=True``, torch.export-based) needs the ``onnxscript`` package, which is not a
dependency here, and takes ``dynamic_shapes`` rather than ``dynamic_axes``. The TorchScript
exporter (``dynamo=False``) runs offline with only ``onnx`` installed and takes ``dynamic_axes``
directly; it is deprecated but present in torch 2.13, so it is what we use. It traces the model, so:

* dict inputs/outputs are handled by a small wrapper that takes the declared inputs positionally
  (in ``model.input_names`` order) and returns the output dict's tensors as a tuple in the dict's
  order (nested dicts/tuples are flattened to dotted names, e.g. ``features.0``);
* the example batch is 2 (``model.example_inputs(2)``), so no size-1 batch gets baked in;
* the MHA fast path is switched off while tracing (its fused kernels and nested tensors do not
  export) and restored afterwards; tracer warnings are silenced, and :func:`check_onnx_parity`,
  run at batch sizes other than the traced one, is what proves the trace right.

Metadata (model name and args, input spec with shapes and dtypes, output names, sensors, plus
whatever the caller passes: class names, normalisation constants) is stored in the model's
``metadata_props``, each value as a JSON string; :func:`load_onnx_session` decodes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from skillsight.exceptions import ConfigError, DataFormatError, MissingDependencyError, SkillsightError

__all__ = [
    "DEFAULT_INTRA_OP_THREADS",
    "OnnxParityError",
    "add_onnx_metadata",
    "check_onnx_parity",
    "export_onnx",
    "flatten_outputs",
    "load_onnx_session",
]

#: onnxruntime intra-op threads of a deployment session. One: a batch-1 window is too small to split
#: well, and on a loaded machine a 2-thread pool collapses (measured 15 ms median at 1 thread against
#: 5x that with 2 on the busy 2-core development machine); 0 = onnxruntime's default (all cores).
DEFAULT_INTRA_OP_THREADS = 1

#: metadata keys written by export_onnx itself.
_AUTO_KEYS = ("input_spec", "output_names", "sensors", "exporter")


class OnnxParityError(SkillsightError, AssertionError):
    """The exported model's outputs differ from PyTorch's by more than the tolerance."""


def flatten_outputs(outputs: object, prefix: str = "") -> dict[str, torch.Tensor]:
    """A model's output dict flattened in order to ``name -> Tensor`` (nested keys joined by '.')."""
    if isinstance(outputs, torch.Tensor):
        return {prefix or "output": outputs}
    if isinstance(outputs, Mapping):
        items = [(str(k), v) for k, v in outputs.items()]
    elif isinstance(outputs, (tuple, list)):
        items = [(str(i), v) for i, v in enumerate(outputs)]
    else:
        raise ConfigError(
            f"model output {prefix or '<root>'!r} is a {type(outputs).__name__}, not a tensor/dict/tuple"
        )
    flat: dict[str, torch.Tensor] = {}
    for key, value in items:
        flat.update(flatten_outputs(value, f"{prefix}.{key}" if prefix else key))
    return flat


@contextlib.contextmanager
def _export_mode(model: nn.Module) -> Iterator[None]:
    training = {m: m.training for m in model.modules()}
    fastpath = torch.backends.mha.get_fastpath_enabled()
    model.eval()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)
        for module, mode in training.items():
            module.training = mode


class _Positional(nn.Module):
    """Positional tensors in, tuple of flattened outputs out (what the TorchScript exporter traces)."""

    def __init__(self, model: nn.Module, input_names: tuple[str, ...], output_names: tuple[str, ...]) -> None:
        super().__init__()
        self.model = model
        self.input_names = input_names
        self.output_names = output_names

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        flat = flatten_outputs(self.model(**dict(zip(self.input_names, tensors))))
        return tuple(flat[name] for name in self.output_names)


def _declared_inputs(model: nn.Module, batch_size: int) -> tuple[tuple[str, ...], dict[str, torch.Tensor]]:
    names = tuple(getattr(model, "input_names", ()))
    example_inputs = getattr(model, "example_inputs", None)
    if not names or example_inputs is None:
        raise ConfigError(
            f"{type(model).__name__} must declare input_names and example_inputs() to be exported"
        )
    inputs = example_inputs(batch_size)
    if tuple(inputs) != names and set(inputs) == set(names):
        inputs = {n: inputs[n] for n in names}
    if set(inputs) != set(names):
        raise ConfigError(
            f"{type(model).__name__}.example_inputs() gives {sorted(inputs)}, "
            f"but input_names declares {list(names)}"
        )
    for name, t in inputs.items():
        if not isinstance(t, torch.Tensor) or t.ndim == 0 or t.shape[0] != batch_size:
            shape = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ConfigError(
                f"example input {name!r} must be a tensor with batch axis 0 of size {batch_size}, got {shape}"
            )
    return names, inputs


def _json(key: str, value: Any) -> str:
    try:
        return json.dumps(value, sort_keys=False)
    except TypeError as err:
        raise ConfigError(f"ONNX metadata {key!r} must be JSON-serialisable: {err}") from None


def export_onnx(
    model: nn.Module, path: str | Path, metadata: Mapping[str, Any] | None = None, opset: int = 17
) -> Path:
    """Export ``model`` to ``path`` with a dynamic batch axis on every input and output.

    Args:
        model: a DeclaredInputsModule (``input_names``, ``example_inputs``, dict outputs).
        path: .onnx file to write (written atomically; parent folders are created).
        metadata: extra JSON-serialisable entries, e.g. ``{"class_names": [...], "normalisation":
            {...}}``. ``model_name``/``model_args`` default to the attributes ``create_model`` sets.
        opset: ONNX opset version.

    Returns:
        The path written.
    """
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("onnx", "deploy") from None
    path = Path(path)
    names, inputs = _declared_inputs(model, batch_size=2)
    with _export_mode(model), torch.no_grad():
        flat = flatten_outputs(model(**inputs))
    for name, t in flat.items():
        if t.ndim == 0 or t.shape[0] != 2:
            raise ConfigError(
                f"output {name!r} has shape {tuple(t.shape)}: every output needs batch axis 0 to export"
            )
    output_names = tuple(flat)

    meta: dict[str, Any] = {}
    if hasattr(model, "model_name"):
        meta["model_name"] = model.model_name
        meta["model_args"] = dict(getattr(model, "model_args", {}))
    for key, value in (metadata or {}).items():
        if key in _AUTO_KEYS or (key in meta and meta[key] != value):
            raise ConfigError(
                f"ONNX metadata key {key!r} is set by export_onnx from the model; do not pass it"
            )
        meta[key] = value
    meta["input_spec"] = {
        n: {"shape": ["batch", *t.shape[1:]], "dtype": str(t.dtype).replace("torch.", "")}
        for n, t in inputs.items()
    }
    meta["output_names"] = list(output_names)
    meta["sensors"] = list(getattr(model, "sensors", ()))
    meta["exporter"] = f"torch {torch.__version__} TorchScript exporter, opset {opset}"
    props = {key: _json(key, value) for key, value in meta.items()}

    dynamic_axes = {name: {0: "batch"} for name in (*names, *output_names)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp, _export_mode(model), warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
        warnings.filterwarnings("ignore", message=".*legacy TorchScript-based ONNX export.*")
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        traced = Path(tmp) / "model.onnx"
        torch.onnx.export(
            _Positional(model, names, output_names),
            tuple(inputs.values()),
            str(traced),
            dynamo=False,
            input_names=list(names),
            output_names=list(output_names),
            dynamic_axes=dynamic_axes,
            opset_version=opset,
            do_constant_folding=True,
        )
        proto = onnx.load(str(traced))
        for key, value in props.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        staged = Path(tmp) / "staged.onnx"
        onnx.save(proto, str(staged))
        os.replace(staged, path)
    return path


def add_onnx_metadata(path: str | Path, metadata: Mapping[str, Any]) -> Path:
    """Add (or replace) JSON metadata entries of an ONNX file, rewriting it atomically."""
    try:
        import onnx
    except ImportError:
        raise MissingDependencyError("onnx", "deploy") from None
    path = Path(path)
    proto = onnx.load(str(path))
    kept = [(e.key, e.value) for e in proto.metadata_props if e.key not in metadata]
    del proto.metadata_props[:]
    for key, value in [*kept, *((k, _json(k, v)) for k, v in metadata.items())]:
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        staged = Path(tmp) / path.name
        onnx.save(proto, str(staged))
        os.replace(staged, path)
    return path


def load_onnx_session(
    path: str | Path, intra_op_threads: int = DEFAULT_INTRA_OP_THREADS
) -> tuple[Any, dict[str, Any]]:
    """Open an exported model in onnxruntime (CPU) and decode its metadata.

    Args:
        path: the .onnx file.
        intra_op_threads: threads of one operator (:data:`DEFAULT_INTRA_OP_THREADS`; 0 = all cores).
            The graph is optimised at onnxruntime's highest level (operator fusions, pre-packed
            weights) and operators run one after another (one inter-op thread).

    Returns:
        ``(onnxruntime.InferenceSession, metadata)`` with every metadata value JSON-decoded.
    """
    try:
        import onnxruntime
    except ImportError:
        raise MissingDependencyError("onnxruntime", "deploy") from None
    if int(intra_op_threads) < 0:
        raise ConfigError(f"intra_op_threads must be >= 0 (0 = all cores), got {intra_op_threads}")
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(path, "", str(path), "ONNX file does not exist")
    try:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = int(intra_op_threads)
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as err:  # onnxruntime raises its own exception types for unreadable files
        raise DataFormatError(path, "", str(path), f"onnxruntime cannot load it: {err}") from None
    metadata: dict[str, Any] = {}
    for key, value in session.get_modelmeta().custom_metadata_map.items():
        try:
            metadata[key] = json.loads(value)
        except json.JSONDecodeError:
            raise DataFormatError(path, f"metadata_props[{key!r}]", value, "value is not JSON") from None
    return session, metadata


def check_onnx_parity(
    model: nn.Module, path: str | Path, batch_sizes: tuple[int, ...] = (1, 3), atol: float = 1e-4
) -> float:
    """Run PyTorch (eval) and onnxruntime on ``model.example_inputs(b)`` for each batch size.

    Returns:
        The largest absolute difference over every output and batch size.

    Raises:
        OnnxParityError: different output names or shapes, or a difference above ``atol``
            (NaN in the same place on both sides counts as equal).
    """
    session, _ = load_onnx_session(path, intra_op_threads=0)
    onnx_outputs = [o.name for o in session.get_outputs()]
    worst = 0.0
    problems: list[str] = []
    for b in batch_sizes:
        _names, inputs = _declared_inputs(model, batch_size=b)
        was_training = model.training
        model.eval()
        try:
            with torch.no_grad():
                expected = flatten_outputs(model(**inputs))
        finally:
            model.train(was_training)
        if list(expected) != onnx_outputs:
            raise OnnxParityError(
                f"{path}: ONNX outputs {onnx_outputs} but the model returns {list(expected)}"
            )
        got = session.run(None, {n: t.numpy() for n, t in inputs.items()})
        for name, ref, out in zip(onnx_outputs, expected.values(), got):
            ref_np = ref.numpy()
            if out.shape != ref_np.shape:
                raise OnnxParityError(
                    f"{path}: output {name!r} at batch {b}: ONNX shape {out.shape}, torch {ref_np.shape}"
                )
            is_float = ref_np.dtype.kind == "f"
            same_nan = np.isnan(ref_np) & np.isnan(out) if is_float else np.zeros(ref_np.shape, bool)
            diff = np.abs(out.astype(np.float64) - ref_np.astype(np.float64))
            diff = np.where(same_nan, 0.0, diff)
            err = float(np.nan_to_num(diff, nan=np.inf).max()) if diff.size else 0.0
            worst = max(worst, err)
            if err > atol:
                problems.append(f"{name!r} at batch {b}: max |diff| {err:.3g}")
    if problems:
        raise OnnxParityError(
            f"{path}: ONNX differs from PyTorch by more than atol={atol}: " + "; ".join(problems)
        )
    return worst
