"""Sealed safetensors files: exact round trip of every dtype and shape, shared storage, and a checksum
that covers tensor bytes, dtypes, shapes, names and metadata."""

from __future__ import annotations

import pytest
import torch

from skillsight.exceptions import CheckpointError
from skillsight.runs.sealed import content_checksum, read_header, read_sealed, write_sealed


def _tensors() -> dict[str, torch.Tensor]:
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    return {
        "f32": base,
        "row_view": base[1],  # shares storage with f32
        "bf16": torch.linspace(-1, 1, 5).to(torch.bfloat16),
        "bool": torch.tensor([True, False, True]),
        "int64_scalar": torch.tensor(7),
        "empty": torch.empty(0, 3),
    }


def test_round_trip_is_exact_and_keeps_metadata(tmp_path):
    path = tmp_path / "f.safetensors"
    checksum = write_sealed(path, _tensors(), "test-format", {"note": "é", "n": "3"})
    tensors, meta = read_sealed(path, ["test-format"], "test file")
    for name, value in _tensors().items():
        assert tensors[name].dtype == value.dtype and torch.equal(tensors[name], value), name
    assert meta == {"note": "é", "n": "3", "format": "test-format", "checksum": checksum}
    assert read_header(path, "test file") == meta


@pytest.mark.parametrize(
    "change",
    [
        lambda t, m: t.update(f32=t["f32"] + 1e-6),
        lambda t, m: t.update(f32=t["f32"].reshape(4, 3)),
        lambda t, m: t.update(bool=t["bool"].to(torch.uint8)),
        lambda t, m: t.update(renamed=t.pop("f32")),
        lambda t, m: m.update(n="4"),
    ],
    ids=["value", "shape", "dtype", "name", "metadata"],
)
def test_the_checksum_covers_values_shapes_dtypes_names_and_metadata(change):
    tensors, meta = _tensors(), {"n": "3"}
    before = content_checksum(tensors, meta)
    change(tensors, meta)
    assert content_checksum(tensors, meta) != before


def test_another_format_is_refused_naming_file_and_format(tmp_path):
    path = tmp_path / "f.safetensors"
    write_sealed(path, _tensors(), "format-a")
    with pytest.raises(CheckpointError, match=r"f\.safetensors: x is a safetensors file but not.*'format-a'"):
        read_sealed(path, ["format-b"], "x")
