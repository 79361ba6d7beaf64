"""Model runtimes behind the inference API: onnxruntime (preferred) or PyTorch eager.

Both take the model inputs as numpy arrays (batch axis first) and return the skill ``logits``
(B, C) as numpy. ``backend="auto"`` picks onnxruntime when it is installed and the model exports;
the choice and, for a fall-back, its reason are kept in :attr:`Backend.note`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.exceptions import ConfigError, MissingDependencyError
from skillsight.runs.hashes import weights_sha256

__all__ = ["Backend", "OnnxBackend", "TorchBackend", "make_run_backend"]


class Backend:
    """A runtime: ``logits(inputs) -> (B, C)``; ``name`` ("onnx"/"torch"), ``note`` (why it was chosen)."""

    name = "abstract"
    note = ""

    def logits(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        raise NotImplementedError


class TorchBackend(Backend):
    """PyTorch eager, eval mode, inference_mode (the MHA fast path as PyTorch chooses it)."""

    name = "torch"

    def __init__(self, model: torch.nn.Module, note: str = "") -> None:
        self.model = model.eval()
        self.note = note

    def logits(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        with torch.inference_mode():
            out = self.model(**{k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in inputs.items()})
        return out["logits"].numpy()


class OnnxBackend(Backend):
    """An onnxruntime session (CPU) of a file written by :func:`skillsight.deploy.onnx_export.export_onnx`."""

    name = "onnx"

    def __init__(self, session: Any, metadata: Mapping[str, Any], note: str = "") -> None:
        self.session = session
        self.metadata = dict(metadata)
        outputs = [o.name for o in session.get_outputs()]
        if "logits" not in outputs:
            raise ConfigError(f"the ONNX model has no 'logits' output (outputs: {outputs})")
        self.input_names = [i.name for i in session.get_inputs()]
        self.note = note

    @classmethod
    def load(cls, path: str | Path, note: str = "", intra_op_threads: int = 1) -> OnnxBackend:
        """Open ``path`` with ``intra_op_threads`` threads per operator (0 = all cores)."""
        from skillsight.deploy.onnx_export import load_onnx_session

        session, metadata = load_onnx_session(path, intra_op_threads=intra_op_threads)
        return cls(session, metadata, note)

    def logits(self, inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        missing = [n for n in self.input_names if n not in inputs]
        if missing:
            raise ConfigError(f"ONNX model needs inputs {self.input_names}, missing {missing}")
        (logits,) = self.session.run(["logits"], {n: inputs[n] for n in self.input_names})
        return logits


def _onnx_available() -> bool:
    try:
        # Importing (not find_spec) also catches an installed but broken package.
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def make_run_backend(
    model: torch.nn.Module, run_dir: str | Path, spec: Any, backend: str = "auto", intra_op_threads: int = 1
) -> Backend:
    """The backend of a run: its ``model.onnx`` when that file holds these weights, else a fresh export.

    Args:
        model: the run's loaded model.
        run_dir: the run folder.
        spec: its :class:`skillsight.deploy.spec.ServingSpec`.
        backend: "auto", "onnx" or "torch".
        intra_op_threads: onnxruntime threads per operator (1, the deployment default; 0 = all cores).

    Raises:
        ConfigError: unknown backend name, or "onnx" asked for and the export fails.
        MissingDependencyError: "onnx" asked for without onnx/onnxruntime.
    """
    if backend not in ("auto", "onnx", "torch"):
        raise ConfigError(f"backend must be 'auto', 'onnx' or 'torch', got {backend!r}")
    if backend == "torch":
        return TorchBackend(model, "asked for")
    if not _onnx_available():
        if backend == "onnx":
            raise MissingDependencyError("onnxruntime", "deploy")
        return TorchBackend(model, "onnxruntime is not installed")
    from skillsight.deploy.export import export_model

    run_dir = Path(run_dir)
    existing = run_dir / "model.onnx"
    sha = weights_sha256(run_dir)
    if existing.is_file():
        candidate = OnnxBackend.load(existing, f"{existing} (weights sha256 matches)", intra_op_threads)
        if candidate.metadata.get("weights_sha256") == sha:
            return candidate
    try:
        with tempfile.TemporaryDirectory() as tmp:  # the session holds the model in memory
            path = export_model(
                model, Path(tmp) / "model.onnx", spec, extra={"weights_sha256": sha}, check=True
            )
            return OnnxBackend.load(path, "exported on load", intra_op_threads)
    except ConfigError as err:
        if backend == "onnx":
            raise
        return TorchBackend(model, f"ONNX export failed: {err}")
