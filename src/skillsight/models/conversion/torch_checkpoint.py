"""Read a ``torch.save`` checkpoint (``.pth``, ``.pyth``, ``.pt``) without executing anything in it.

``torch.load(weights_only=True)`` only rebuilds tensors and plain containers. Research checkpoints often
also pickle a training object next to the weights (EgoVLPv2 stores its ``parse_config.ConfigParser``
under ``"config"``), which makes that load fail. :func:`read_torch_checkpoint` then lists the classes the
file names (``torch.serialization.get_unsafe_globals_in_checkpoint``, a static scan) and loads again with
each of them mapped to :class:`Placeholder`, an inert class of ours: the unpickler builds a Placeholder
where the object was, so no code from the checkpoint (or from any module it names) is imported or run.
Modules torch blocks outright (``os``, ``sys``, ...) stay blocked: such a file is refused.
"""

from __future__ import annotations

import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from skillsight.exceptions import DataFormatError

__all__ = ["LoadedCheckpoint", "Placeholder", "read_torch_checkpoint", "tensors_in"]


class Placeholder:
    """Stands in for an object of a class the checkpoint names but that is not loaded (never its code)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __new__(cls, *args: Any, **kwargs: Any) -> Placeholder:
        return object.__new__(cls)

    def __setstate__(self, state: Any) -> None:
        pass  # the object's state is dropped: only tensors are wanted from a checkpoint

    def __call__(self, *args: Any, **kwargs: Any) -> Placeholder:
        return Placeholder()


@dataclass
class LoadedCheckpoint:
    """What a checkpoint held: the unpickled object and the classes replaced by :class:`Placeholder`."""

    content: Any
    placeholders: list[str] = field(default_factory=list)


def _load(path: Path, mmap: bool) -> Any:
    return torch.load(str(path), map_location="cpu", weights_only=True, mmap=mmap)


def read_torch_checkpoint(path: str | Path) -> LoadedCheckpoint:
    """The content of ``path`` loaded with ``weights_only=True`` (classes it names become placeholders).

    Zip-format files (``torch.save`` since torch 1.6) are memory-mapped, so a multi-GB checkpoint is not
    read into memory at once.

    Raises:
        FileNotFoundError: no such file.
        DataFormatError: not a torch checkpoint, or one naming a module torch refuses to load from.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    mmap = zipfile.is_zipfile(path)
    try:
        return LoadedCheckpoint(_load(path, mmap))
    except pickle.UnpicklingError as first:
        try:
            names = torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
        except Exception as err:  # any failure of the static scan: not a readable checkpoint
            raise DataFormatError(
                path, "", str(first)[:200], f"not a loadable torch checkpoint ({err})"
            ) from err
        if not names:
            raise DataFormatError(path, "", str(first)[:200], "not a loadable torch checkpoint") from first
        stand_ins: list[Callable[..., Any] | tuple[Callable[..., Any], str]] = [
            (Placeholder, n) for n in names
        ]
        try:
            with torch.serialization.safe_globals(stand_ins):
                content = _load(path, mmap)
        except pickle.UnpicklingError as err:
            raise DataFormatError(
                path, "", str(err)[:200], "the checkpoint needs code this reader refuses to run"
            ) from err
        return LoadedCheckpoint(content, sorted(names))
    except (RuntimeError, EOFError, OSError, ValueError) as err:
        raise DataFormatError(path, "", str(err)[:200], "not a readable torch checkpoint") from err


def tensors_in(
    content: Any, keys: tuple[str, ...] = ("state_dict", "model_state", "model")
) -> dict[str, torch.Tensor]:
    """The state dict inside a loaded checkpoint: ``content[key]`` for the first of ``keys`` present
    (EgoVLPv2: ``state_dict``; pyslowfast/TimeSformer: ``model_state``), or ``content`` itself when it
    maps names to tensors. Non-tensor entries of the state dict are left out.

    Raises:
        DataFormatError: no mapping of names to tensors found.
    """
    candidates = [content[k] for k in keys if isinstance(content, dict) and isinstance(content.get(k), dict)]
    candidates.append(content)
    for candidate in candidates:
        if isinstance(candidate, dict):
            tensors = {str(k): v for k, v in candidate.items() if isinstance(v, torch.Tensor)}
            if tensors:
                return tensors
    shown = sorted(content)[:10] if isinstance(content, dict) else type(content).__name__
    raise DataFormatError("checkpoint", "", shown, f"holds no state dict (looked for {list(keys)})")
