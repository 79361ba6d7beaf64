"""Benchmark: skill attributes and feedback on synthetic data, supervised vs zero-shot vs a baseline.

Writes (or reuses) a synthetic dataset with commentary, discovers attributes on its train+val
commentary, extracts per-second backbone features once, then for each held-out scenario trains
(a) on every scenario ("supervised") and (b) on the other scenarios only ("zero-shot"), and evaluates
on the held-out scenario's test takes. The baseline predicts the most frequent training attributes
(and retrieves tips for them). Every setting is also run on features z-scored per scenario with that
scenario's own unlabelled statistics (suffix ``_scnorm``). Prints one line per figure with the
baseline as reference:

    supervised_attribute_iou=VALUE ref=BASELINE ratio=VALUE/BASELINE

Usage: python benchmarks/bench_attributes.py [--root DIR] [--backbone NAME ...] [--scenarios ...]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from skillsight.config import load_config
from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.records import SCENARIOS
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.projects.attributes.core import normalise_per_scenario
from skillsight.projects.attributes.discovery import AttributeVocabulary, load_window_labels
from skillsight.projects.attributes.mapper import TakeFeatures, extract_features
from skillsight.projects.attributes.pipeline import discover, evaluate_core, fit
from skillsight.projects.attributes.synthetic import generate_synthetic_commentary


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
    rows: dict[str, list[dict]] = {
        k: [] for k in ("supervised", "zeroshot", "supervised_scnorm", "zeroshot_scnorm")
    }
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
                rows[setting + suffix].append(evaluate_core(model, test, f, test_labels, labels)["metrics"])
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
            print(f"{setting}_{name}={v:.4f} ref={r:.4f} ratio={v / r if r > 0 else float('nan'):.3f}")
    for suffix in ("", "_scnorm"):
        for key in ("attribute_iou@0.7", "rouge_l"):
            sup = float(np.mean([m[key] for m in rows["supervised" + suffix]]))
            zs = float(np.mean([m[key] for m in rows["zeroshot" + suffix]]))
            ratio = zs / sup if sup > 0 else float("nan")
            print(
                f"zeroshot{suffix}_drop_{key.replace('@0.7', '')}={sup - zs:.4f} "
                f"ref={sup:.4f} ratio={ratio:.3f}"
            )
    print(
        f"# held-out scenarios {args.scenarios}; baseline = most frequent training attributes; "
        f"{time.time() - t0:.0f} s"
    )


if __name__ == "__main__":
    main()
