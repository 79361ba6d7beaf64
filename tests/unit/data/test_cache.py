"""FeatureCache: stable keys, atomic round trips, get-or-compute, clear errors on bad entries."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from skillsight.data.cache import FeatureCache, stable_hash
from skillsight.exceptions import DataFormatError

EXTRACTOR = {"extractor": "dinov2_cls", "preset": "dinov2_test", "weights": "ab12"}
CROP = {"size_px": 224, "frame_px": 448}


def test_key_is_stable_and_depends_on_every_field(tmp_path) -> None:
    cache = FeatureCache(tmp_path)
    key = cache.key("take-a", 3, CROP, EXTRACTOR)
    # The key is the stable hash of the named fields; dict order and numpy ints do not change it.
    assert key == stable_hash(
        {"take_uid": "take-a", "clip_index": 3, "crop_params": CROP, "extractor": EXTRACTOR}
    )
    assert key == cache.key("take-a", np.int64(3), dict(reversed(list(CROP.items()))), EXTRACTOR)
    others = {
        cache.key("take-b", 3, CROP, EXTRACTOR),
        cache.key("take-a", 4, CROP, EXTRACTOR),
        cache.key("take-a", 3, {**CROP, "size_px": 112}, EXTRACTOR),
        cache.key("take-a", 3, CROP, {**EXTRACTOR, "weights": "cd34"}),
    }
    assert key not in others and len(others) == 4
    assert len(key) == 64


def test_stable_hash_is_pinned() -> None:
    assert stable_hash({"b": [1, 2.5], "a": "x"}) == stable_hash({"a": "x", "b": (1, 2.5)})
    # sha256 of the canonical JSON '{"a":"x","b":[1,2.5]}', written out so a format change is caught.
    assert (
        stable_hash({"a": "x", "b": [1, 2.5]})
        == "66efddae6a97500318e4c6cdc4bc04149f340a165a7ef2d830393048b67b7a31"
    )


def test_put_get_round_trip_and_metadata(tmp_path) -> None:
    cache = FeatureCache(tmp_path / "cache")
    fields = cache.key_fields("take-a", 0, CROP, EXTRACTOR)
    key = cache.key("take-a", 0, CROP, EXTRACTOR)
    assert not cache.has(key)
    with pytest.raises(KeyError):
        cache.get(key)
    features = torch.randn(4, 32)
    path = cache.put(
        key, {"crop_features": features, "valid": np.array([1, 1, 0, 1], dtype=np.uint8)}, fields
    )
    assert path.parent.name == key[:2] and cache.has(key)
    got = cache.get(key)
    assert torch.equal(got["crop_features"], features)
    assert got["valid"].tolist() == [1, 1, 0, 1]
    assert cache.stored_key_fields(key) == {
        "take_uid": "take-a",
        "clip_index": 0,
        "crop_params": CROP,
        "extractor": EXTRACTOR,
    }
    assert not list(path.parent.glob("*.tmp"))  # the temporary file was renamed into place


def test_get_or_compute_runs_the_extractor_once(tmp_path) -> None:
    cache = FeatureCache(tmp_path)
    key = cache.key("take-a", 1, CROP, EXTRACTOR)
    calls = []

    def compute() -> dict[str, torch.Tensor]:
        calls.append(1)
        return {"crop_features": torch.arange(6.0).reshape(2, 3)}

    first = cache.get_or_compute(key, compute)
    second = FeatureCache(tmp_path).get_or_compute(key, compute)  # a new process would see the same entry
    assert len(calls) == 1
    assert torch.equal(first["crop_features"], second["crop_features"])
    assert (cache.hits, cache.misses) == (0, 1)


def test_corrupt_entry_and_bad_keys_raise_clear_errors(tmp_path) -> None:
    cache = FeatureCache(tmp_path)
    key = cache.key("take-a", 2, CROP, EXTRACTOR)
    cache.path(key).parent.mkdir(parents=True)
    cache.path(key).write_bytes(b"not a safetensors file")
    with pytest.raises(DataFormatError, match="unreadable"):
        cache.get(key)
    with pytest.raises(ValueError, match="hex"):
        cache.path("../../etc/passwd")
    with pytest.raises(ValueError, match="clip_index"):
        cache.key("take-a", -1, CROP, EXTRACTOR)
    with pytest.raises(ValueError, match="take_uid"):
        cache.key("", 0, CROP, EXTRACTOR)
    with pytest.raises(TypeError, match="JSON-like"):
        cache.key("take-a", 0, {"size": object()}, EXTRACTOR)
    with pytest.raises(ValueError, match="at least one"):
        cache.put(key, {})
