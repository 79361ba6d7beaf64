"""ChannelStandardizer: identity until fitted, fitted statistics saved with the weights, masks respected."""

from __future__ import annotations

import pytest
import torch

from skillsight.exceptions import DataFormatError
from skillsight.models import create_model
from skillsight.models.layers.standardize import ChannelStandardizer, standardizers


def test_identity_until_fitted_then_standardises_and_zeroes_invalid_steps() -> None:
    layer = ChannelStandardizer(3)
    x = torch.tensor([[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]])  # (1, 2, 3)
    assert layer.is_identity
    torch.testing.assert_close(layer(x), x)
    layer.fit(torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 0.5, 0.0]))
    assert not layer.is_identity
    mask = torch.tensor([[True, False]])
    out = layer(x, mask)
    torch.testing.assert_close(out[0, 0], torch.tensor([0.0, 0.0, 0.0]))
    torch.testing.assert_close(out[0, 1], torch.zeros(3))  # invalid step -> 0, not -mean/std
    torch.testing.assert_close(layer(x)[0, 1], torch.tensor([1.5, 6.0, 3.0e6]))  # std 0 clamped to 1e-6


def test_fit_rejects_wrong_shapes_and_non_finite_statistics() -> None:
    layer = ChannelStandardizer(3, "gaze")
    with pytest.raises(DataFormatError, match="3 channels"):
        layer.fit(torch.zeros(2), torch.ones(2))
    with pytest.raises(DataFormatError, match="non-finite"):
        layer.fit(torch.tensor([0.0, float("nan"), 0.0]), torch.ones(3))


@pytest.mark.parametrize(
    "name", ["test_skillsight_student", "test_gaze_only_baseline", "test_skillsight_teacher"]
)
def test_gaze_models_standardise_their_gaze_and_keep_the_statistics_in_their_state(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name).eval()
    inputs = model.example_inputs(2)
    (layer,) = standardizers(model)
    assert layer.input_name == "gaze" and layer.channels == inputs["gaze"].shape[-1]
    before = model(**inputs)["logits"]
    layer.fit(torch.full((layer.channels,), 0.5), torch.full((layer.channels,), 4.0))
    after = model(**inputs)["logits"]
    assert not torch.allclose(before, after), "fitted statistics must change what the encoder sees"
    state = model.state_dict()
    key = next(k for k in state if k.endswith("standardizer.std"))
    torch.testing.assert_close(state[key], torch.full((layer.channels,), 4.0))
