"""ONNX export of the attention baselines and the TSN ranker through the deploy exporter (dynamic
batch axis): onnxruntime matches PyTorch at batch sizes 1 and 3."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsight.models import create_model
from skillsight.projects.ranking import model_zoo  # noqa: F401  (registers the TSN ranker)
from skillsight.projects.ranking.baseline_variants import baseline_model_names

MODELS = [*sorted(baseline_model_names("test").values()), "test_tsn_two_stream"]


@pytest.mark.parametrize("name", MODELS)
def test_onnx_export_matches_pytorch(name: str, tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    from skillsight.deploy.onnx_export import check_onnx_parity, export_onnx

    model = create_model(name).eval()
    path = export_onnx(model, tmp_path / f"{name}.onnx")
    worst = check_onnx_parity(model, path, batch_sizes=(1, 3), atol=1e-5)
    assert worst <= 1e-5
