"""Benchmark: skill attributes and feedback on synthetic data, supervised vs zero-shot vs a baseline.

Writes (or reuses) a synthetic dataset with commentary, discovers attributes on its train+val
commentary, extracts per-second backbone features once, then for each held-out scenario trains
(a) on every scenario ("supervised") and (b) on the other scenarios only ("zero-shot"), and evaluates
on the held-out scenario's test takes. The baseline predicts the most frequent training attributes
(and retrieves tips for them). Every setting is also run on features z-scored per scenario with that
scenario's own unlabelled statistics (suffix ``_scnorm``). Prints one line per figure with the
baseline as reference:

    supervised_attribute_iou=VALUE ref=BASELINE ratio=VALUE/BASELINE ref_kind=same_run ref_name=most_frequent

and one claim per setting, "<setting> > most_frequent" on attribute IoU@0.7, from the shared statistics
helper (``skillsight.evaluation.paired_stats``): the paired difference on the same test windows, pooled
over the held-out scenarios, with a 95 % interval from resampling test *takes* within each scenario
(a take's windows stay together: they share its features). Where a claim does not hold, the run
reports why in a sentence with its numbers (the same mapper's IoU on its own training windows).
``--json PATH`` writes the figures, the claims and every window's IoU.

Usage: python benchmarks/bench_attributes.py [--root DIR] [--backbone NAME ...] [--scenarios ...]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.config import load_config
from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.records import SCENARIOS
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.evaluation.paired_stats import PairedDifference, pooled_paired_bootstrap
from skillsight.projects.attributes.core import normalise_per_scenario
from skillsight.projects.attributes.discovery import AttributeVocabulary, load_window_labels
from skillsight.projects.attributes.mapper import TakeFeatures, extract_features
from skillsight.projects.attributes.pipeline import discover, evaluate_core, fit
from skillsight.projects.attributes.synthetic import generate_synthetic_commentary
from skillsight.reports.bench_lines import bench_line, claim_line

SETTINGS = ("supervised", "zeroshot", "supervised_scnorm", "zeroshot_scnorm")


def _take_metric(windows: list[dict[str, Any]], key: str) -> tuple[Callable[[np.ndarray], float], int]:
    """(metric over an index array of takes: mean ``key`` of their windows, number of takes)."""
    uids = sorted({w["take_uid"] for w in windows})
    per_take = [np.array([w[key] for w in windows if w["take_uid"] == u]) for u in uids]
    return (lambda idx: float(np.concatenate([per_take[i] for i in idx]).mean())), len(uids)


def _claim(runs: list[list[dict[str, Any]]], setting: str) -> PairedDifference:
    """ "setting > most_frequent" on IoU@0.7, pooled over held-out scenarios, takes resampled."""
    model = [_take_metric(w, "iou") for w in runs]
    base = [_take_metric(w, "baseline_iou") for w in runs]
    return pooled_paired_bootstrap(
        [m for m, _ in model],
        [b for b, _ in base],
        [n for _, n in model],
        name_a=setting,
        name_b="most_frequent",
    )


def _why(setting: str, claim: PairedDifference, test_iou: float, train_iou: float, base: float) -> str:
    """The measured reason a claim does not hold: does the mapper fit its own training windows?"""
    if train_iou > base + 0.1:
        cause = (
            "it fits its training takes but does not carry that to unseen takes: the random-init "
            "backbone features hold too little attribute signal"
        )
    else:
        cause = "it does not even fit its own training windows: the features barely encode the attributes"
    half_width = (claim.ci_high - claim.ci_low) / 2
    return (
        f"{setting} reaches IoU {test_iou:.3f} on held-out windows (baseline {base:.3f}, difference "
        f"{claim.difference:+.3f}, interval [{claim.ci_low:+.3f}, {claim.ci_high:+.3f}], half-width "
        f"{half_width:.3f} from only {claim.n_units} test takes) and {train_iou:.3f} on its own training "
        f"windows: {cause}."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=None, help="synthetic dataset root (generated when missing)")
    ap.add_argument("--takes-per-level", type=int, default=4)
    ap.add_argument(
        "--backbone",
        nargs="+",
        default=["skillsight_student_tiny", "test_timesformer_video"],
        help="registered backbones (features concatenated): gaze student + a tiny video model for CPU speed",
    )
    ap.add_argument(
        "--scenarios", nargs="+", default=list(SCENARIOS), help="held-out scenarios (one at a time)"
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, default=None, help="write figures, claims and per-window IoUs")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads; 1 avoids thread thrashing on small matrices on a shared CPU",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    root = Path(args.root or Path("runs") / "bench_attributes")
    if not (root / "takes.json").is_file():
        generate_synthetic_dataset(root, takes_per_level=args.takes_per_level, seed=args.seed, workers=2)
    generate_synthetic_commentary(root, seed=args.seed)
    attr_dir = root / "attributes_bench"
    vocab: AttributeVocabulary = discover(root, attr_dir, seed=args.seed)
    print(f"# attributes: {vocab.names}")
    _, train_labels = load_window_labels(attr_dir / "window_labels_train.json")
    train_labels += load_window_labels(attr_dir / "window_labels_val.json")[1]
    _, test_labels = load_window_labels(attr_dir / "window_labels_test.json")
    train_takes = load_takes(root, splits=("train", "val"), require=("gaze", "video")).takes
    test_takes = load_takes(root, splits=("test",), require=("gaze", "video"), check_leakage=False).takes
    cache = attr_dir / f"features_{'+'.join(args.backbone)}.npz"
    if cache.is_file():  # per-second features of the same dataset and backbones, from an earlier run
        z = np.load(cache)
        feats = {
            t.take_uid: TakeFeatures(t.take_uid, z[f"{t.take_uid}/t"], z[f"{t.take_uid}/x"])
            for t in train_takes + test_takes
        }
    else:
        feats = extract_features(train_takes + test_takes, args.backbone)
        np.savez(
            cache,
            **{f"{u}/t": f.times_s for u, f in feats.items()},
            **{f"{u}/x": f.features for u, f in feats.items()},
        )
    print(
        f"# features: {len(feats)} takes, dim {next(iter(feats.values())).features.shape[1]}, "
        f"{time.time() - t0:.0f} s"
    )
    fit_cfg = load_config("attributes_tiny", [f"trainer.seed={args.seed}"], method="attributes")
    # "_scnorm": features z-scored per scenario with that scenario's own (unlabelled) statistics
    normed = normalise_per_scenario(feats, train_takes + test_takes)
    rows: dict[str, list[dict]] = {k: [] for k in SETTINGS}
    windows: dict[str, list[list[dict[str, Any]]]] = {k: [] for k in SETTINGS}
    train_iou: dict[str, list[float]] = {k: [] for k in SETTINGS}
    for held in args.scenarios:
        test = [t for t in test_takes if t.scenario == held]
        for setting, train in (
            ("supervised", train_takes),
            ("zeroshot", [t for t in train_takes if t.scenario != held]),
        ):
            train_uids = {t.take_uid for t in train}
            labels = [lab for lab in train_labels if lab.take_uid in train_uids]
            for suffix, f in (("", feats), ("_scnorm", normed)):
                model = fit(train, f, labels, vocab.names, fit_cfg)
                result = evaluate_core(model, test, f, test_labels, labels)
                rows[setting + suffix].append(result["metrics"])
                windows[setting + suffix].append(result["per_window"])
                own = evaluate_core(model, train, f, labels, labels)["metrics"]["attribute_iou@0.7"]
                train_iou[setting + suffix].append(own)
    for setting, ms in rows.items():
        for key, ref in (
            ("attribute_iou@0.7", "baseline_attribute_iou@0.7"),
            ("rouge_l", "baseline_rouge_l"),
            ("bleu4", "baseline_bleu4"),
            ("micro_f1", "baseline_micro_f1"),
            ("proficiency_accuracy", "baseline_proficiency_accuracy"),
        ):
            v, r = float(np.mean([m[key] for m in ms])), float(np.mean([m[ref] for m in ms]))
            name = key.replace("@0.7", "").replace("micro_f1", "attribute_micro_f1")
            print(bench_line(f"{setting}_{name}", v, r, ref_kind="same_run", ref_name="most_frequent"))
    for suffix in ("", "_scnorm"):
        for key in ("attribute_iou@0.7", "rouge_l"):
            sup = float(np.mean([m[key] for m in rows["supervised" + suffix]]))
            zs = float(np.mean([m[key] for m in rows["zeroshot" + suffix]]))
            ratio = zs / sup if sup > 0 else float("nan")
            drop = f"zeroshot{suffix}_drop_{key.replace('@0.7', '')}"
            print(
                bench_line(drop, sup - zs, sup, ref_kind="same_run", ref_name="supervised", zs_over_sup=ratio)
            )
    claims = {setting: _claim(windows[setting], setting) for setting in SETTINGS}
    why = {}
    for setting, claim in claims.items():
        print(claim_line("attribute_iou", claim))
        if not claim.holds:
            test_iou = float(np.mean([m["attribute_iou@0.7"] for m in rows[setting]]))
            base = float(np.mean([m["baseline_attribute_iou@0.7"] for m in rows[setting]]))
            why[setting] = _why(setting, claim, test_iou, float(np.mean(train_iou[setting])), base)
    for setting, sentence in why.items():
        print(f"# why {setting}-most_frequent does not hold: {sentence}")
    seconds = time.time() - t0
    print(
        f"# held-out scenarios {args.scenarios}; baseline = most frequent training attributes; "
        f"{seconds:.0f} s"
    )
    if args.json:
        payload = {
            "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
            "metrics": rows,
            "train_attribute_iou": train_iou,
            "claims": {s: {**c.to_dict(), "summary": c.summary()} for s, c in claims.items()},
            "why": why,
            "per_window": windows,
            "held_out": list(args.scenarios),
            "seconds": seconds,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, sort_keys=True) + "\n")
        print(f"# wrote {args.json}")


if __name__ == "__main__":
    main()
