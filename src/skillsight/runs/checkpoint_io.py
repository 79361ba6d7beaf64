"""Lightning resume checkpoints without pickle: ONE sealed safetensors file per checkpoint.

A Lightning checkpoint is a nested dict (weights, optimiser state with integer keys, loop counters,
callback states). :func:`encode_tree` splits it into a flat ``{name: tensor}`` map and a JSON tree that
records container and key types, so :func:`decode_tree` rebuilds it exactly. :class:`SafetensorsCheckpointIO`
plugs this into ``Trainer(plugins=[...])``: ``<path>`` is a sealed safetensors file (format
``skillsight-resume-v2``) whose header holds the tree, the epoch and global step, and a checksum over
everything. It is written to a temporary file beside it and renamed into place, so an interrupted save
leaves the previous checkpoint whole, and a damaged file is refused on load.

Checkpoints of the first format (``<path>`` a JSON tree, ``<path>.safetensors`` the tensors, no
checksum) still load, with a warning that they cannot be verified.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.checkpoint_io import CheckpointIO
from safetensors import SafetensorError
from safetensors.torch import load_file

from skillsight.exceptions import CheckpointError
from skillsight.runs.sealed import json_field, read_sealed, write_sealed

__all__ = ["RESUME_FORMAT", "SafetensorsCheckpointIO", "decode_tree", "encode_tree", "read_resume_checkpoint"]

RESUME_FORMAT = "skillsight-resume-v2"
_LEGACY_FORMAT = "skillsight-lightning-v1"
_TENSOR, _DICT, _TUPLE, _FLOAT = "__tensor__", "__dict__", "__tuple__", "__float__"


def encode_tree(tree: Any, tensors: dict[str, torch.Tensor], path: str = "") -> Any:
    """Return a JSON-able copy of ``tree``; tensors are moved into ``tensors`` under unique names."""
    if isinstance(tree, torch.Tensor):
        name = f"t{len(tensors)}:{path}"[:200]
        tensors[name] = tree.detach()
        return {_TENSOR: name}
    if isinstance(tree, dict):
        items = []
        for key, value in tree.items():
            if not isinstance(key, (str, int, bool)) and key is not None:
                raise TypeError(f"checkpoint key {key!r} at {path or '/'} has unsupported type {type(key)}")
            items.append([key, encode_tree(value, tensors, f"{path}/{key}")])
        return {_DICT: items}
    if isinstance(tree, tuple):
        return {_TUPLE: [encode_tree(v, tensors, f"{path}/{i}") for i, v in enumerate(tree)]}
    if isinstance(tree, list):
        return [encode_tree(v, tensors, f"{path}/{i}") for i, v in enumerate(tree)]
    if isinstance(tree, float) and not math.isfinite(tree):
        return {_FLOAT: repr(tree)}
    if tree is None or isinstance(tree, (str, int, float, bool)):
        return tree
    if isinstance(tree, Path):
        return str(tree)
    raise TypeError(f"checkpoint value at {path or '/'} has unsupported type {type(tree).__name__}")


def decode_tree(node: Any, tensors: dict[str, torch.Tensor]) -> Any:
    """Inverse of :func:`encode_tree`."""
    if isinstance(node, dict):
        if _TENSOR in node:
            return tensors[node[_TENSOR]]
        if _DICT in node:
            return {key: decode_tree(value, tensors) for key, value in node[_DICT]}
        if _TUPLE in node:
            return tuple(decode_tree(v, tensors) for v in node[_TUPLE])
        if _FLOAT in node:
            return float(node[_FLOAT])
        raise ValueError(f"unknown encoded node with keys {sorted(node)}")
    if isinstance(node, list):
        return [decode_tree(v, tensors) for v in node]
    return node


def _decode(path: Path, tree: Any, tensors: dict[str, torch.Tensor]) -> dict[str, Any]:
    try:
        checkpoint = decode_tree(tree, tensors)
    except (KeyError, ValueError, TypeError) as err:
        raise CheckpointError(path, f"resume checkpoint's tree does not match its tensors: {err!r}") from err
    if not isinstance(checkpoint, dict):
        raise CheckpointError(path, f"resume checkpoint holds a {type(checkpoint).__name__}, not a dict")
    return checkpoint


def _read_legacy(path: Path, device: str) -> dict[str, Any]:
    """The first format: ``path`` a JSON document, ``path.safetensors`` the tensors (no checksum)."""
    try:
        doc = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(path, f"resume checkpoint is neither safetensors nor JSON: {err}") from err
    if not isinstance(doc, dict) or doc.get("format") != _LEGACY_FORMAT:
        found = doc.get("format") if isinstance(doc, dict) else type(doc).__name__
        raise CheckpointError(path, f"JSON file is not a skillsight resume checkpoint (format {found!r})")
    sidecar = Path(f"{path}.safetensors")
    try:
        tensors = load_file(str(sidecar), device=device)
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(
            sidecar, f"tensors of the resume checkpoint {path.name} are unreadable: {err}"
        ) from err
    warnings.warn(
        f"{path} is a resume checkpoint of the first format (no checksum): it cannot be verified; "
        "the next save writes the current format",
        stacklevel=3,
    )
    return _decode(path, doc.get("tree"), tensors)


def read_resume_checkpoint(path: str | Path, device: str = "cpu") -> tuple[dict[str, Any], dict[str, str]]:
    """The checkpoint dict of a resume checkpoint, after verifying its checksum, and its header fields
    (``epoch``, ``global_step``, ``metrics_rows``, ...; {} for the first format).

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointError: damaged, truncated, empty, or not a resume checkpoint; the message names the file.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"resume checkpoint {path} does not exist")
    with open(path, "rb") as handle:
        start = handle.read(1)
    if start == b"{":
        return _read_legacy(path, device), {}
    tensors, metadata = read_sealed(path, (RESUME_FORMAT,), "resume checkpoint", device=device)
    state = _decode(path, json_field(path, metadata, "tree", "resume checkpoint"), tensors)
    return state, {k: v for k, v in metadata.items() if k != "tree"}


class SafetensorsCheckpointIO(CheckpointIO):
    """Lightning CheckpointIO writing each checkpoint as one sealed safetensors file (see the module).

    Args:
        preloaded: checkpoints already read and verified, by path; ``load_checkpoint`` hands each out
            once instead of reading the file again (``fit`` verifies a checkpoint before Lightning loads it).
        header_fields: called just before each write; its fields go into the file's header (``fit``
            flushes metrics.csv there and records how many rows it holds).
    """

    def __init__(
        self,
        preloaded: dict[str, dict[str, Any]] | None = None,
        header_fields: Callable[[], dict[str, str]] | None = None,
    ) -> None:
        self._preloaded = dict(preloaded or {})
        self._header_fields = header_fields
        self._hold = False
        self._pending: tuple[Path, str, dict[str, str], dict[str, torch.Tensor]] | None = None

    def hold_next_save(self) -> None:
        """Make the next :meth:`save_checkpoint` take a snapshot and write it only at :meth:`commit`.

        The snapshot is the state at the moment of the save (tensors are copied); what happens to the
        run before the commit does not change it. ``fit`` uses this to snapshot at the end of an epoch
        and write once Lightning has logged that epoch's metrics.
        """
        self._hold = True

    @property
    def has_pending(self) -> bool:
        """True while a held snapshot waits for :meth:`commit`."""
        return self._pending is not None

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None
    ) -> None:
        """Write ``checkpoint`` to ``path`` atomically (RunWriteError on a full disk; the old file stays)."""
        path = Path(path)
        tensors: dict[str, torch.Tensor] = {}
        tree = json.dumps(encode_tree(checkpoint, tensors), separators=(",", ":"))
        counters = {
            "epoch": str(checkpoint.get("epoch", "")),
            "global_step": str(checkpoint.get("global_step", "")),
        }
        if self._hold:
            self._hold = False
            snapshot = {name: t.detach().to("cpu", copy=True) for name, t in tensors.items()}
            self._pending = (path, tree, counters, snapshot)
            return
        self._write(path, tree, counters, tensors)

    def commit(self) -> bool:
        """Write the held snapshot, if any; returns whether one was written."""
        if self._pending is None:
            return False
        path, tree, counters, tensors = self._pending
        self._pending = None
        self._write(path, tree, counters, tensors)
        return True

    def _write(
        self, path: Path, tree: str, counters: dict[str, str], tensors: dict[str, torch.Tensor]
    ) -> None:
        extra = self._header_fields() if self._header_fields is not None else {}
        write_sealed(path, tensors, RESUME_FORMAT, {**counters, **extra, "tree": tree})
        Path(f"{path}.safetensors").unlink(missing_ok=True)  # the first format's tensors, now stale

    def load_checkpoint(
        self, path: str | Path, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        """Read and verify the checkpoint at ``path`` (CheckpointError naming the file if it is damaged)."""
        preloaded = self._preloaded.pop(str(path), None)
        if preloaded is not None:
            return preloaded
        device = map_location if isinstance(map_location, str) else "cpu"
        return read_resume_checkpoint(path, device=device)[0]

    def remove_checkpoint(self, path: str | Path) -> None:
        """Delete the checkpoint at ``path`` (and a first-format tensor file beside it)."""
        Path(path).unlink(missing_ok=True)
        Path(f"{path}.safetensors").unlink(missing_ok=True)
