"""Why a claim holds or does not: the measurements behind the verdicts (issue 13 item 5).

On the first seed's runs of a condition:

* **Distillation target from gaze** (``target_from_gaze``): out-of-sample ridge R² of the frozen
  teacher's features (the student's distillation target) and of each branch's embedding, predicted
  from per-clip gaze statistics (masked mean, standard deviation and mean absolute step of the 14 gaze
  channels, plus the scenario), fitted on the training takes' clips and scored on the validation
  takes' clips. A target that gaze predicts well carries little the student could not learn alone.
* **Label information per branch** (``branch_labels``): held-out (validation) accuracy of a logistic
  probe of the label from each of the teacher's branch embeddings (take mean of its 10 clips), from
  all of them, and from the gaze statistics; and the teacher's own validation accuracy when one
  branch's embedding is replaced by its training mean (how much the fused head relies on it).
* **Complementarity** (``complementarity``): on the test takes, pooled over seeds, how often one row
  is right where another is wrong (e.g. the video-only gaze-attention branch where the gaze-dynamics
  branch fails): a video branch that only repeats the gaze branch cannot add to it.
* **Sweeps** (``sweeps``, default difficulty only): the student's gain over the undistilled student,
  on the validation takes (paired bootstrap), against lambda_dis and against the training-set size
  (a stratified fraction of the training takes; teacher, student and undistilled student retrained on
  it, epochs scaled so every run keeps its number of optimiser steps).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.claims.dataset import training_subset
from skillsight.claims.plan import ROWS, BenchPlan
from skillsight.claims.probes import logistic_probe, ridge_r2
from skillsight.claims.rows import SeedPredictions, train_row
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.evaluation.paired_stats import paired_bootstrap
from skillsight.exceptions import ConfigError
from skillsight.models.skillsight_teacher import SkillSightTeacher
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "branch_labels",
    "clip_gaze_statistics",
    "complementarity",
    "run_mechanism",
    "sweeps",
    "target_from_gaze",
    "teacher_outputs",
]

_BRANCHES = ("video_embedding", "crop_embedding", "gaze_embedding")
#: (row that may add, row it may add to): the pairs whose complementarity is measured
_PAIRS = (
    ("teacher_gaze_attention", "teacher_gaze_dynamics"),
    ("teacher_crops", "teacher_gaze_dynamics"),
    ("timesformer", "gaze_only"),
    ("teacher", "gaze_only"),
)


def clip_gaze_statistics(clips: Any) -> tuple[np.ndarray, np.ndarray]:
    """Per-clip gaze features (N_clips, 3C + scenarios) and the take index of each clip.

    Masked mean, standard deviation and mean absolute step of every gaze channel over the clip's valid
    steps, then a one-hot scenario. ``clips``: a test-mode clip dataset with ``gaze``, ``gaze_mask``.
    """
    rows, takes = [], []
    for i in range(len(clips)):
        item = clips[i]
        gaze = np.asarray(item["gaze"], dtype=np.float64)  # (T, C)
        valid = np.asarray(item["gaze_mask"], dtype=bool)  # (T,)
        g = gaze[valid] if valid.sum() >= 2 else gaze
        step = np.abs(np.diff(g, axis=0)).mean(0)
        scenario = np.zeros(len(SCENARIOS))
        scenario[int(item["scenario"])] = 1.0
        rows.append(np.concatenate([g.mean(0), g.std(0), step, scenario]))
        takes.append(i // clips.num_clips)
    return np.stack(rows), np.asarray(takes)


@torch.no_grad()
def teacher_outputs(teacher: torch.nn.Module, clips: Any, batch_size: int = 32) -> dict[str, np.ndarray]:
    """The teacher's ``features``, branch embeddings and ``logits`` for every clip, in dataset order."""
    from torch.utils.data import DataLoader

    from skillsight.models import model_inputs
    from skillsight.training.skill_data import collate

    teacher.eval()
    names = model_inputs(teacher)
    parts: dict[str, list[np.ndarray]] = {}
    for batch in DataLoader(clips, batch_size=batch_size, shuffle=False, collate_fn=collate):
        out = teacher(**{n: batch[n] for n in names})
        for key in ("features", "logits", *_BRANCHES):
            if key in out:
                parts.setdefault(key, []).append(out[key].float().numpy())
        parts.setdefault("label", []).append(batch["label"].numpy())
    return {k: np.concatenate(v) for k, v in parts.items()}


def _take_means(values: np.ndarray, takes: np.ndarray) -> np.ndarray:
    return np.stack([values[takes == t].mean(0) for t in np.unique(takes)])


def target_from_gaze(
    gaze_train: np.ndarray, takes_train: np.ndarray, out_train: dict, gaze_val: np.ndarray, out_val: dict
) -> dict[str, Any]:
    """Ridge R² (validation clips) of the teacher's features and of each branch, from gaze statistics."""
    result: dict[str, Any] = {}
    for key in ("features", *_BRANCHES):
        if key in out_train:
            probe = ridge_r2(gaze_train, out_train[key], gaze_val, out_val[key], groups=takes_train)
            result[key] = {**probe.to_dict(), "dim": int(out_train[key].shape[1])}
    return result


def branch_labels(
    teacher: SkillSightTeacher,
    gaze_train: np.ndarray,
    takes_train: np.ndarray,
    out_train: dict,
    gaze_val: np.ndarray,
    takes_val: np.ndarray,
    out_val: dict,
) -> dict[str, Any]:
    """Logistic label probes per branch (validation takes) and the fused head's reliance on each branch."""
    n_classes = len(PROFICIENCY_LABELS)
    y_train = _take_means(out_train["label"].astype(float), takes_train).round().astype(int)
    y_val = _take_means(out_val["label"].astype(float), takes_val).round().astype(int)
    inputs = {k: k for k in _BRANCHES if k in out_train}
    probes: dict[str, Any] = {}
    for key in [*inputs, "features"]:
        x_tr, x_va = _take_means(out_train[key], takes_train), _take_means(out_val[key], takes_val)
        probes[key] = logistic_probe(x_tr, y_train, x_va, y_val, n_classes).to_dict()
    gaze = logistic_probe(
        _take_means(gaze_train, takes_train), y_train, _take_means(gaze_val, takes_val), y_val, 4
    )
    probes["gaze_statistics"] = gaze.to_dict()
    reliance: dict[str, float] = {}
    widths = [out_train[k].shape[1] for k in _BRANCHES if k in out_train]
    bounds = np.cumsum([0, *widths])
    features = torch.as_tensor(out_val["features"])
    with torch.no_grad():
        full = teacher.forward_head(features).numpy()
        reliance["none_replaced"] = float((_take_means(full, takes_val).argmax(-1) == y_val).mean())
        for key, lo, hi in zip(inputs, bounds[:-1], bounds[1:], strict=True):
            replaced = features.clone()
            replaced[:, lo:hi] = torch.as_tensor(out_train["features"][:, lo:hi].mean(0))
            logits = teacher.forward_head(replaced).numpy()
            reliance[f"{key}_replaced"] = float((_take_means(logits, takes_val).argmax(-1) == y_val).mean())
    return {"label_probe_val_accuracy": probes, "teacher_val_accuracy_with_branch_at_mean": reliance}


def complementarity(predictions: dict[str, dict[int, SeedPredictions]]) -> dict[str, Any]:
    """P(A right | B wrong), P(A right | B right) and the union accuracy on the test takes, over seeds."""
    result: dict[str, Any] = {}
    for a, b in _PAIRS:
        if a not in predictions or b not in predictions:
            continue
        seeds = sorted(set(predictions[a]) & set(predictions[b]))
        ca = np.concatenate([predictions[a][s].correct for s in seeds]) > 0
        cb = np.concatenate([predictions[b][s].correct for s in seeds]) > 0
        result[f"{a}|{b}"] = {
            "p_a_right_given_b_wrong": float(ca[~cb].mean()) if (~cb).any() else float("nan"),
            "p_a_right_given_b_right": float(ca[cb].mean()) if cb.any() else float("nan"),
            "union_accuracy": float((ca | cb).mean()),
            "a_accuracy": float(ca.mean()),
            "b_accuracy": float(cb.mean()),
            "n": int(ca.size),
        }
    return result


def _val_correct(run_dir: Path, cache_root: Path) -> tuple[np.ndarray, list[str]]:
    from skillsight.training.skill_run import predict_split

    preds, _ = predict_split(run_dir, "val", cache_root, show_progress=False)
    return (preds.labels == preds.predicted).astype(float), preds.take_uids


def _gain(run: Path, reference: Path, cache_root: Path, name: str) -> dict[str, Any]:
    a, uids_a = _val_correct(run, cache_root)
    b, uids_b = _val_correct(reference, cache_root)
    if uids_a != uids_b:
        raise ValueError(f"{run} and {reference} were scored on different validation takes")
    d = paired_bootstrap(a, b, name_a=name, name_b="student_no_distill")
    return {**d.to_dict(), "accuracy": float(a.mean()), "reference_accuracy": float(b.mean())}


def sweeps(plan: BenchPlan, data_root: Path, cond_dir: Path, log: Callable[[str], None]) -> dict[str, Any]:
    """Student gain over the undistilled student on validation takes, vs lambda_dis and training size."""
    rows = {r.key: r for r in ROWS}
    seed = plan.seeds[0]
    seed_dir, cache = cond_dir / f"seed{seed}", cond_dir / "cache"
    reference = seed_dir / "student_no_distill"
    lambdas: dict[str, Any] = {"1": _gain(seed_dir / "student", reference, cache, "student_lambda1")}
    for lam in plan.sweep_lambdas:
        name = f"student_lambda{lam:g}"
        _, run = train_row(
            rows["student"],
            plan,
            data_root,
            seed_dir,
            seed,
            cache,
            log,
            (f"task.distill_weight={lam}",),
            name,
        )
        lambdas[f"{lam:g}"] = _gain(run, reference, cache, name)
    sizes: dict[str, Any] = {}
    for fraction in plan.sweep_fractions:
        sub_dir = cond_dir / "mechanism" / f"train_fraction_{fraction:g}"
        sub_root = training_subset(data_root, fraction, seed, sub_dir / "data")
        sub_plan = dataclasses.replace(
            plan,
            video_epochs=max(1, round(plan.video_epochs / fraction)),
            gaze_epochs=max(1, round(plan.gaze_epochs / fraction)),
        )
        every = (f"trainer.check_val_every_n_epoch={max(1, round(1 / fraction))}",)
        runs = {}
        for key in ("teacher", "student", "student_no_distill"):
            _, runs[key] = train_row(rows[key], sub_plan, sub_root, sub_dir, seed, cache, log, every)
        entry = _gain(runs["student"], runs["student_no_distill"], cache, "student")
        entry["train_takes"] = json.loads((sub_root / ".subset_done").read_text())["train_takes"]
        sizes[f"{fraction:g}"] = entry
    full = _gain(seed_dir / "student", reference, cache, "student")
    sizes["1"] = {**full, "train_takes": None}
    return {"lambda_dis": lambdas, "train_fraction": sizes, "split": "val", "seed": seed}


def run_mechanism(
    plan: BenchPlan,
    data_root: Path,
    cond_dir: Path,
    run_dirs: dict[tuple[str, int], Path],
    predictions: dict[str, dict[int, SeedPredictions]],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Every mechanism measurement the plan's rows allow (see the module docstring)."""
    from skillsight.runs.checkpoint import load_model
    from skillsight.runs.run_config import load_run_config
    from skillsight.training.skill_data import load_skill_data
    from skillsight.training.skill_run import split_clip_dataset

    result: dict[str, Any] = {"complementarity": complementarity(predictions)}
    seed = plan.seeds[0]
    cache = cond_dir / "cache"
    stored_path = cond_dir / "mechanism" / "mechanism.json"
    key = _mechanism_key(plan, run_dirs)
    if stored_path.is_file():  # the probes of the same first-seed runs and sweeps: read back
        stored = json.loads(stored_path.read_text())
        if stored.get("key") == key:
            log(f"[{plan.condition.name}] mechanism: reusing {stored_path}")
            return {**{k: v for k, v in stored.items() if k not in ("key", "seed")}, **result}
    if ("teacher", seed) in run_dirs and ("student", seed) in run_dirs:
        log(f"[{plan.condition.name}] mechanism: probes on the seed-{seed} teacher")
        teacher_dir, student_dir = run_dirs[("teacher", seed)], run_dirs[("student", seed)]
        teacher, tcfg = load_model(teacher_dir / "model"), load_run_config(teacher_dir)
        if not isinstance(teacher, SkillSightTeacher):
            raise ConfigError(f"{teacher_dir} holds a {type(teacher).__name__}, not a SkillSight teacher")
        student, scfg = load_model(student_dir / "model"), load_run_config(student_dir)
        data = load_skill_data(tcfg.data)
        gaze, takes, outs = {}, {}, {}
        for split in ("train", "val"):
            gaze[split], takes[split] = clip_gaze_statistics(
                split_clip_dataset(student, scfg, data, split, cache)
            )
            outs[split] = teacher_outputs(teacher, split_clip_dataset(teacher, tcfg, data, split, cache))
        result["target_from_gaze_r2"] = target_from_gaze(
            gaze["train"], takes["train"], outs["train"], gaze["val"], outs["val"]
        )
        result["branch_labels"] = branch_labels(
            teacher, gaze["train"], takes["train"], outs["train"], gaze["val"], takes["val"], outs["val"]
        )
    wanted = {"teacher", "student", "student_no_distill"}
    if (
        plan.condition.difficulty == "default"
        and wanted <= set(plan.rows)
        and (plan.sweep_lambdas or plan.sweep_fractions)
    ):
        log(f"[{plan.condition.name}] mechanism: lambda_dis and training-size sweeps (validation takes)")
        result["sweeps"] = sweeps(plan, data_root, cond_dir, log)
    stored_path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"key": key, "seed": seed, **result}, indent=1, default=float)
    atomic_write_text(stored_path, text)
    return result


def _mechanism_key(plan: BenchPlan, run_dirs: dict[tuple[str, int], Path]) -> dict[str, Any]:
    """What the stored probes and sweeps depend on: the first seed's run weights and the sweep knobs."""
    from skillsight.runs.hashes import weights_sha256

    seed = plan.seeds[0]
    weights = {
        key: weights_sha256(run_dirs[(key, seed)])[:16]
        for key in ("teacher", "student", "student_no_distill")
        if (key, seed) in run_dirs
    }
    knobs = {k: v for k, v in plan.to_dict().items() if k not in ("seeds", "mechanism", "n_resamples")}
    return {"seed": seed, "weights": weights, "plan": json.loads(json.dumps(knobs, default=str))}
