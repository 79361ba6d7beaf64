"""ONNX export parity of the attention baselines and the TSN ranker (test sizes, opset 17)."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from skillsight.models import create_model
from skillsight.projects.ranking.baseline_variants import baseline_model_names

MODELS = [*sorted(baseline_model_names("test").values()), "test_tsn_two_stream"]


@pytest.mark.parametrize("name", MODELS)
def test_onnx_export_matches_pytorch(name: str) -> None:
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model = create_model(name).eval()
    inputs = model.example_inputs(2)
    with torch.no_grad():
        ref = model(**inputs)
    buffer = io.BytesIO()
    torch.onnx.export(
        model,
        (),
        buffer,
        kwargs=inputs,
        input_names=list(inputs),
        output_names=list(ref),
        dynamo=False,
        opset_version=17,
    )
    session = ort.InferenceSession(buffer.getvalue())
    outputs = session.run(None, {k: v.numpy() for k, v in inputs.items()})
    for key, value in zip(ref, outputs):
        np.testing.assert_allclose(value, ref[key].numpy(), atol=1e-5, err_msg=f"{name} output {key!r}")
