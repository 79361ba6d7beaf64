"""Generic contract every registered model follows (DESIGN.md convention 8), on its tiny test_* variant.

For each ``test_*`` model in the registry: declared inputs match ``example_inputs``; outputs are a dict
of finite tensors with batch-first "logits"; gradients reach every trainable parameter; a save -> load
round trip through :mod:`skillsight.runs.checkpoint` gives identical outputs. (ONNX export is
checked per model where it is a deployment target, e.g. the SkillSight student.)
"""

from __future__ import annotations

import pytest
import torch

from skillsight.catalog import all_model_names
from skillsight.models import create_model, model_inputs
from skillsight.models._factory import MODELS
from skillsight.runs.checkpoint import load_model, save_model

TEST_MODELS = [name for name in all_model_names() if name.startswith("test_")]
BATCH = 2


def _float_outputs(out: dict[str, torch.Tensor]) -> list[torch.Tensor]:
    return [v for v in out.values() if torch.is_tensor(v) and v.is_floating_point()]


def _family_test_variant(name: str) -> str | None:
    """The ``test_<stem>`` model registered by the same module whose stem is ``name`` or a prefix of it
    (``skillsight_student_tiny`` -> ``test_skillsight_student``); None when there is none."""
    module = MODELS.get(name).__module__
    stems = [t.removeprefix("test_") for t in TEST_MODELS if MODELS.get(t).__module__ == module]
    matches = [s for s in stems if name == s or name.startswith(s + "_")]
    return f"test_{max(matches, key=len)}" if matches else None


def test_every_registered_model_family_has_a_test_variant() -> None:
    # A family is a registered preset and its sized variants (skillsight_student, _compact, _tiny); the
    # contract tests below only run on test_* variants, so a family without one is never checked.
    presets = [name for name in all_model_names() if not name.startswith("test_")]
    assert len(presets) >= 20 and TEST_MODELS, "the model registry looks incomplete"
    missing = [name for name in presets if _family_test_variant(name) is None]
    assert not missing, f"model families without a test_* variant in their module: {missing}"
    covered = {_family_test_variant(name) for name in presets}
    ours = {t for t in TEST_MODELS if MODELS.get(t).__module__.startswith("skillsight.")}  # not test toys
    unused = sorted(ours - covered)
    assert not unused, f"test_* variants that match no registered family: {unused}"


@pytest.mark.parametrize("name", TEST_MODELS)
def test_declared_inputs_and_output_shapes(name: str) -> None:
    model = create_model(name).eval()
    names = model_inputs(model)
    assert names, f"{name} declares no input_names"
    assert getattr(model, "sensors", ()), f"{name} declares no sensors"
    inputs = model.example_inputs(BATCH)
    assert tuple(inputs) == names
    with torch.no_grad():
        out = model(**inputs)
    assert isinstance(out, dict) and "logits" in out
    assert out["logits"].shape[0] == BATCH and out["logits"].dim() >= 2  # (B, classes) or (B, ..., bins)
    for key, value in out.items():
        assert value.shape[0] == BATCH, f"{name} output {key!r} is not batch-first: {tuple(value.shape)}"
        assert torch.isfinite(value).all(), f"{name} output {key!r} has non-finite values"


@pytest.mark.parametrize("name", TEST_MODELS)
def test_gradients_reach_every_trainable_parameter(name: str) -> None:
    model = create_model(name).train()
    out = model(**model.example_inputs(BATCH))
    loss = sum(v.float().pow(2).mean() for v in _float_outputs(out))
    loss.backward()
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    assert trainable, f"{name} has no trainable parameters"
    # A parameter outside the graph has grad None. An exactly-zero gradient can be legitimate (e.g. a bias
    # right before a normalisation), so only None or non-finite gradients fail, plus an all-zero total.
    dead = [n for n, p in trainable if p.grad is None]
    assert not dead, f"{name}: no gradient reaches {dead} (unused parameters: remove or freeze them)"
    bad = [n for n, p in trainable if not torch.isfinite(p.grad).all()]
    assert not bad, f"{name}: non-finite gradients in {bad}"
    assert any(p.grad.any() for _, p in trainable), f"{name}: every gradient is zero"


@pytest.mark.parametrize("name", TEST_MODELS)
def test_save_load_round_trip_is_identical(name: str, tmp_path) -> None:
    model = create_model(name).eval()
    inputs = model.example_inputs(BATCH)
    weights = save_model(model, tmp_path / "model", metadata={"purpose": "contract test"})
    loaded = load_model(weights)
    assert type(loaded) is type(model)
    assert model_inputs(loaded) == model_inputs(model)
    with torch.no_grad():
        a, b = model(**inputs), loaded(**inputs)
    assert set(a) == set(b)
    for key in a:
        assert torch.equal(a[key], b[key]), f"{name} output {key!r} changed after save -> load"
