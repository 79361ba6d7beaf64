"""Sealed safetensors files: tensors plus string metadata, a SHA-256 over both, written atomically.

Every checkpoint this package writes (best model, resume state, cached teacher features) is ONE such
file, so a single rename commits it and nothing else has to agree with it. The header metadata holds
``format`` (what the file is), the caller's fields, and ``checksum``: ``sha256:<hex>`` of

    b"skillsight-sealed-v1\\n" + canonical JSON of the other metadata
    + for each tensor, by name: name, dtype, shape and its raw bytes

so a flipped bit anywhere (tensor data, dtype, shape, metadata) or a truncated file is detected on read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from skillsight.exceptions import CheckpointError
from skillsight.runs.atomic import atomic_write_file, remove_stale_temp_files

__all__ = [
    "CHECKSUM_KEY",
    "FORMAT_KEY",
    "content_checksum",
    "json_field",
    "read_header",
    "read_sealed",
    "read_sealed_metadata",
    "write_sealed",
]

FORMAT_KEY = "format"
CHECKSUM_KEY = "checksum"
_DOMAIN = b"skillsight-sealed-v1\n"

# The library call that writes the temporary file (a module attribute so tests can make it fail).
_save_file = save_file


def content_checksum(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> str:
    """``sha256:<hex>`` over the metadata (less ``checksum``) and each tensor's name, dtype, shape, bytes."""
    digest = hashlib.sha256(_DOMAIN)
    fields = {k: v for k, v in metadata.items() if k != CHECKSUM_KEY}
    digest.update(json.dumps(fields, sort_keys=True, separators=(",", ":")).encode())
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        digest.update(
            f"\n{name}\0{str(tensor.dtype).removeprefix('torch.')}\0{list(tensor.shape)}\0".encode()
        )
        if tensor.numel():
            digest.update(tensor.reshape(-1).view(torch.uint8).numpy().data)
    return "sha256:" + digest.hexdigest()


def _unshared(tensors: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CPU, contiguous tensors; ones that share storage with an earlier one are cloned (safetensors refuses
    shared storage)."""
    out: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, value in tensors.items():
        tensor = value.detach().cpu().contiguous()
        ptr = tensor.untyped_storage().data_ptr() if tensor.numel() else 0
        if ptr and ptr in seen:
            tensor = tensor.clone()
        elif ptr:
            seen.add(ptr)
        out[name] = tensor
    return out


def write_sealed(
    path: str | Path, tensors: Mapping[str, torch.Tensor], fmt: str, metadata: Mapping[str, str] | None = None
) -> str:
    """Write ``tensors`` with ``format = fmt``, the metadata and their checksum to ``path`` atomically.

    Stale temporary files of earlier interrupted writes of ``path`` are removed first. Returns the checksum.

    Raises:
        RunWriteError: the disk is full or the folder not writable; ``path`` is unchanged.
    """
    path = Path(path)
    remove_stale_temp_files(path.parent, path.name)
    plain = _unshared(tensors)
    fields = {**dict(metadata or {}), FORMAT_KEY: fmt}
    fields[CHECKSUM_KEY] = content_checksum(plain, fields)

    def write(tmp: Path) -> None:
        try:
            _save_file(plain, str(tmp), metadata=fields)
        except SafetensorError as err:  # the library reports I/O failures (ENOSPC) this way
            raise OSError(None, str(err)) from err

    atomic_write_file(path, write)
    return fields[CHECKSUM_KEY]


def read_header(path: str | Path, what: str) -> dict[str, str]:
    """The header metadata of any safetensors file ({} when it has none); tensors are not read.

    Raises:
        CheckpointError: absent, or not a safetensors file (empty, truncated, other bytes).
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, f"{what} does not exist")
    try:
        with safe_open(str(path), framework="pt") as handle:
            return dict(handle.metadata() or {})
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(
            path, f"{what} is not a readable safetensors file (empty, truncated or overwritten): {err}"
        ) from err


def read_sealed_metadata(path: str | Path, formats: Iterable[str], what: str) -> dict[str, str]:
    """The header metadata of a sealed file (cheap: tensors are not read, the checksum is not verified).

    Raises:
        CheckpointError: absent, not a safetensors file, or not one of ``formats``.
    """
    metadata = read_header(path, what)
    formats = tuple(formats)
    if metadata.get(FORMAT_KEY) not in formats:
        found = metadata.get(FORMAT_KEY)
        raise CheckpointError(
            path,
            f"{what} is a safetensors file but not one this package wrote as {' or '.join(formats)} "
            f"(its format field is {found!r})",
        )
    return metadata


def read_sealed(
    path: str | Path, formats: Iterable[str], what: str, device: str = "cpu"
) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """Tensors and metadata of a sealed file, after verifying its checksum.

    Args:
        path: the file.
        formats: accepted values of its ``format`` field.
        what: how to call the file in error messages ("resume checkpoint", "model weights").
        device: where to load the tensors.

    Raises:
        CheckpointError: unreadable, of another format, or the checksum does not match (damaged file).
    """
    path = Path(path)
    metadata = read_sealed_metadata(path, formats, what)
    try:
        tensors = load_file(str(path), device=device)
    except (SafetensorError, OSError, ValueError, RuntimeError) as err:
        raise CheckpointError(path, f"{what} is damaged (its tensors cannot be read): {err}") from err
    expected = metadata.get(CHECKSUM_KEY)
    if expected is None:
        raise CheckpointError(path, f"{what} has no checksum: it was not written by this package")
    if content_checksum(tensors, metadata) != expected:
        raise CheckpointError(
            path,
            f"{what} is damaged: its content does not match the checksum written with it (bit flips, "
            "a partial copy or an edit); use an intact copy",
        )
    return tensors, metadata


def json_field(path: str | Path, metadata: Mapping[str, str], key: str, what: str) -> Any:
    """``json.loads`` of a metadata field, with a clear error if it is missing or not JSON."""
    if key not in metadata:
        raise CheckpointError(path, f"{what} lacks its {key!r} header field", field=key)
    try:
        return json.loads(metadata[key])
    except json.JSONDecodeError as err:
        raise CheckpointError(path, f"{what} header field is not valid JSON: {err.msg}", field=key) from err
