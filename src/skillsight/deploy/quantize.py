"""Int8 ONNX files: onnxruntime dynamic quantisation, checked against the float model it came from.

Dynamic quantisation stores the MatMul/Gemm weights as int8 (per output channel) and quantises the
activations on the fly, per call; nothing needs calibration data. On the paper-size gaze student it
shrinks the file about 4x (92 MB -> 24 MB) and cuts the batch-1 CPU latency 2-3x. It changes the
logits slightly, so an int8 file is not held to the float parity tolerance: it is checked by how
often its top class agrees with the float model's, and by its largest logit difference, on a set of
windows; both figures go into the file's ``quantization`` metadata, next to the serving spec, so a
deployment can read what it gave up.

The windows of the check: by default the model's own ``example_inputs`` at a large batch (random
windows; a trained model's real windows give a truer figure, ``benchmarks/bench_student_latency.py``
measures that), or any batch the caller passes.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from skillsight.deploy.onnx_export import OnnxParityError, flatten_outputs, load_onnx_session
from skillsight.exceptions import MissingDependencyError

__all__ = ["DEFAULT_MIN_AGREEMENT", "Int8Check", "check_int8_agreement", "quantize_int8"]

#: Smallest top-class agreement with the float model an int8 export is accepted with.
DEFAULT_MIN_AGREEMENT = 0.99
#: Windows of the default agreement check.
DEFAULT_CHECK_WINDOWS = 512


@dataclass(frozen=True)
class Int8Check:
    """How the int8 model compares with the float model on ``windows`` windows.

    Attributes:
        top1_agreement: fraction of windows whose arg-max logit is the same class.
        max_abs_logit_diff: largest |int8 - float| logit.
        windows: windows compared.
        source: what the windows were ("example_inputs (random windows)" or the caller's words).
        scheme: the quantisation ("onnxruntime dynamic, int8 weights per channel, ...").
    """

    top1_agreement: float
    max_abs_logit_diff: float
    windows: int
    source: str
    scheme: str

    def to_metadata(self) -> dict[str, Any]:
        """JSON-ready dict (stored as ``metadata_props['quantization']``)."""
        return asdict(self)


_SCHEME = "onnxruntime dynamic quantisation: int8 MatMul/Gemm weights per output channel, uint8 activations"


def quantize_int8(fp32_path: str | Path, int8_path: str | Path) -> Path:
    """Write the dynamically quantised copy of an ONNX file (metadata kept), atomically.

    Args:
        fp32_path: the float ONNX file (from :func:`skillsight.deploy.export.export_model`).
        int8_path: where the int8 file goes (parent folders are created).

    Raises:
        MissingDependencyError: onnxruntime (with its quantisation tools) is not installed.
    """
    try:
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError:
        raise MissingDependencyError("onnxruntime", "deploy") from None
    int8_path = Path(int8_path)
    int8_path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint at WARNING on the root
    try:
        with tempfile.TemporaryDirectory(dir=int8_path.parent) as tmp:
            staged = Path(tmp) / "int8.onnx"
            quantize_dynamic(
                str(fp32_path), str(staged), weight_type=QuantType.QInt8, per_channel=True, reduce_range=False
            )
            _json_encode_foreign_metadata(staged)
            os.replace(staged, int8_path)
    finally:
        root.setLevel(level)
    return int8_path


def _json_encode_foreign_metadata(path: Path) -> None:
    """quantize_dynamic adds plain-text entries (``onnx.infer``); every value we store is JSON."""
    import onnx

    proto = onnx.load(str(path))
    changed = False
    for entry in proto.metadata_props:
        try:
            json.loads(entry.value)
        except json.JSONDecodeError:
            entry.value, changed = json.dumps(entry.value), True
    if changed:
        onnx.save(proto, str(path))


def _float_logits(model: nn.Module, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            out = flatten_outputs(
                model(**{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in inputs.items()})
            )
    finally:
        model.train(was_training)
    return out["logits"].numpy().astype(np.float64)


def check_int8_agreement(
    model: nn.Module,
    int8_path: str | Path,
    inputs: Mapping[str, np.ndarray] | None = None,
    source: str = "",
    min_agreement: float = DEFAULT_MIN_AGREEMENT,
) -> Int8Check:
    """Compare an int8 file's logits with the float model's on a batch of windows.

    Args:
        model: the float model the file was exported from.
        int8_path: the int8 ONNX file.
        inputs: the windows (name -> (N, ...) array); None -> ``model.example_inputs(512)``.
        source: what ``inputs`` are (written into the result).
        min_agreement: below this top-class agreement the check fails.

    Raises:
        OnnxParityError: agreement below ``min_agreement``, or non-finite int8 logits.
    """
    if inputs is None:
        example = model.example_inputs  # a DeclaredInputsModule's method
        inputs = {k: v.numpy() for k, v in example(DEFAULT_CHECK_WINDOWS).items()}  # type: ignore[operator]
        source = "example_inputs (random windows)"
    session, _ = load_onnx_session(int8_path, intra_op_threads=0)
    names = [i.name for i in session.get_inputs()]
    (int8,) = session.run(["logits"], {n: np.ascontiguousarray(inputs[n]) for n in names})
    ref = _float_logits(model, {n: inputs[n] for n in names})
    int8 = np.asarray(int8, dtype=np.float64)
    if int8.shape != ref.shape or not np.isfinite(int8).all():
        raise OnnxParityError(
            f"{int8_path}: int8 logits {int8.shape} (finite: {np.isfinite(int8).all()}), float {ref.shape}"
        )
    check = Int8Check(
        top1_agreement=float((int8.argmax(1) == ref.argmax(1)).mean()),
        max_abs_logit_diff=float(np.abs(int8 - ref).max()),
        windows=int(ref.shape[0]),
        source=source or "given windows",
        scheme=_SCHEME,
    )
    if check.top1_agreement < min_agreement:
        raise OnnxParityError(
            f"{int8_path}: the int8 model picks the float model's top class on "
            f"{100 * check.top1_agreement:.1f} % of {check.windows} windows ({check.source}), below "
            f"{100 * min_agreement:.1f} % (max |logit diff| {check.max_abs_logit_diff:.3g}); "
            "export without --int8, or lower --int8-min-agreement knowingly"
        )
    return check
