"""Export a run folder (or an in-memory model) to ONNX with everything serving needs in its metadata.

Metadata written (``metadata_props``, each a JSON string;
:func:`skillsight.deploy.onnx_export.load_onnx_session` decodes them):

* ``model_name``, ``model_args``, ``input_spec``, ``output_names``, ``sensors``, ``exporter``
  (written by :func:`export_onnx` itself);
* ``class_names``: one per logit (``vocab.json`` ``classes``, the checkpoint's metadata, or given);
* ``normalisation``: how inputs are made. For a run with ``config.json`` it is the
  :class:`ServingSpec` (window protocol, channel names, far clip, gap limit, the functions that
  compute it), plus the pixel statistics when the model takes video or crops. A run folder may
  instead carry its own normalisation (e.g. per-fold channel mean/std of the soccer models) as
  ``normalisation.json`` or as ``normalisation`` in the checkpoint metadata; it is copied verbatim;
* ``vocab`` (the run's ``vocab.json``), ``run_name``, ``weights_sha256`` of ``model.safetensors``.

The export is checked against PyTorch at batch sizes 1 and 3 (default tolerance 1e-4). With
``int8=True`` a dynamically quantised copy (:mod:`skillsight.deploy.quantize`) is written next to it
(``model.int8.onnx``), checked by its top-class agreement with PyTorch, and the figures are stored in
its ``quantization`` metadata.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from skillsight.deploy.onnx_export import add_onnx_metadata, check_onnx_parity, export_onnx
from skillsight.deploy.quantize import DEFAULT_MIN_AGREEMENT, Int8Check, check_int8_agreement, quantize_int8
from skillsight.deploy.spec import ServingSpec, spec_from_run
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.runs.hashes import weights_sha256

__all__ = ["EXPORT_FORMATS", "ExportResult", "export_model", "export_run"]

#: Formats ``skillsight export`` writes.
EXPORT_FORMATS = ("onnx",)
_PIXEL_INPUTS = frozenset({"video", "exo_video", "crops"})


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote: the file, the parity error against PyTorch (None if unchecked), the metadata."""

    path: Path
    max_abs_diff: float | None
    metadata: dict[str, Any]
    int8_path: Path | None = None
    int8_check: Int8Check | None = None


def _normalisation(model: nn.Module, spec: ServingSpec) -> dict[str, Any]:
    meta = spec.to_metadata()
    if _PIXEL_INPUTS & set(getattr(model, "input_names", ())):
        from skillsight.data.datasets import CROP_MEAN, CROP_STD, VIDEO_MEAN, VIDEO_STD

        meta.update(
            video_mean=VIDEO_MEAN, video_std=VIDEO_STD, crop_mean=list(CROP_MEAN), crop_std=list(CROP_STD)
        )
    return meta


def export_model(
    model: nn.Module,
    path: str | Path,
    spec: ServingSpec | None = None,
    extra: Mapping[str, Any] | None = None,
    check: bool = True,
    atol: float = 1e-4,
    opset: int = 17,
) -> Path:
    """Export ``model`` to ONNX with its serving metadata; parity-check it unless ``check`` is False.

    Args:
        model: a registered (``create_model``) DeclaredInputsModule.
        path: the .onnx file.
        spec: its serving spec (gives ``class_names`` and ``normalisation``); None -> ``extra`` must.
        extra: further metadata (``class_names``/``normalisation`` here override the spec's).
        check: run :func:`check_onnx_parity` at batch sizes 1 and 3.
        atol: parity tolerance.
        opset: ONNX opset.

    Raises:
        ConfigError: the model is not exportable; OnnxParityError: outputs differ by more than ``atol``.
    """
    meta: dict[str, Any] = {}
    if spec is not None:
        meta.update(class_names=list(spec.class_names), normalisation=_normalisation(model, spec))
    meta.update(extra or {})
    if "class_names" not in meta:
        raise ConfigError(
            "export needs class_names (from vocab.json, the checkpoint metadata or class_names=)"
        )
    path = export_onnx(model, path, metadata=meta, opset=opset)
    if check:
        check_onnx_parity(model, path, batch_sizes=(1, 3), atol=atol)
    return path


def _json_file(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as err:
        raise DataFormatError(path, "", str(err)[:80], "cannot read JSON") from err


def export_run(
    run_dir: str | Path,
    out: str | Path | None = None,
    fmt: str = "onnx",
    check: bool = True,
    atol: float = 1e-4,
    opset: int = 17,
    class_names: list[str] | None = None,
    int8: bool = False,
    int8_min_agreement: float = DEFAULT_MIN_AGREEMENT,
) -> ExportResult:
    """Export a run folder's model (default output ``RUN/model.onnx``) and verify it.

    Args:
        run_dir: folder with ``model.safetensors`` (its spec inside; ``model.json`` is a readable copy) and
            usually config/vocab JSON.
        out: output path (default ``run_dir/model.onnx``).
        fmt: export format; only "onnx".
        check, atol, opset: see :func:`export_model`.
        class_names: override of the stored class names.
        int8: also write the int8 copy (``<out stem>.int8.onnx``) and check its agreement.
        int8_min_agreement: smallest accepted top-class agreement of the int8 copy with PyTorch.

    Returns:
        ExportResult with the path, the largest |ONNX - PyTorch| difference and the metadata (and
        the int8 file with its check when ``int8``).

    Raises:
        OnnxParityError: the float file differs by more than ``atol``, or the int8 copy agrees on
            fewer windows than ``int8_min_agreement`` (it is then removed).
    """
    from skillsight.runs.checkpoint import load_model

    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"export format {fmt!r} is not supported; supported: {list(EXPORT_FORMATS)}")
    run_dir = Path(run_dir)
    if not (run_dir / "model.safetensors").is_file():
        raise FileNotFoundError(f"{run_dir} is not a run folder: {run_dir / 'model.safetensors'} is missing")
    model = load_model(run_dir / "model")
    stored = dict(getattr(model, "checkpoint_metadata", {}) or {})
    vocab = _json_file(run_dir / "vocab.json") if (run_dir / "vocab.json").is_file() else None
    if class_names is None:
        class_names = (vocab or {}).get("classes") or stored.get("class_names")
    extra: dict[str, Any] = {"run_name": run_dir.resolve().name, "weights_sha256": weights_sha256(run_dir)}
    if vocab is not None:
        extra["vocab"] = vocab
    carried = (
        _json_file(run_dir / "normalisation.json")
        if (run_dir / "normalisation.json").is_file()
        else stored.get("normalisation")
    )
    spec = None
    if carried is not None:
        extra["normalisation"] = carried
        if class_names is not None:
            extra["class_names"] = list(class_names)
    else:
        spec = spec_from_run(run_dir, model, class_names)
    path = Path(out) if out is not None else run_dir / "model.onnx"
    written = export_model(model, path, spec, extra, check=False, opset=opset)
    diff = check_onnx_parity(model, written, batch_sizes=(1, 3), atol=atol) if check else None
    from skillsight.deploy.onnx_export import load_onnx_session

    _, metadata = load_onnx_session(written)
    if not int8:
        return ExportResult(path=written, max_abs_diff=diff, metadata=metadata)
    int8_path = quantize_int8(written, written.with_name(f"{written.stem}.int8.onnx"))
    try:
        int8_check = check_int8_agreement(model, int8_path, min_agreement=int8_min_agreement)
    except Exception:
        int8_path.unlink(missing_ok=True)  # a copy that failed its check is not left for a deployment
        raise
    add_onnx_metadata(int8_path, {"quantization": int8_check.to_metadata()})
    return ExportResult(written, diff, metadata, int8_path, int8_check)
