"""Mapper, proficiency probe, take predictions, evaluation core and run folders on features built in code."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.config import TrainerConfig, load_config
from skillsight.data.records import Take
from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.config import MapperConfig
from skillsight.projects.attributes.discovery import AttributeVocabulary, WindowLabel
from skillsight.projects.attributes.mapper import AttributeMapper, TakeFeatures, extract_features
from skillsight.projects.attributes.pipeline import (
    evaluate_core,
    fit,
    load_run,
    mapper_inputs,
    most_frequent_sets,
    predict_take,
    prediction_set,
    save_run,
)
from skillsight.projects.attributes.training import train_mapper

K, D, S = 4, 12, 16
NAMES = ["balance", "focus", "technique", "timing"]
TIPS = [
    "Stay low and widen the base.",
    "Hold the gaze on the target.",
    "Drill each part slowly.",
    "Start the move earlier.",
]


def _data(n: int, seed: int, scenario: str = "Soccer"):
    """Takes whose weak attribute (= label of every tip) is written into features dims 0..K-1."""
    rng = np.random.default_rng(seed)
    takes, feats, labels = [], {}, []
    for i in range(n):
        weak = int(rng.integers(K))
        uid = f"{scenario}-{seed}-{i}"
        takes.append(Take(uid, uid, scenario, "task", weak, "train", "aria01", duration_sec=float(S)))
        x = rng.normal(0, 1.0, (S, D)).astype(np.float32)
        x[:, weak] += 2.0
        feats[uid] = TakeFeatures(uid, np.arange(S) + 0.5, x)
        for t in (3.0, 9.0):
            labels.append(WindowLabel(uid, scenario, "task", "tip", t - 2, t + 2, (weak,), TIPS[weak]))
    return takes, feats, labels


def test_mapper_shapes_and_gradients() -> None:
    m = AttributeMapper(D, K, hidden_dim=8)
    out = m(torch.randn(5, D))
    assert out["logits"].shape == (5, K) and out["hidden"].shape == (5, 8)
    out["logits"].sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    with pytest.raises(ConfigError):
        train_mapper(np.zeros((0, D)), np.zeros((0, K)), MapperConfig(), TrainerConfig())


def _cfg(*overrides: str):
    return load_config("attributes_tiny", list(overrides), method="attributes")


def test_fit_beats_most_frequent_baseline_and_predicts_windows() -> None:
    train_takes, train_feats, train_labels = _data(40, 0)
    test_takes, test_feats, test_labels = _data(12, 1)
    model = fit(
        train_takes, train_feats, train_labels, NAMES, _cfg("mapper.hidden_dim=32", "mapper.steps=150")
    )
    feats = {**train_feats, **test_feats}
    result = evaluate_core(model, test_takes, feats, test_labels, train_labels)
    m = result["metrics"]
    assert m["n_windows"] == 24 and m["n_takes"] == 12
    assert m["attribute_iou@0.7"] > 0.8 > m["baseline_attribute_iou@0.7"]
    assert m["rouge_l"] > m["baseline_rouge_l"] and m["proficiency_accuracy"] > 0.5
    preds = predict_take(model, test_feats[test_takes[0].take_uid])
    assert preds and NAMES[preds[0].attribute] == NAMES[test_takes[0].label]
    assert all(0 <= s < e <= S + 0.5 for p in preds for s, e in p.windows)
    assert all(out["feedback"] for out in result["outputs"])
    # the per-window IoUs are the paired units behind the two IoU metrics
    windows = result["per_window"]
    assert len(windows) == 24 and {w["take_uid"] for w in windows} == {t.take_uid for t in test_takes}
    assert np.mean([w["iou"] for w in windows]) == pytest.approx(m["attribute_iou@0.7"])
    assert np.mean([w["baseline_iou"] for w in windows]) == pytest.approx(m["baseline_attribute_iou@0.7"])


def test_prediction_set_and_baseline() -> None:
    assert prediction_set(np.array([0.1, 0.2, 0.05]), 0.5) == [1]  # never empty
    assert prediction_set(np.array([0.6, 0.2, 0.7]), 0.5) == [0, 2]
    labels = [WindowLabel("u", "s", "t", "tip", 0, 1, a, "x") for a in [(0,), (1,), (1,), (1, 2)]]
    chosen, freq = most_frequent_sets(labels, 3)
    assert chosen == [1] and freq.tolist() == [0.25, 0.75, 0.25]


def test_take_context_appends_the_take_mean() -> None:
    f = TakeFeatures("u", np.arange(3) + 0.5, np.arange(6, dtype=np.float32).reshape(3, 2))
    x = mapper_inputs(f, True)
    assert x.shape == (3, 4) and np.allclose(x[:, 2:], [[2.0, 3.0]] * 3)
    assert mapper_inputs(f, False) is f.features


def test_run_folder_round_trip(tmp_path: Path) -> None:
    takes, feats, labels = _data(16, 2)
    model = fit(takes, feats, labels, NAMES, _cfg("mapper.hidden_dim=16", "mapper.steps=30"))
    vocab = AttributeVocabulary(NAMES, [[(n, 1)] for n in NAMES])
    save_run(
        tmp_path,
        model,
        vocab,
        labels,
        {"root": "r", "attributes_dir": "a", "backbones": ["b"], "train_scenarios": None},
    )
    again, cfg, bank = load_run(tmp_path)
    f = feats[takes[0].take_uid]
    assert np.allclose(again.second_probs(f), model.second_probs(f)) and again.proficiency(
        f
    ) == model.proficiency(f)
    assert cfg["attributes"] == NAMES and bank == labels
    with pytest.raises(FileNotFoundError):
        load_run(tmp_path / "missing")


def test_extract_features_needs_a_feature_output() -> None:
    class NoFeatures(torch.nn.Module):
        input_names = ("gaze", "gaze_mask")

        def example_inputs(self, b):
            return {"gaze": torch.zeros(b, 4, 14), "gaze_mask": torch.ones(b, 4, dtype=torch.bool)}

        def forward(self, **kw):
            return {"logits": torch.zeros(kw["gaze"].shape[0], 4)}

    with pytest.raises(ConfigError):
        extract_features([], [])
    from skillsight.projects.attributes.mapper import _pick_features

    with pytest.raises(ConfigError, match="none of"):
        _pick_features(NoFeatures()(**NoFeatures().example_inputs(2)), "NoFeatures")


def test_named_backbone_is_the_same_in_every_process() -> None:
    from skillsight.projects.attributes.mapper import load_backbone

    torch.manual_seed(123)
    before = torch.rand(1)
    a = load_backbone("test_gaze_only_baseline")
    b = load_backbone("test_gaze_only_baseline")
    c = load_backbone("test_gaze_only_baseline", seed=1)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa) and not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert not any(p.requires_grad for p in a.parameters()) and not a.training
    torch.manual_seed(123)
    assert torch.equal(torch.rand(1), before)  # the caller's RNG stream is untouched


def test_normalise_per_scenario_uses_each_scenarios_own_statistics() -> None:
    from skillsight.projects.attributes.core import normalise_per_scenario

    takes_a, feats_a, _ = _data(4, 3, "Soccer")
    takes_b, feats_b, _ = _data(4, 4, "Dance")
    feats_b = {u: TakeFeatures(u, f.times_s, f.features * 3.0 + 10.0) for u, f in feats_b.items()}
    out = normalise_per_scenario({**feats_a, **feats_b}, takes_a + takes_b)
    for takes in (takes_a, takes_b):
        x = np.concatenate([out[t.take_uid].features for t in takes])
        assert np.allclose(x.mean(0), 0.0, atol=1e-5) and np.allclose(x.std(0), 1.0, atol=1e-3)
    only_a = normalise_per_scenario({**feats_a, **feats_b}, takes_a)
    assert only_a[takes_b[0].take_uid] is feats_b[takes_b[0].take_uid]


def test_the_fits_run_through_the_one_loop_into_the_work_folder(tmp_path: Path) -> None:
    takes, feats, labels = _data(8, 3)
    cfg = _cfg("mapper.steps=20", "probe.steps=10", "trainer.log_every_n_steps=5")
    model = fit(takes, feats, labels, NAMES, cfg, work_dir=tmp_path)
    for fit_dir, steps in (("mapper", 20), ("probe", 10)):
        assert (tmp_path / fit_dir / "model.safetensors").is_file() and (
            tmp_path / fit_dir / "checkpoints"
        ).is_dir()
        rows = (tmp_path / fit_dir / "logs" / "steps.csv").read_text().splitlines()[1:]
        assert [int(r.split(",")[1]) for r in rows] == list(range(4, steps, 5)), "a loss row every 5 steps"
    again = fit(takes, feats, labels, NAMES, cfg)
    f = feats[takes[0].take_uid]
    assert np.array_equal(again.second_probs(f), model.second_probs(f)), "seeded: the same model twice"
