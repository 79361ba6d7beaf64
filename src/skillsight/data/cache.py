"""Disk cache of per-clip feature arrays (e.g. frozen DINOv2 crop features) as safetensors files.

Running a frozen backbone on the same crops every epoch is wasted work: the first epoch stores the
features and later epochs read them. An entry is keyed by a stable hash of everything that decides
its content: the take, the clip, the crop parameters and the extractor's identity (name, config and
a weight fingerprint, e.g. ``CropFeatureExtractor.identity()``). Change any of them and the key
changes, so a stale entry is never returned.

Layout: ``<root>/<key[:2]>/<key>.safetensors``; the key fields are stored as JSON in the file's
metadata. Writes go to a temporary file in the same folder followed by an atomic rename, so a kill
(or two workers writing the same entry) never leaves a half-written file behind.

Example (a real extractor passes ``extractor.identity()`` and computes ``extractor(crops)``):
    >>> import tempfile, torch
    >>> cache = FeatureCache(tempfile.mkdtemp())
    >>> key = cache.key("take-uid", 3, {"size_px": 224}, "toy-extractor-v1")
    >>> features = cache.get_or_compute(key, lambda: {"crop_features": torch.ones(2, 4)})
    >>> tuple(features["crop_features"].shape), cache.misses
    ((2, 4), 1)
    >>> _ = cache.get_or_compute(key, lambda: {"crop_features": torch.zeros(2, 4)})  # read, not recomputed
    >>> cache.hits
    1
    >>> import shutil; shutil.rmtree(cache.root)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file

from skillsight.exceptions import DataFormatError

__all__ = ["FeatureCache", "stable_hash"]

_KEY_FIELDS_META = "skillsight_cache_key_fields"


def _canonical(value: Any) -> Any:
    """JSON-ready canonical form: mappings sorted, tuples as lists, numpy scalars as Python numbers."""
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, Path):
        return str(value)
    raise TypeError(
        f"cache key values must be JSON-like (str, number, bool, None, list, dict); got {type(value)}"
    )


def stable_hash(fields: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of the canonical JSON of ``fields`` (same on every run and machine)."""
    text = json.dumps(_canonical(fields), sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class FeatureCache:
    """Content-keyed store of named arrays, one safetensors file per entry.

    Args:
        root: cache folder (created on first write).
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key_fields(
        take_uid: str, clip_index: int, crop_params: Mapping[str, Any], extractor: Mapping[str, Any] | str
    ) -> dict[str, Any]:
        """The fields a key is made of (also stored in the entry for inspection).

        Args:
            take_uid: the take (recording) id.
            clip_index: which clip of the take under the caller's sampling protocol (e.g. k of the 10
                evenly spaced test clips, or the clip's first frame when starts are random).
            crop_params: everything that decides the crops (size in px, frame size, stride, ...).
            extractor: the extractor's identity (name/config/weights fingerprint) or a name.
        """
        if not isinstance(take_uid, str) or not take_uid:
            raise ValueError(f"take_uid must be a non-empty string, got {take_uid!r}")
        if isinstance(clip_index, bool) or not isinstance(clip_index, (int, np.integer)) or clip_index < 0:
            raise ValueError(f"clip_index must be a non-negative integer, got {clip_index!r}")
        return {
            "take_uid": take_uid,
            "clip_index": int(clip_index),
            "crop_params": dict(crop_params),
            "extractor": extractor,
        }

    def key(
        self,
        take_uid: str,
        clip_index: int,
        crop_params: Mapping[str, Any],
        extractor: Mapping[str, Any] | str,
    ) -> str:
        """Stable hex key of (take, clip, crop parameters, extractor identity)."""
        return stable_hash(self.key_fields(take_uid, clip_index, crop_params, extractor))

    def path(self, key: str) -> Path:
        """File of an entry."""
        if len(key) < 3 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"cache key must be a lowercase hex digest, got {key!r}")
        return self.root / key[:2] / f"{key}.safetensors"

    def has(self, key: str) -> bool:
        """Whether an entry exists."""
        return self.path(key).is_file()

    def get(self, key: str) -> dict[str, torch.Tensor]:
        """Read an entry (CPU tensors). Raises KeyError when absent, DataFormatError when unreadable."""
        path = self.path(key)
        if not path.is_file():
            raise KeyError(f"no cache entry {key} under {self.root}")
        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as err:
            raise DataFormatError(path, "", key, f"unreadable cache entry ({err}); delete it") from err

    def stored_key_fields(self, key: str) -> dict[str, Any]:
        """The key fields stored with an entry by :meth:`put` (empty dict when none were given)."""
        path = self.path(key)
        if not path.is_file():
            raise KeyError(f"no cache entry {key} under {self.root}")
        try:
            with safe_open(str(path), framework="pt") as handle:
                metadata = handle.metadata() or {}
        except (SafetensorError, OSError) as err:
            raise DataFormatError(path, "", key, f"unreadable cache entry ({err}); delete it") from err
        return json.loads(metadata.get(_KEY_FIELDS_META, "{}"))

    def put(
        self,
        key: str,
        arrays: Mapping[str, torch.Tensor | np.ndarray],
        key_fields: Mapping[str, Any] | None = None,
    ) -> Path:
        """Store named arrays atomically; returns the entry's path.

        Args:
            key: from :meth:`key`.
            arrays: name -> tensor or numpy array (stored contiguous, on CPU, detached).
            key_fields: optional fields the key was built from, kept as JSON metadata.
        """
        if not arrays:
            raise ValueError("put() needs at least one array")
        tensors = {
            str(name): (torch.from_numpy(np.ascontiguousarray(a)) if isinstance(a, np.ndarray) else a)
            .detach()
            .cpu()
            .contiguous()
            .clone()
            for name, a in arrays.items()
        }
        metadata = {_KEY_FIELDS_META: json.dumps(_canonical(key_fields or {}), sort_keys=True)}
        path = self.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        try:
            save_file(tensors, tmp, metadata=metadata)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def get_or_compute(
        self,
        key: str,
        compute: Callable[[], Mapping[str, torch.Tensor | np.ndarray]],
        key_fields: Mapping[str, Any] | None = None,
    ) -> dict[str, torch.Tensor]:
        """Return the entry, computing and storing it first when absent (counts hits and misses)."""
        if self.has(key):
            self.hits += 1
            return self.get(key)
        self.misses += 1
        self.put(key, compute(), key_fields)
        return self.get(key)
