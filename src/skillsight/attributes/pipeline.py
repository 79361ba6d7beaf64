"""Attribute pipeline: discover -> train -> feedback -> eval, each writing or reading a folder.

* :func:`discover` (stage I): commentary of the training splits -> ``attributes.json`` (vocabulary) and
  ``window_labels_<split>.json`` for every split with commentary (held-out splits labelled with the
  vocabulary learnt on the training splits only).
* :func:`train`: per-second backbone features -> attribute mapper + proficiency probe, written to a run
  folder (``mapper.safetensors``, ``attribute_run.json``, a copy of the vocabulary and training labels).
  ``train_scenarios`` restricts training to some scenarios (zero-shot protocol: test on a held-out one).
* :func:`feedback_for_take` / :func:`evaluate`: predictions, feedback and metrics for held-out takes,
  together with the most-frequent-attributes baseline.

The in-memory core (:func:`fit`, :func:`evaluate_core`) is what the benchmark calls with features it
extracted once.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from skillsight.attributes.discovery import (AttributeVocabulary, WindowLabel, discover_attributes, label_windows,
                                             load_window_labels, save_window_labels)
from skillsight.attributes.feedback import AttributePrediction, Feedback, TipBank, generate_feedback
from skillsight.attributes.mapper import (AttributeMapper, TakeFeatures, extract_features, train_mapper,
                                          train_proficiency_probe)
from skillsight.attributes.metrics import attribute_iou, corpus_bleu, multilabel_f1, proficiency_accuracy, rouge_l
from skillsight.data.commentary import commentary_path, read_commentary
from skillsight.data.egoexo4d import load_takes
from skillsight.data.records import PROFICIENCY_LABELS, Take
from skillsight.exceptions import ConfigError
from skillsight.training.checkpoint import atomic_write_text

__all__ = ["AttributeModel", "mapper_inputs", "prediction_set", "discover", "fit", "train", "load_run", "predict_take", "evaluate_core", "evaluate",
           "feedback_for_take", "most_frequent_sets", "save_run"]

TRAIN_SPLITS = ("train", "val")


def discover(root: str | Path, out_dir: str | Path, num_attributes: int = 8, seed: int = 0, embedder: str = "hashed",
             method: str = "agglomerative", window_s: float = 4.0, train_splits: Sequence[str] = TRAIN_SPLITS,
             lm_path: Optional[str] = None) -> AttributeVocabulary:
    """Stage I on ``root/annotations/proficiency_demonstration_*.json``; writes into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    per_split = {s: read_commentary(commentary_path(root, s)) for s in ("train", "val", "test")
                 if commentary_path(root, s).is_file()}
    training = [tc for s in train_splits for tc in per_split.get(s, [])]
    if not training:
        raise FileNotFoundError(f"{root}: no proficiency_demonstration file for splits {list(train_splits)}")
    kwargs = {}
    if lm_path:
        from skillsight.attributes.llm import LocalCausalLM, lm_phrase_extractor

        kwargs["extractor"] = lm_phrase_extractor(LocalCausalLM(lm_path))
    vocab = discover_attributes(training, num_attributes, seed, embedder, method=method, **kwargs)
    vocab.save(out / "attributes.json")
    for split, tcs in per_split.items():
        save_window_labels(out / f"window_labels_{split}.json",
                           label_windows(vocab, tcs, window_s, **kwargs), vocab)
    atomic_write_text(out / "discovery.json", json.dumps(
        {"root": str(root), "train_splits": list(train_splits), "window_s": window_s, "seed": seed,
         "embedder": embedder, "method": method, "lm_path": lm_path, "attributes": vocab.names}, indent=1))
    return vocab


def mapper_inputs(feats: TakeFeatures, take_context: bool) -> np.ndarray:
    """(S, D) per-second features, or (S, 2D) with the take's mean feature appended to every second.

    The take context lets a window's prediction use how the performer moves over the whole take
    (a weak attribute shows all along, not only where the expert happened to comment).
    """
    if not take_context:
        return feats.features
    mean = np.broadcast_to(feats.features.mean(0, keepdims=True), feats.features.shape)  # (S, D)
    return np.concatenate([feats.features, mean], axis=1).astype(np.float32)


@dataclass
class AttributeModel:
    mapper: AttributeMapper
    probe: torch.nn.Linear
    names: list[str]
    threshold: float = 0.5
    take_context: bool = True

    def second_probs(self, feats: TakeFeatures) -> np.ndarray:
        """(S, K) attribute probabilities per second."""
        x = torch.from_numpy(mapper_inputs(feats, self.take_context))
        with torch.no_grad():
            return torch.sigmoid(self.mapper(x)["attribute_logits"]).numpy()

    def proficiency(self, feats: TakeFeatures) -> int:
        x = torch.from_numpy(mapper_inputs(feats, self.take_context))
        with torch.no_grad():
            h = self.mapper.representation(x).mean(0, keepdim=True)  # (1, H)
            return int(self.probe(h).argmax(1))


def _seconds_in(times: np.ndarray, start: float, end: float) -> np.ndarray:
    inside = np.flatnonzero((times >= start) & (times <= end))
    return inside if inside.size else np.array([int(np.argmin(np.abs(times - 0.5 * (start + end))))])


def _targets(feats: TakeFeatures, labels: Sequence[WindowLabel], K: int) -> tuple[np.ndarray, np.ndarray]:
    S = len(feats.times_s)
    y = np.zeros((S, K), dtype=np.float32)
    mask = np.zeros(S, dtype=bool)
    for lab in labels:
        if not lab.attributes:
            continue
        idx = _seconds_in(feats.times_s, lab.start_s, lab.end_s)
        mask[idx] = True
        y[np.ix_(idx, list(lab.attributes))] = 1.0
    return mask, y


def _by_take(labels: Sequence[WindowLabel]) -> dict[str, list[WindowLabel]]:
    out: dict[str, list[WindowLabel]] = {}
    for lab in labels:
        out.setdefault(lab.take_uid, []).append(lab)
    return out


def fit(takes: Sequence[Take], features: dict[str, TakeFeatures], labels: Sequence[WindowLabel], names: Sequence[str],
        hidden_dim: int = 32, epochs: int = 100, seed: int = 0, take_context: bool = True) -> AttributeModel:
    """Train the mapper on labelled seconds of ``takes`` and the proficiency probe on their representations."""
    per = _by_take(labels)
    xs, ys = [], []
    for t in takes:
        mask, y = _targets(features[t.take_uid], per.get(t.take_uid, []), len(names))
        xs.append(mapper_inputs(features[t.take_uid], take_context)[mask])
        ys.append(y[mask])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(x) == 0:
        raise ConfigError(f"no labelled seconds in {len(takes)} training takes (no commentary tied to attributes)")
    mapper = train_mapper(x, y, hidden_dim, epochs, seed=seed)
    labelled = [t for t in takes if t.label is not None]
    with torch.no_grad():
        h = np.stack([mapper.representation(torch.from_numpy(mapper_inputs(features[t.take_uid], take_context))).mean(0).numpy()
                      for t in labelled])
    probe = train_proficiency_probe(h, np.array([t.label for t in labelled]), len(PROFICIENCY_LABELS), seed=seed)
    return AttributeModel(mapper, probe, list(names), take_context=take_context)


def prediction_set(probs: np.ndarray, threshold: float) -> list[int]:
    """Attributes with probability >= threshold, and always the most probable one."""
    chosen = set(np.flatnonzero(probs >= threshold).tolist()) | {int(np.argmax(probs))}
    return sorted(chosen)


def predict_take(model: AttributeModel, feats: TakeFeatures, window_s: float = 4.0) -> list[AttributePrediction]:
    """Take-level attributes (mean over seconds), each with the windows where it is above threshold."""
    probs = model.second_probs(feats)  # (S, K)
    mean = probs.mean(0)
    preds = []
    for a in prediction_set(mean, model.threshold):
        above = probs[:, a] >= model.threshold
        wins: list[tuple[float, float]] = []
        for s in np.flatnonzero(above):
            t = float(feats.times_s[s])
            if wins and t - 0.5 <= wins[-1][1] + 1e-6:
                wins[-1] = (wins[-1][0], t + 0.5)
            else:
                wins.append((max(0.0, t - 0.5), t + 0.5))
        if not wins:
            t = float(feats.times_s[int(np.argmax(probs[:, a]))])
            wins = [(max(0.0, t - window_s / 2), t + window_s / 2)]
        preds.append(AttributePrediction(int(a), float(mean[a]), tuple((round(s, 2), round(e, 2)) for s, e in wins)))
    return preds


def most_frequent_sets(labels: Sequence[WindowLabel], K: int) -> tuple[list[int], np.ndarray]:
    """Baseline: the m most frequent training attributes (m = rounded mean set size) and their frequencies."""
    sets = [lab.attributes for lab in labels if lab.attributes]
    freq = np.bincount([a for s in sets for a in s], minlength=K).astype(float) / max(len(sets), 1)
    m = max(1, int(round(np.mean([len(s) for s in sets])))) if sets else 1
    return sorted(np.argsort(-freq, kind="stable")[:m].tolist()), freq


def evaluate_core(model: AttributeModel, takes: Sequence[Take], features: dict[str, TakeFeatures],
                  test_labels: Sequence[WindowLabel], train_labels: Sequence[WindowLabel],
                  similarity: Optional[np.ndarray] = None, max_tips: int = 3) -> dict:
    """Metrics of the model and of the most-frequent baseline on ``takes`` (windows with attributes only)."""
    K = len(model.names)
    bank = TipBank(train_labels)
    base_set, base_freq = most_frequent_sets(train_labels, K)
    per = _by_take(test_labels)
    preds, base, gts, hyps, base_hyps, refs, prof_p, prof_t, outputs = [], [], [], [], [], [], [], [], []
    for t in takes:
        f = features[t.take_uid]
        probs = model.second_probs(f)
        for lab in per.get(t.take_uid, []):
            if lab.attributes:
                preds.append(prediction_set(probs[_seconds_in(f.times_s, lab.start_s, lab.end_s)].mean(0), model.threshold))
                base.append(base_set)
                gts.append(list(lab.attributes))
        tips = [lab.text for lab in per.get(t.take_uid, []) if lab.kind == "tip"]
        fb = generate_feedback(bank, predict_take(model, f), model.names, t.scenario, t.task_name, max_tips)
        fb_base = generate_feedback(bank, [AttributePrediction(a, float(base_freq[a])) for a in base_set],
                                    model.names, t.scenario, t.task_name, max_tips)
        if tips:
            hyps.append(fb.text)
            base_hyps.append(fb_base.text)
            refs.append([" ".join(tips)])
        if t.label is not None:
            prof_p.append(model.proficiency(f))
            prof_t.append(t.label)
        outputs.append({"take_uid": t.take_uid, "scenario": t.scenario, "feedback": fb.format(), "source": fb.source})
    if not gts:
        raise ConfigError(f"no labelled windows among {len(takes)} evaluation takes")
    onehot = lambda sets: np.array([[a in s for a in range(K)] for s in sets])  # noqa: E731
    metrics = {
        "n_takes": len(takes), "n_windows": len(gts),
        "attribute_iou@0.7": attribute_iou(preds, gts, similarity), "baseline_attribute_iou@0.7": attribute_iou(base, gts, similarity),
        **multilabel_f1(onehot(preds), onehot(gts)),
        **{f"baseline_{k}": v for k, v in multilabel_f1(onehot(base), onehot(gts)).items()},
        "bleu4": corpus_bleu(hyps, refs) if hyps else float("nan"),
        "baseline_bleu4": corpus_bleu(base_hyps, refs) if hyps else float("nan"),
        "rouge_l": float(np.mean([rouge_l(h, r) for h, r in zip(hyps, refs)])) if hyps else float("nan"),
        "baseline_rouge_l": float(np.mean([rouge_l(h, r) for h, r in zip(base_hyps, refs)])) if hyps else float("nan"),
        "proficiency_accuracy": proficiency_accuracy(prof_p, prof_t) if prof_t else float("nan"),
        "baseline_proficiency_accuracy": (proficiency_accuracy([Counter(prof_t).most_common(1)[0][0]] * len(prof_t), prof_t)
                                          if prof_t else float("nan")),
    }
    return {"metrics": metrics, "outputs": outputs}


def _select(takes: Sequence[Take], scenarios: Optional[Sequence[str]]) -> list[Take]:
    return [t for t in takes if scenarios is None or t.scenario in scenarios]


def train(root: str | Path, attributes_dir: str | Path, run_dir: str | Path, backbones: Sequence[str] = ("timesformer_video_tiny",),
          train_scenarios: Optional[Sequence[str]] = None, hidden_dim: int = 32, epochs: int = 100, seed: int = 0,
          threshold: float = 0.5, take_context: bool = True) -> Path:
    """Extract features of the training takes, fit, and write the run folder. Returns ``run_dir``."""
    attributes_dir, run = Path(attributes_dir), Path(run_dir)
    vocab = AttributeVocabulary.load(attributes_dir / "attributes.json")
    labels = [lab for s in TRAIN_SPLITS if (attributes_dir / f"window_labels_{s}.json").is_file()
              for lab in load_window_labels(attributes_dir / f"window_labels_{s}.json")[1]]
    takes = _select(load_takes(root, splits=TRAIN_SPLITS, require=("gaze", "video")).takes, train_scenarios)
    if not takes:
        raise ConfigError(f"no training takes in {root} for scenarios {train_scenarios}")
    feats = extract_features(takes, list(backbones))
    model = fit(takes, feats, labels, vocab.names, hidden_dim, epochs, seed, take_context)
    config = {"kind": "attributes", "root": str(root), "attributes_dir": str(attributes_dir), "backbones": list(backbones),
              "train_scenarios": list(train_scenarios) if train_scenarios else None, "epochs": epochs, "seed": seed,
              "n_train_takes": len(takes)}
    train_uids = {t.take_uid for t in takes}
    model.threshold = threshold
    save_run(run, model, vocab, [lab for lab in labels if lab.take_uid in train_uids], config)
    return run


def save_run(run_dir: str | Path, model: AttributeModel, vocab: AttributeVocabulary, train_labels: Sequence[WindowLabel],
             config: dict) -> Path:
    """Write mapper/probe weights (safetensors), the vocabulary, the training labels (tip bank) and the config."""
    run = Path(run_dir)
    run.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.mapper.state_dict().items()}, str(run / "mapper.safetensors"))
    save_file({k: v.contiguous() for k, v in model.probe.state_dict().items()}, str(run / "probe.safetensors"))
    vocab.save(run / "attributes.json")
    save_window_labels(run / "window_labels_train.json", train_labels, vocab)
    atomic_write_text(run / "attribute_run.json", json.dumps({
        **config, "hidden_dim": int(model.mapper.fc1.out_features), "in_dim": int(model.mapper.fc1.in_features),
        "take_context": model.take_context, "threshold": model.threshold, "attributes": list(model.names)}, indent=1))
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
    probe = torch.nn.Linear(cfg["hidden_dim"], len(PROFICIENCY_LABELS))
    probe.load_state_dict(load_file(str(run / "probe.safetensors")))
    _, labels = load_window_labels(run / "window_labels_train.json")
    return AttributeModel(mapper.eval(), probe.eval(), cfg["attributes"], cfg["threshold"], cfg["take_context"]), cfg, labels


def _eval_takes(cfg: dict, root: str | Path, split: str, scenarios: Optional[Sequence[str]]) -> list[Take]:
    return _select(load_takes(root, splits=(split,), require=("gaze", "video"), check_leakage=False).takes, scenarios)


def feedback_for_take(run_dir: str | Path, take_uid: str, root: Optional[str | Path] = None, split: str = "test",
                      max_tips: int = 3, lm_path: Optional[str] = None) -> tuple[Take, list[AttributePrediction], Feedback, list[str]]:
    """(take, predicted attributes, feedback, attribute names) for one take of ``split``."""
    model, cfg, labels = load_run(run_dir)
    root = root or cfg["root"]
    take = next((t for t in _eval_takes(cfg, root, split, None) if t.take_uid == take_uid or t.take_name == take_uid), None)
    if take is None:
        raise ConfigError(f"take {take_uid!r} is not in split {split!r} of {root}")
    feats = extract_features([take], cfg["backbones"])[take.take_uid]
    preds = predict_take(model, feats)
    gen = None
    if lm_path:
        from skillsight.attributes.llm import LocalCausalLM

        gen = LocalCausalLM(lm_path)
    return take, preds, generate_feedback(TipBank(labels), preds, model.names, take.scenario, take.task_name, max_tips, gen), model.names


def evaluate(run_dir: str | Path, root: Optional[str | Path] = None, split: str = "test",
             scenarios: Optional[Sequence[str]] = None) -> dict:
    """Evaluate a run on ``split`` (optionally some scenarios); writes ``eval_<split>.json`` into the run."""
    model, cfg, train_labels = load_run(run_dir)
    root = root or cfg["root"]
    labels_path = Path(cfg["attributes_dir"]) / f"window_labels_{split}.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{labels_path} does not exist: run `skillsight attributes discover` on {root}")
    _, test_labels = load_window_labels(labels_path)
    takes = _eval_takes(cfg, root, split, scenarios)
    feats = extract_features(takes, cfg["backbones"])
    result = evaluate_core(model, takes, feats, test_labels, train_labels)
    result["metrics"].update({"split": split, "scenarios": list(scenarios) if scenarios else None,
                              "train_scenarios": cfg["train_scenarios"]})
    atomic_write_text(Path(run_dir) / f"eval_{split}.json", json.dumps(result, indent=1))
    return result
