"""The Expert-Novice Soccer table: both protocols, every row, 3 seeds, next to the paper's numbers.

Protocol (fixed before any test fold was looked at):

* folds: stratified 5-fold over samples (seed 0) and leave-one-player-out, written to
  ``out_dir/folds_<protocol>.json`` and checked for sample (and, for LOPO, player) overlap;
* per outer fold: lambda_dis chosen from ``distill_grid`` on an inner split of the training fold
  (a stratified quarter for k-fold, two held-out players for LOPO; seed 0), then every row trained
  with seeds 0, 1, 2 on the whole training fold and tested on the test fold;
* score: accuracy on the test samples that have both modalities (286 of 288: all rows are compared on
  the same samples); mean and standard deviation over (fold, seed) pairs; pooled (micro) accuracy and
  balanced accuracy per seed, averaged over seeds; the gaze-only rows also on all 288 samples.

Units of work are (protocol, fold); ``jobs`` > 1 runs them in forked worker processes, each with one
torch thread (the models are tiny, so processes scale better than threads).
"""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.evaluation.crossval import (
    Fold,
    check_folds,
    inner_split,
    leave_one_group_out,
    stratified_kfold,
    write_folds,
)
from skillsight.evaluation.metrics import balanced_accuracy
from skillsight.exceptions import ConfigError
from skillsight.projects.soccer.pipeline import ROWS, SoccerTrainConfig, run_fold, select_distill_weight
from skillsight.projects.soccer.reader import SoccerSample, load_soccer_dataset
from skillsight.reports.bench_lines import bench_line
from skillsight.runs.atomic import atomic_write_text
from skillsight.training.quiet import quiet_lightning

__all__ = [
    "PAPER_ACCURACY",
    "SoccerBenchConfig",
    "format_lines",
    "identity_leakage",
    "make_folds",
    "quick_config",
    "run_soccer_benchmark",
    "summarise",
]

#: SkillSight's reported Expert-Novice Soccer accuracies (%), SkillSight (Wu et al., CVPR 2026) Table 3.
PAPER_ACCURACY: dict[str, float] = {
    "student": 72.6,
    "teacher": 73.3,
    "motion_only": 71.2,
    "gaze_only": 66.0,
    "majority": 50.0,
}
PROTOCOLS = ("kfold", "lopo")


@dataclass
class SoccerBenchConfig:
    """Benchmark settings; :func:`quick_config` gives the CI-sized variant."""

    root: str
    out_dir: str = "runs/bench_soccer"
    num_steps: int = 16
    seeds: tuple[int, ...] = (0, 1, 2)
    kfold_k: int = 5
    fold_seed: int = 0
    protocols: tuple[str, ...] = PROTOCOLS
    select_weight: bool = True  # inner-validation choice of lambda_dis (else train.distill_grid[0])
    jobs: int = 2
    quick: bool = False
    train: SoccerTrainConfig = field(default_factory=SoccerTrainConfig)


def quick_config(root: str, out_dir: str = "runs/bench_soccer_quick", jobs: int = 2) -> SoccerBenchConfig:
    """CI-sized run: 1 seed, 3 epochs, 8 steps, no inner search (lambda_dis fixed at 1): a smoke test
    of the whole protocol, NOT a result."""
    train = SoccerTrainConfig(epochs=3, distill_grid=(1.0,))
    return SoccerBenchConfig(
        root=root,
        out_dir=out_dir,
        num_steps=8,
        seeds=(0,),
        select_weight=False,
        jobs=jobs,
        quick=True,
        train=train,
    )


def make_folds(samples: Sequence[SoccerSample], protocol: str, k: int = 5, seed: int = 0) -> list[Fold]:
    """Folds of a protocol, checked: test parts partition the samples; LOPO keeps players apart."""
    ids = [s.sample_id for s in samples]
    players = {s.sample_id: f"player{s.player}" for s in samples}
    if protocol == "kfold":
        folds = stratified_kfold(ids, [s.label for s in samples], k, seed)
        check_folds(folds, all_ids=ids)
    elif protocol == "lopo":
        folds = leave_one_group_out(ids, [players[i] for i in ids])
        check_folds(folds, all_ids=ids, groups=players)
    else:
        raise ConfigError(f"unknown protocol {protocol!r}; valid: {PROTOCOLS}")
    return folds


_SAMPLES: dict[str, SoccerSample] = {}  # set before forking: workers read it without pickling


def _run_unit(args: tuple[str, Fold, SoccerBenchConfig]) -> dict[str, Any]:
    import torch

    protocol, fold, cfg = args
    quiet_lightning()
    torch.set_num_threads(1)
    start = time.time()
    samples = _SAMPLES
    weight = cfg.train.distill_grid[0]
    inner_scores: dict[float, float] = {}
    if cfg.select_weight and len(cfg.train.distill_grid) > 1 and "student" in cfg.train.rows:
        train = [samples[i] for i in fold.train]
        groups = [f"player{s.player}" for s in train] if protocol == "lopo" else None
        inner = inner_split(fold.train, [s.label for s in train], groups, val_fraction=0.25, seed=0)
        weight, inner_scores = select_distill_weight(samples, inner, cfg.train, seed=0)
    records = []
    for seed in cfg.seeds:
        for rec in run_fold(samples, fold, cfg.train, seed, weight):
            records.append({**rec, "protocol": protocol})
    return {
        "protocol": protocol,
        "fold": fold.name,
        "distill_weight": weight,
        "inner_scores": {str(k): v for k, v in inner_scores.items()},
        "records": records,
        "seconds": time.time() - start,
    }


def run_soccer_benchmark(cfg: SoccerBenchConfig, log: Callable[[str], Any] = print) -> dict[str, Any]:
    """Run every (protocol, fold) unit; write folds, predictions.csv and results.json under out_dir.

    Returns the results dict (summary per protocol and row, chosen weights, timings).
    """
    global _SAMPLES
    start = time.time()
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    dataset = load_soccer_dataset(cfg.root, num_steps=cfg.num_steps)
    log(dataset.report())
    _SAMPLES = {s.sample_id: s for s in dataset.samples}
    units: list[tuple[str, Fold, SoccerBenchConfig]] = []
    leakage: dict[str, float] = {}
    for protocol in cfg.protocols:
        folds = make_folds(dataset.samples, protocol, cfg.kfold_k, cfg.fold_seed)
        meta = {"k": cfg.kfold_k, "seed": cfg.fold_seed} if protocol == "kfold" else {"group": "player"}
        write_folds(out / f"folds_{protocol}.json", protocol, folds, meta)
        if protocol == "kfold":
            leakage = identity_leakage(dataset.samples, folds)
        units.extend((protocol, fold, cfg) for fold in folds)
    log(
        f"loaded in {time.time() - start:.1f} s; {len(units)} (protocol, fold) units, "
        f"seeds {list(cfg.seeds)}, jobs {cfg.jobs}"
    )
    results = []
    if cfg.jobs > 1:
        import multiprocessing as mp

        with mp.get_context("fork").Pool(cfg.jobs) as pool:
            for res in pool.imap_unordered(_run_unit, units):
                log(
                    f"  {res['protocol']} {res['fold']}: lambda_dis={res['distill_weight']:g} "
                    f"{res['inner_scores']} ({res['seconds']:.0f} s)"
                )
                results.append(res)
    else:
        quiet_lightning()
        for unit in units:
            res = _run_unit(unit)
            log(
                f"  {res['protocol']} {res['fold']}: lambda_dis={res['distill_weight']:g} "
                f"({res['seconds']:.0f} s)"
            )
            results.append(res)
    records = [r for res in results for r in res["records"]]
    _write_predictions(out / "predictions.csv", records)
    summary = summarise(records, cfg.train.rows)
    payload = {
        "config": {**asdict(cfg), "train": asdict(cfg.train)},
        "summary": summary,
        "identity_leakage_kfold": leakage,
        "distill_weights": {f"{r['protocol']}/{r['fold']}": r["distill_weight"] for r in results},
        "inner_scores": {f"{r['protocol']}/{r['fold']}": r["inner_scores"] for r in results},
        "wall_seconds": time.time() - start,
        "dataset_report": dataset.report(),
    }
    atomic_write_text(out / "results.json", json.dumps(payload, indent=1, default=str) + "\n")
    return payload


def _write_predictions(path: Path, records: list[dict[str, Any]]) -> None:
    keys = [
        "protocol",
        "fold",
        "seed",
        "row",
        "sample_id",
        "player",
        "label",
        "pred",
        "p_expert",
        "has_motion",
        "distill_weight",
    ]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=keys)
        writer.writeheader()
        for rec in sorted(records, key=lambda r: (r["protocol"], r["row"], r["seed"], r["sample_id"])):
            writer.writerow({k: rec.get(k) for k in keys})
    os.replace(tmp, path)


def summarise(
    records: list[dict[str, Any]], rows: Sequence[str] = ROWS
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per protocol and row: accuracy (%) mean/std over (fold, seed) on samples with both modalities,
    pooled accuracy and balanced accuracy (mean over seeds), and pooled accuracy on all samples."""
    summary: dict[str, dict[str, dict[str, Any]]] = {}
    for protocol in sorted({r["protocol"] for r in records}):
        summary[protocol] = {}
        for row in rows:
            recs = [r for r in records if r["protocol"] == protocol and r["row"] == row]
            if not recs:
                continue
            common = [r for r in recs if r["has_motion"]]
            per_run: dict[tuple[str, int], list[bool]] = {}
            for r in common:
                per_run.setdefault((r["fold"], r["seed"]), []).append(r["pred"] == r["label"])
            accs = np.array([100.0 * np.mean(v) for v in per_run.values()])
            seeds = sorted({r["seed"] for r in recs})
            pooled, balanced, pooled_all = [], [], []
            for seed in seeds:
                mine = [r for r in common if r["seed"] == seed]
                y, p = [r["label"] for r in mine], [r["pred"] for r in mine]
                pooled.append(100.0 * np.mean(np.array(y) == np.array(p)))
                balanced.append(100.0 * balanced_accuracy(y, p, 2))
                every = [r for r in recs if r["seed"] == seed]
                pooled_all.append(100.0 * np.mean([r["pred"] == r["label"] for r in every]))
            summary[protocol][row] = {
                "acc_mean": float(accs.mean()),
                "acc_std": float(accs.std()),
                "runs": int(accs.size),
                "pooled_acc": float(np.mean(pooled)),
                "balanced_acc": float(np.mean(balanced)),
                "pooled_acc_all_samples": float(np.mean(pooled_all)),
                "n_test": len(common) // max(1, len(seeds)),
                "n_test_all": len(recs) // max(1, len(seeds)),
            }
    return summary


def identity_leakage(samples: Sequence[SoccerSample], folds: Sequence[Fold]) -> dict[str, float]:
    """How much of the label a model can get by recognising the PERSON (k-fold only).

    A nearest-centroid classifier on each sample's time-averaged gaze channels (z-scored with the
    training fold's statistics) names the player of every test sample; predicting that player's
    training-majority label is a skill classifier that knows nothing about skill. Returns the mean
    over folds of both accuracies (%), for all channels and for the pupil-centre channels alone.
    """
    ids = [s.sample_id for s in samples]
    X = np.stack([s.gaze.mean(axis=0) for s in samples])  # (n, Cg)
    players = np.array([s.player for s in samples])
    labels = np.array([s.label for s in samples])
    names = samples[0].gaze_channel_names
    subsets = {
        "all": list(range(len(names))),
        "pupil_centre": [j for j, n in enumerate(names) if n.startswith("pc")],
    }
    out: dict[str, float] = {}
    for subset, cols in subsets.items():
        if not cols:
            continue
        ident, via = [], []
        for fold in folds:
            test = np.isin(ids, fold.test)
            train = ~test
            mu, sd = X[train][:, cols].mean(0), X[train][:, cols].std(0) + 1e-9
            Z = (X[:, cols] - mu) / sd  # (n, c)
            known = sorted(set(players[train].tolist()))
            centroids = np.stack([Z[train & (players == p)].mean(0) for p in known])  # (P, c)
            nearest = np.argmin(((Z[test][:, None] - centroids[None]) ** 2).sum(-1), axis=1)  # (n_test,)
            guessed = np.array(known)[nearest]
            majority = {p: int(labels[train & (players == p)].mean() > 0.5) for p in known}
            ident.append(np.mean(guessed == players[test]))
            via.append(np.mean(np.array([majority[p] for p in guessed]) == labels[test]))
        out[f"player_id_acc_{subset}"] = 100.0 * float(np.mean(ident))
        out[f"label_via_player_acc_{subset}"] = 100.0 * float(np.mean(via))
    return out


def format_lines(summary: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """One ``name=VALUE ref=VALUE ratio=VALUE ref_kind=paper`` line per (protocol, row).

    The paper's majority row (50.0) is what a constant prediction scores in balanced accuracy (the
    dataset is not balanced: the training majority scores 55-60 % plain accuracy), so the majority
    line compares our balanced accuracy with it; every other row compares plain accuracy, as the paper.
    """
    lines = []
    for protocol, rows in summary.items():
        for row, s in rows.items():
            ref: float | None = PAPER_ACCURACY.get(row)
            metric = "balanced" if row == "majority" else "acc"
            value = s["balanced_acc"] if row == "majority" else s["acc_mean"]
            lines.append(
                bench_line(
                    f"soccer_{protocol}_{row}_{metric}",
                    value,
                    ref,
                    ref_kind="paper" if ref is not None else "none",
                    digits=3,
                    acc=f"{s['acc_mean']:.1f}",
                    std=f"{s['acc_std']:.1f}",
                    pooled=f"{s['pooled_acc']:.1f}",
                    balanced=f"{s['balanced_acc']:.1f}",
                    all_samples=f"{s['pooled_acc_all_samples']:.1f}",
                    runs=s["runs"],
                    n_test=s["n_test"],
                )
            )
    return lines
