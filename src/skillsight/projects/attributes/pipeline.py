"""Attribute pipeline: discover -> train -> feedback -> eval, each writing or reading a folder.

* :func:`discover` (stage I): commentary of the training splits -> ``attributes.json`` (vocabulary) and
  ``window_labels_<split>.json`` for every split with commentary (held-out splits labelled with the
  vocabulary learnt on the training splits only).
* :func:`train`: per-second backbone features -> attribute mapper + proficiency probe (two full-batch fits
  of the one training loop, from an :class:`~skillsight.projects.attributes.config.AttributesConfig`),
  written to a run folder (``config.json``, ``mapper.safetensors``, ``attribute_run.json``, a copy of the
  vocabulary and training labels, the fits' folders under ``training/``). ``data.train_scenarios``
  restricts training to some scenarios (zero-shot protocol: test on a held-out one).
* :func:`feedback_for_take` / :func:`evaluate`: predictions, feedback and metrics for held-out takes,
  together with the most-frequent-attributes baseline.

The in-memory core (:func:`fit`, :func:`evaluate_core`, in :mod:`skillsight.projects.attributes.core` and
re-exported here) is what the benchmark calls with features it extracted once.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from safetensors.torch import load_file, save_file

from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.records import PROFICIENCY_LABELS, Take
from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.commentary import commentary_path, read_commentary
from skillsight.projects.attributes.config import AttributesConfig
from skillsight.projects.attributes.core import (
    AttributeModel,
    evaluate_core,
    fit,
    mapper_inputs,
    most_frequent_sets,
    normalise_per_scenario,
    predict_take,
    prediction_set,
)
from skillsight.projects.attributes.discovery import (
    AttributeVocabulary,
    WindowLabel,
    discover_attributes,
    label_windows,
    load_window_labels,
    save_window_labels,
)
from skillsight.projects.attributes.feedback import AttributePrediction, Feedback, TipBank, generate_feedback
from skillsight.projects.attributes.mapper import (
    AttributeMapper,
    ProficiencyProbe,
    extract_features,
    load_backbone,
)
from skillsight.runs.atomic import atomic_write_text
from skillsight.runs.checkpoint import save_model
from skillsight.runs.run_config import save_config

__all__ = [
    "AttributeModel",
    "discover",
    "evaluate",
    "evaluate_core",
    "feedback_for_take",
    "fit",
    "load_run",
    "mapper_inputs",
    "most_frequent_sets",
    "predict_take",
    "prediction_set",
    "save_run",
    "train",
]

TRAIN_SPLITS = ("train", "val")


def discover(
    root: str | Path,
    out_dir: str | Path,
    num_attributes: int = 8,
    seed: int = 0,
    embedder: str = "hashed",
    method: str = "agglomerative",
    window_s: float = 4.0,
    train_splits: Sequence[str] = TRAIN_SPLITS,
    lm_path: str | None = None,
) -> AttributeVocabulary:
    """Stage I on ``root/annotations/proficiency_demonstration_*.json``; writes into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    per_split = {
        s: read_commentary(commentary_path(root, s))
        for s in ("train", "val", "test")
        if commentary_path(root, s).is_file()
    }
    training = [tc for s in train_splits for tc in per_split.get(s, [])]
    if not training:
        raise FileNotFoundError(f"{root}: no proficiency_demonstration file for splits {list(train_splits)}")
    kwargs: dict[str, Any] = {}
    if lm_path:
        from skillsight.projects.attributes.llm import LocalCausalLM, lm_phrase_extractor

        kwargs["extractor"] = lm_phrase_extractor(LocalCausalLM(lm_path))
    vocab = discover_attributes(training, num_attributes, seed, embedder, method=method, **kwargs)
    vocab.save(out / "attributes.json")
    for split, tcs in per_split.items():
        save_window_labels(
            out / f"window_labels_{split}.json", label_windows(vocab, tcs, window_s, **kwargs), vocab
        )
    atomic_write_text(
        out / "discovery.json",
        json.dumps(
            {
                "root": str(root),
                "train_splits": list(train_splits),
                "window_s": window_s,
                "seed": seed,
                "embedder": embedder,
                "method": method,
                "lm_path": lm_path,
                "attributes": vocab.names,
            },
            indent=1,
        ),
    )
    return vocab


def _select(takes: Sequence[Take], scenarios: Sequence[str] | None) -> list[Take]:
    return [t for t in takes if scenarios is None or t.scenario in scenarios]


def train(cfg: AttributesConfig, run_dir: str | Path, log: Callable[[str], None] | None = None) -> Path:
    """Extract features of the training takes, fit the mapper and the probe (the one loop, under
    ``run_dir/training/``), and write the run folder. Returns ``run_dir``.

    ``data.scenario_norm``: z-score features per scenario with that scenario's own statistics (training
    takes here; at evaluation and feedback time the evaluated split's takes of the scenario), see
    :func:`skillsight.projects.attributes.core.normalise_per_scenario`.
    """
    data = cfg.data
    if not data.root or not data.attributes_dir:
        raise ConfigError("data.root and data.attributes_dir name the dataset and the discovered attributes")
    attributes_dir, run = Path(data.attributes_dir), Path(run_dir)
    vocab = AttributeVocabulary.load(attributes_dir / "attributes.json")
    labels = [
        lab
        for s in TRAIN_SPLITS
        if (attributes_dir / f"window_labels_{s}.json").is_file()
        for lab in load_window_labels(attributes_dir / f"window_labels_{s}.json")[1]
    ]
    scenarios = data.train_scenarios or None
    takes = _select(load_takes(data.root, splits=TRAIN_SPLITS, require=("gaze", "video")).takes, scenarios)
    if not takes:
        raise ConfigError(f"no training takes in {data.root} for scenarios {scenarios}")
    seed = cfg.trainer.seed
    modules = [load_backbone(b, seed) for b in data.backbones]
    feats = extract_features(takes, modules, data.feature_batch_size)
    if data.scenario_norm:
        feats = normalise_per_scenario(feats, takes)
    run = run.resolve()
    run.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run / "config.json")
    model = fit(takes, feats, labels, vocab.names, cfg, work_dir=run / "training")
    # The exact (possibly random-init) backbones are saved with the run: evaluation sees the same features.
    (run / "backbones").mkdir(parents=True, exist_ok=True)
    saved = [
        str(save_model(m, run / "backbones" / f"backbone{i}").with_suffix("")) for i, m in enumerate(modules)
    ]
    config = {
        "kind": "attributes",
        "root": str(data.root),
        "attributes_dir": str(attributes_dir),
        "backbone_specs": list(data.backbones),
        "backbones": saved,
        "train_scenarios": list(scenarios) if scenarios else None,
        "steps": cfg.mapper.steps,
        "seed": seed,
        "n_train_takes": len(takes),
        "scenario_norm": data.scenario_norm,
    }
    train_uids = {t.take_uid for t in takes}
    save_run(run, model, vocab, [lab for lab in labels if lab.take_uid in train_uids], config)
    if log is not None:
        n_attributes = len(vocab.names)
        log(
            f"result: mapper of {cfg.mapper.steps} steps on {len(takes)} takes, {n_attributes} attributes "
            f"| run {run}"
        )
    return run


def save_run(
    run_dir: str | Path,
    model: AttributeModel,
    vocab: AttributeVocabulary,
    train_labels: Sequence[WindowLabel],
    config: dict,
) -> Path:
    """Write mapper/probe weights (safetensors), vocabulary, training labels (tip bank) and config."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in model.mapper.state_dict().items()}, str(run / "mapper.safetensors")
    )
    save_file(
        {k: v.contiguous() for k, v in model.probe.state_dict().items()}, str(run / "probe.safetensors")
    )
    vocab.save(run / "attributes.json")
    save_window_labels(run / "window_labels_train.json", train_labels, vocab)
    atomic_write_text(
        run / "attribute_run.json",
        json.dumps(
            {
                **config,
                "hidden_dim": int(model.mapper.fc1.out_features),
                "in_dim": int(model.mapper.fc1.in_features),
                "take_context": model.take_context,
                "threshold": model.threshold,
                "attributes": list(model.names),
            },
            indent=1,
        ),
    )
    return run


def load_run(run_dir: str | Path) -> tuple[AttributeModel, dict, list[WindowLabel]]:
    """(model, run config, training labels) from a folder written by :func:`train`."""
    run = Path(run_dir)
    cfg_path = run / "attribute_run.json"
    if not cfg_path.is_file():
        raise FileNotFoundError(f"{run} is not an attribute run folder (no attribute_run.json)")
    cfg = json.loads(cfg_path.read_text())
    mapper = AttributeMapper(cfg["in_dim"], len(cfg["attributes"]), cfg["hidden_dim"])
    mapper.load_state_dict(load_file(str(run / "mapper.safetensors")))
    probe = ProficiencyProbe(cfg["hidden_dim"], len(PROFICIENCY_LABELS))
    probe.load_state_dict(load_file(str(run / "probe.safetensors")))
    _, labels = load_window_labels(run / "window_labels_train.json")
    return (
        AttributeModel(mapper.eval(), probe.eval(), cfg["attributes"], cfg["threshold"], cfg["take_context"]),
        cfg,
        labels,
    )


def _eval_takes(cfg: dict, root: str | Path, split: str, scenarios: Sequence[str] | None) -> list[Take]:
    return _select(
        load_takes(root, splits=(split,), require=("gaze", "video"), check_leakage=False).takes, scenarios
    )


def feedback_for_take(
    run_dir: str | Path,
    take_uid: str,
    root: str | Path | None = None,
    split: str = "test",
    max_tips: int = 3,
    lm_path: str | None = None,
) -> tuple[Take, list[AttributePrediction], Feedback, list[str]]:
    """(take, predicted attributes, feedback, attribute names) for one take of ``split``."""
    model, cfg, labels = load_run(run_dir)
    root = root or cfg["root"]
    take = next(
        (t for t in _eval_takes(cfg, root, split, None) if t.take_uid == take_uid or t.take_name == take_uid),
        None,
    )
    if take is None:
        raise ConfigError(f"take {take_uid!r} is not in split {split!r} of {root}")
    if cfg.get("scenario_norm"):  # the scenario's statistics come from all its takes in the split
        same = _eval_takes(cfg, root, split, (take.scenario,))
        feats = normalise_per_scenario(extract_features(same, cfg["backbones"]), same)[take.take_uid]
    else:
        feats = extract_features([take], cfg["backbones"])[take.take_uid]
    preds = predict_take(model, feats)
    gen = None
    if lm_path:
        from skillsight.projects.attributes.llm import LocalCausalLM

        gen = LocalCausalLM(lm_path)
    return (
        take,
        preds,
        generate_feedback(TipBank(labels), preds, model.names, take.scenario, take.task_name, max_tips, gen),
        model.names,
    )


def evaluate(
    run_dir: str | Path,
    root: str | Path | None = None,
    split: str = "test",
    scenarios: Sequence[str] | None = None,
) -> dict:
    """Evaluate a run on ``split`` (optionally some scenarios); writes ``eval_<split>.json`` into the run."""
    model, cfg, train_labels = load_run(run_dir)
    root = root or cfg["root"]
    labels_path = Path(cfg["attributes_dir"]) / f"window_labels_{split}.json"
    if not labels_path.is_file():
        raise FileNotFoundError(
            f"{labels_path} does not exist: run `skillsight attributes discover` on {root}"
        )
    _, test_labels = load_window_labels(labels_path)
    takes = _eval_takes(cfg, root, split, scenarios)
    feats = extract_features(takes, cfg["backbones"])
    if cfg.get("scenario_norm"):
        feats = normalise_per_scenario(feats, takes)
    result = evaluate_core(model, takes, feats, test_labels, train_labels)
    result["metrics"].update(
        {
            "split": split,
            "scenarios": list(scenarios) if scenarios else None,
            "train_scenarios": cfg["train_scenarios"],
        }
    )
    atomic_write_text(Path(run_dir) / f"eval_{split}.json", json.dumps(result, indent=1))
    return result
