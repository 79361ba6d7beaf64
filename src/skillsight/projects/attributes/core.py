"""In-memory core of the attribute pipeline: fit the mapper and probe, predict, evaluate vs a baseline.

Works on :class:`~skillsight.projects.attributes.mapper.TakeFeatures` already extracted, so the benchmark and
tests can call it without decoding video. Folder-level functions live in
:mod:`skillsight.projects.attributes.pipeline`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from skillsight.data.records import PROFICIENCY_LABELS, Take
from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.config import AttributesConfig
from skillsight.projects.attributes.discovery import WindowLabel
from skillsight.projects.attributes.feedback import AttributePrediction, TipBank, generate_feedback
from skillsight.projects.attributes.mapper import AttributeMapper, TakeFeatures
from skillsight.projects.attributes.metrics import (
    attribute_iou,
    corpus_bleu,
    multilabel_f1,
    proficiency_accuracy,
    rouge_l,
    sample_iou,
)
from skillsight.projects.attributes.training import train_mapper, train_probe

__all__ = [
    "AttributeModel",
    "evaluate_core",
    "fit",
    "mapper_inputs",
    "most_frequent_sets",
    "predict_take",
    "prediction_set",
]


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
    """A trained attribute mapper, the proficiency probe on its hidden layer, the attribute names, the
    decision threshold and whether take-level context features are appended."""

    mapper: AttributeMapper
    probe: torch.nn.Module  # ProficiencyProbe: (B, H) -> {"logits": (B, C)}
    names: list[str]
    threshold: float = 0.5
    take_context: bool = True

    def second_probs(self, feats: TakeFeatures) -> np.ndarray:
        """(S, K) attribute probabilities per second."""
        x = torch.from_numpy(mapper_inputs(feats, self.take_context))
        with torch.no_grad():
            return torch.sigmoid(self.mapper(x)["logits"]).numpy()

    def proficiency(self, feats: TakeFeatures) -> int:
        x = torch.from_numpy(mapper_inputs(feats, self.take_context))
        with torch.no_grad():
            h = self.mapper.representation(x).mean(0, keepdim=True)  # (1, H)
            return int(self.probe(h)["logits"].argmax(1))


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
        y[np.ix_(idx, np.asarray(lab.attributes, dtype=np.int64))] = 1.0
    return mask, y


def _by_take(labels: Sequence[WindowLabel]) -> dict[str, list[WindowLabel]]:
    out: dict[str, list[WindowLabel]] = {}
    for lab in labels:
        out.setdefault(lab.take_uid, []).append(lab)
    return out


def fit(
    takes: Sequence[Take],
    features: dict[str, TakeFeatures],
    labels: Sequence[WindowLabel],
    names: Sequence[str],
    config: AttributesConfig | None = None,
    work_dir: str | Path | None = None,
) -> AttributeModel:
    """Train the mapper on labelled seconds of ``takes`` and the proficiency probe on their representations.

    Args:
        config: the mapper, probe and trainer settings (``attributes_tiny`` defaults when None).
        work_dir: where the two fits keep their run folders (``mapper/``, ``probe/``); None: temporary.
    """
    cfg = config or AttributesConfig()
    take_context = cfg.mapper.take_context
    per = _by_take(labels)
    xs, ys = [], []
    for t in takes:
        mask, y = _targets(features[t.take_uid], per.get(t.take_uid, []), len(names))
        xs.append(mapper_inputs(features[t.take_uid], take_context)[mask])
        ys.append(y[mask])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if len(x) == 0:
        raise ConfigError(
            f"no labelled seconds in {len(takes)} training takes (no commentary tied to attributes)"
        )
    work = Path(work_dir) if work_dir is not None else None
    mapper = train_mapper(x, y, cfg.mapper, cfg.trainer, None if work is None else work / "mapper")
    labelled = [t for t in takes if t.label is not None]
    with torch.no_grad():
        h = np.stack(
            [
                mapper.representation(torch.from_numpy(mapper_inputs(features[t.take_uid], take_context)))
                .mean(0)
                .numpy()
                for t in labelled
            ]
        )
    probe = train_probe(
        h,
        np.array([t.label for t in labelled]),
        len(PROFICIENCY_LABELS),
        cfg.probe,
        cfg.trainer,
        None if work is None else work / "probe",
    )
    threshold = cfg.mapper.threshold
    return AttributeModel(mapper, probe, list(names), threshold=threshold, take_context=take_context)


def prediction_set(probs: np.ndarray, threshold: float) -> list[int]:
    """Attributes with probability >= threshold, and always the most probable one."""
    chosen = set(np.flatnonzero(probs >= threshold).tolist()) | {int(np.argmax(probs))}
    return sorted(chosen)


def predict_take(
    model: AttributeModel, feats: TakeFeatures, window_s: float = 4.0
) -> list[AttributePrediction]:
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
        preds.append(
            AttributePrediction(int(a), float(mean[a]), tuple((round(s, 2), round(e, 2)) for s, e in wins))
        )
    return preds


def most_frequent_sets(labels: Sequence[WindowLabel], K: int) -> tuple[list[int], np.ndarray]:
    """Baseline: the m most frequent training attributes (m = rounded mean set size) and their frequencies."""
    sets = [lab.attributes for lab in labels if lab.attributes]
    freq = np.bincount([a for s in sets for a in s], minlength=K).astype(float) / max(len(sets), 1)
    m = max(1, round(float(np.mean([len(s) for s in sets])))) if sets else 1
    return sorted(np.argsort(-freq, kind="stable")[:m].tolist()), freq


def evaluate_core(
    model: AttributeModel,
    takes: Sequence[Take],
    features: dict[str, TakeFeatures],
    test_labels: Sequence[WindowLabel],
    train_labels: Sequence[WindowLabel],
    similarity: np.ndarray | None = None,
    max_tips: int = 3,
) -> dict:
    """Metrics of the model and of the most-frequent baseline on ``takes`` (windows with attributes only).

    Returns:
        ``{"metrics": {...}, "outputs": [per-take feedback], "per_window": [...]}``; ``per_window`` holds
        each scored window's ``take_uid``, ``iou`` and ``baseline_iou`` (IoU@0.7; their means are the
        two ``attribute_iou@0.7`` metrics), the units of a paired comparison with the baseline.
    """
    K = len(model.names)
    bank = TipBank(train_labels)
    base_set, base_freq = most_frequent_sets(train_labels, K)
    per = _by_take(test_labels)
    preds, base, gts, hyps, base_hyps, refs, prof_p, prof_t, outputs = [], [], [], [], [], [], [], [], []
    window_takes: list[str] = []
    for t in takes:
        f = features[t.take_uid]
        probs = model.second_probs(f)
        for lab in per.get(t.take_uid, []):
            if lab.attributes:
                preds.append(
                    prediction_set(
                        probs[_seconds_in(f.times_s, lab.start_s, lab.end_s)].mean(0), model.threshold
                    )
                )
                base.append(base_set)
                gts.append(list(lab.attributes))
                window_takes.append(t.take_uid)
        tips = [lab.text for lab in per.get(t.take_uid, []) if lab.kind == "tip"]
        fb = generate_feedback(bank, predict_take(model, f), model.names, t.scenario, t.task_name, max_tips)
        fb_base = generate_feedback(
            bank,
            [AttributePrediction(a, float(base_freq[a])) for a in base_set],
            model.names,
            t.scenario,
            t.task_name,
            max_tips,
        )
        if tips:
            hyps.append(fb.text)
            base_hyps.append(fb_base.text)
            refs.append([" ".join(tips)])
        if t.label is not None:
            prof_p.append(model.proficiency(f))
            prof_t.append(t.label)
        outputs.append(
            {"take_uid": t.take_uid, "scenario": t.scenario, "feedback": fb.format(), "source": fb.source}
        )
    if not gts:
        raise ConfigError(f"no labelled windows among {len(takes)} evaluation takes")

    def onehot(sets: Sequence[Sequence[int]]) -> np.ndarray:
        return np.array([[a in s for a in range(K)] for s in sets])

    metrics = {
        "n_takes": len(takes),
        "n_windows": len(gts),
        "attribute_iou@0.7": attribute_iou(preds, gts, similarity),
        "baseline_attribute_iou@0.7": attribute_iou(base, gts, similarity),
        **multilabel_f1(onehot(preds), onehot(gts)),
        **{f"baseline_{k}": v for k, v in multilabel_f1(onehot(base), onehot(gts)).items()},
        "bleu4": corpus_bleu(hyps, refs) if hyps else float("nan"),
        "baseline_bleu4": corpus_bleu(base_hyps, refs) if hyps else float("nan"),
        "rouge_l": float(np.mean([rouge_l(h, r) for h, r in zip(hyps, refs)])) if hyps else float("nan"),
        "baseline_rouge_l": float(np.mean([rouge_l(h, r) for h, r in zip(base_hyps, refs)]))
        if hyps
        else float("nan"),
        "proficiency_accuracy": proficiency_accuracy(prof_p, prof_t) if prof_t else float("nan"),
        "baseline_proficiency_accuracy": (
            proficiency_accuracy([Counter(prof_t).most_common(1)[0][0]] * len(prof_t), prof_t)
            if prof_t
            else float("nan")
        ),
    }
    per_window = [
        {"take_uid": uid, "iou": sample_iou(p, g, similarity), "baseline_iou": sample_iou(b, g, similarity)}
        for uid, p, b, g in zip(window_takes, preds, base, gts)
    ]
    return {"metrics": metrics, "outputs": outputs, "per_window": per_window}


def normalise_per_scenario(
    features: dict[str, TakeFeatures], takes: Sequence[Take]
) -> dict[str, TakeFeatures]:
    """Z-score every take's features with the mean/std over all seconds of its scenario's ``takes``.

    Uses only unlabelled features, so it is allowed for a held-out scenario (its test takes' own
    statistics); it removes scenario-specific offsets (colours, layout) that a mapper trained on other
    scenarios would misread. Takes not in ``takes`` are returned unchanged.
    """
    out = dict(features)
    for scenario in sorted({t.scenario for t in takes}):
        uids = [t.take_uid for t in takes if t.scenario == scenario]
        x = np.concatenate([features[u].features for u in uids])  # (sum S, D)
        mean, std = x.mean(0), x.std(0) + 1e-6
        for u in uids:
            f = features[u]
            out[u] = TakeFeatures(u, f.times_s, ((f.features - mean) / std).astype(np.float32))
    return out
