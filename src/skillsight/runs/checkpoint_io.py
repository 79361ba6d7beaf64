"""Lightning resume checkpoints without pickle: tensors in safetensors, everything else in JSON.

A Lightning checkpoint is a nested dict (weights, optimiser state with integer keys, loop
counters, callback states). :func:`encode_tree` splits it into a flat ``{name: tensor}`` map and a
JSON tree that records container and key types, so :func:`decode_tree` rebuilds it exactly.
:class:`SafetensorsCheckpointIO` plugs this into ``Trainer(plugins=[...])``: ``<path>`` holds the
JSON and ``<path>.safetensors`` the tensors. Tensors are written first and the JSON last, each
atomically, so an interrupted save leaves the previous checkpoint usable.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from lightning.fabric.plugins.io.checkpoint_io import CheckpointIO
from safetensors.torch import load_file, save_file

from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = ["encode_tree", "decode_tree", "SafetensorsCheckpointIO"]

_TENSOR, _DICT, _TUPLE, _FLOAT = "__tensor__", "__dict__", "__tuple__", "__float__"


def encode_tree(tree: Any, tensors: dict[str, torch.Tensor], path: str = "") -> Any:
    """Return a JSON-able copy of ``tree``; tensors are moved into ``tensors`` under unique names."""
    if isinstance(tree, torch.Tensor):
        name = f"t{len(tensors)}:{path}"[:200]
        tensors[name] = tree.detach().cpu().contiguous().clone()
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


class SafetensorsCheckpointIO(CheckpointIO):
    """Lightning CheckpointIO writing ``<path>`` (JSON tree) + ``<path>.safetensors`` (tensors)."""

    def save_checkpoint(self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tensors: dict[str, torch.Tensor] = {}
        tree = encode_tree(checkpoint, tensors)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            save_file(tensors, tmp)
            os.replace(tmp, f"{path}.safetensors")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        atomic_write_text(path, json.dumps({"format": "skillsight-lightning-v1", "tree": tree}))

    def load_checkpoint(self, path: str | Path, map_location: Any = None, weights_only: bool | None = None) -> dict[str, Any]:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"resume checkpoint {path} does not exist")
        try:
            doc = json.loads(path.read_text())
        except json.JSONDecodeError as err:
            raise DataFormatError(path, "", err.msg, "resume checkpoint is not valid JSON") from err
        if doc.get("format") != "skillsight-lightning-v1":
            raise DataFormatError(path, "format", doc.get("format"), "not a skillsight resume checkpoint")
        tensors = load_file(f"{path}.safetensors", device=str(map_location) if isinstance(map_location, str) else "cpu")
        return decode_tree(doc["tree"], tensors)

    def remove_checkpoint(self, path: str | Path) -> None:
        Path(path).unlink(missing_ok=True)
        Path(f"{path}.safetensors").unlink(missing_ok=True)
