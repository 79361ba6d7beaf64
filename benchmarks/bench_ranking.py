"""Li et al. 2019's comparison on synthetic pairwise-skill videos: the spatial-attention RNN, its four
ablations, the four attention modules of their Table 1 swapped in, and the Doughty et al. 2018
two-stream TSN; 4-fold cross-validation over several generator/training seeds (CPU, tiny sizes).

For each seed a synthetic set is written (hand-like blob drawing on a paper sheet, identical-looking
distractor blob with skill-independent motion elsewhere; EPIC-Skills layout, read back by the real
reader); every row is trained and scored through the same pipeline as ``skillsight rank train`` on
the same folds, so rows are paired on the same validation pairs.

Printed figures (``name=VALUE ref=VALUE ratio=VALUE``, references measured in the same run):

* per row and fold: ``ranking_acc_<row>_seed<s>_fold<k>``;
* per row: ``ranking_acc_<row>_mean`` (over every seed x fold) vs the full model's mean, with the
  spread over seed x fold and how many seed x fold runs it is ahead of / behind the full model;
* per row, the claim "full > row" (``claim_ranking_full_vs_<row>=DIFF ci95=[LO,HI] runs=K/N n=PAIRS
  verdict=...`` plus McNemar's discordant counts and p): the shared statistics helper
  (``skillsight.evaluation.paired_stats`` via ``skillsight.projects.ranking.claims``) pools the
  per-pair outcomes over seed x fold, resampling validation pairs within each run; every claim that
  does not hold is followed by a ``# why`` sentence with the run's numbers;
* ``attention_mass_paper_<row>``: share of the row's attention on the paper cells (the
  skill-relevant region) vs the cells' area fraction (what a uniform map gives);
* Li et al.'s Table 1 figures on EPIC-Skills, labelled ``paper figure`` (different data: context,
  not a reference for the synthetic numbers).

``--json PATH`` writes every figure plus the raw material of a paired analysis: per seed and fold the
validation pairs (better, worse), and per row, seed and fold every validation video's score, so
whether each pair was ordered correctly can be recomputed (the unit a paired bootstrap resamples).

Sizes are cut for a CPU (64 px, 8 segments instead of 25, 16 videos); the learning rate is raised from
the paper's 1e-3 because the backbones start from random weights here (the paper fine-tunes ImageNet
ResNets). Every row gets identical data, folds, sampling, epochs and optimiser settings; only the TSN
row also trains on the equally skilled pairs (its similarity loss), as Doughty et al. do.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.projects.ranking.claims import RankingClaim, RunScores, ranking_claim
from skillsight.projects.ranking.metrics import attention_mass
from skillsight.projects.ranking.pairs import load_epic_skills
from skillsight.projects.ranking.pipeline import ranking_config, train_ranking
from skillsight.projects.ranking.synthetic import region_mask, write_synthetic_pairs
from skillsight.reports.bench_lines import bench_line, claim_line

# row -> (registered model, constructor overrides, uses the similar pairs)
ROWS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "full": ("attention_rnn_tiny", {}, False),
    "no_attention": ("attention_rnn_tiny", {"attention": "none"}, False),
    "fc_instead_of_rnn_att": ("attention_rnn_tiny", {"attention_rnn": "fc"}, False),
    "xbar_only": ("attention_rnn_tiny", {"attention_input": "xbar"}, False),
    "htask_only": ("attention_rnn_tiny", {"attention_input": "htask"}, False),
    "attention_pool": ("attention_rnn_attention_pool_tiny", {}, False),
    "cbam": ("attention_rnn_cbam_tiny", {}, False),
    "visual_attention": ("attention_rnn_visual_attention_tiny", {}, False),
    "sca_cnn": ("attention_rnn_sca_cnn_tiny", {}, False),
    "tsn_doughty": ("tsn_two_stream_tiny", {}, True),
}

#: issue 13's claims: the full model against each of its four ablations (the default rows).
ABLATIONS = ("no_attention", "fc_instead_of_rnn_att", "xbar_only", "htask_only")

# Li et al. 2019, Table 1, ranking accuracy (%) on EPIC-Skills and their infant-grasp set. Only the
# full model's and Doughty et al.'s rows are given here; the four attention baselines' figures are not
# reproduced (see docs/attention_rnn.md).
PAPER_FIGURES: dict[str, dict[str, float]] = {
    "full": {
        "chopstick": 85.5,
        "surgery": 73.1,
        "drawing": 85.3,
        "dough_rolling": 82.7,
        "infant_grasp": 86.1,
    },
    "tsn_doughty": {
        "chopstick": 71.5,
        "surgery": 70.2,
        "drawing": 83.2,
        "dough_rolling": 79.4,
        "infant_grasp": 80.3,
    },
}


def _attention_on_paper(run_dir: Path, meta: dict) -> tuple[float, float] | None:
    """(mean attention mass on the paper cells, mean area fraction of those cells), None without maps."""
    masses, fractions = [], []
    for npz_path in sorted(run_dir.glob("fold_*/attention/*.npz")):
        with np.load(npz_path, allow_pickle=False) as data:
            attention = data["attention"]  # (N, h, w)
        box = tuple(meta["videos"][npz_path.stem]["paper_xyxy_px"])
        mask = region_mask(box, meta["frame_size_px"], attention.shape[1:])  # (h, w)
        masses.append(attention_mass(attention, mask))
        fractions.append(float(mask.mean()))
    return (float(np.mean(masses)), float(np.mean(fractions))) if masses else None


def _train_row(row: str, data: Any, args: argparse.Namespace, seed: int, root: Path) -> dict[str, Any]:
    model, overrides, use_similar = ROWS[row]
    settings = [
        f"data.annotation_dir={data.annotation_dir}",
        f"data.task={data.task}",
        f"data.video_root={data.video_dir}",
        f"model.name={model}",
        f"model.args={json.dumps({'num_segments': args.segments, **overrides})}",
        f"data.folds={json.dumps(list(args.folds))}",
        f"trainer.max_epochs={args.epochs}",
        "data.batch_size=8",
        f"optim.lr={args.lr}",
        f"trainer.seed={seed}",
        "data.keep_in_memory=true",
        f"task.attention_videos={args.videos}",
        f"data.flow_cache_dir={root / f'flow_{seed}'}",
    ]
    if use_similar:
        settings.append(f"data.similar_pairs_file={data.similar_file}")
    cfg = ranking_config(settings, preset="ranking_tiny")
    run_dir = root / f"run_{seed}_{row}"
    start = time.perf_counter()
    metrics = train_ranking(cfg, run_dir, log=lambda _msg: None)
    per_fold = {int(k): float(v) for k, v in metrics["ranking_accuracy"]["per_fold"].items()}
    meta = json.loads((data.root / "synthetic_meta.json").read_text())
    mass = _attention_on_paper(run_dir, meta)
    return {
        "model": model,
        "model_args": cfg.model.args,
        "similar_pairs": use_similar,
        "per_fold": per_fold,
        "scores": {k: json.loads((run_dir / f"fold_{k}" / "scores.json").read_text()) for k in args.folds},
        "pair_counts": metrics["pairs"],
        "attention_mass_paper": None if mass is None else mass[0],
        "area_fraction_paper": None if mass is None else mass[1],
        "seconds": time.perf_counter() - start,
    }


def _summaries(results: dict[str, dict[int, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Per row: accuracies over every (seed, fold), mean, spread, paired difference to the full model."""
    units = {
        row: {(s, k): r["per_fold"][k] for s, r in by_seed.items() for k in r["per_fold"]}
        for row, by_seed in results.items()
    }
    full = units["full"]
    out = {}
    for row, acc in units.items():
        keys = sorted(acc)
        values = np.array([acc[u] for u in keys])
        diffs = np.array([acc[u] - full[u] for u in keys if u in full])
        masses = [
            r["attention_mass_paper"] for r in results[row].values() if r["attention_mass_paper"] is not None
        ]
        fracs = [
            r["area_fraction_paper"] for r in results[row].values() if r["area_fraction_paper"] is not None
        ]
        out[row] = {
            "mean": float(values.mean()),
            "std": float(values.std()),
            "n_units": len(keys),
            "diff_vs_full_mean": float(diffs.mean()),
            "units_ahead_of_full": int((diffs > 0).sum()),
            "units_behind_full": int((diffs < 0).sum()),
            "attention_mass_paper": float(np.mean(masses)) if masses else None,
            "area_fraction_paper": float(np.mean(fracs)) if fracs else None,
        }
    return out


def _run_scores(
    results: dict[str, dict[Any, dict[str, Any]]], val_pairs: dict[Any, dict[Any, list]], row: str
) -> list[RunScores]:
    """The full model (A) and ``row`` (B) on every seed x fold both were trained on."""
    runs = []
    for seed in sorted(results[row], key=str):
        full_scores, row_scores = results["full"][seed]["scores"], results[row][seed]["scores"]
        for fold in sorted(row_scores, key=str):
            pairs = val_pairs[seed][fold]
            runs.append(RunScores(f"seed{seed}_fold{fold}", full_scores[fold], row_scores[fold], pairs))
    return runs


def _claims(
    results: dict[str, dict[Any, dict[str, Any]]], val_pairs: dict[Any, dict[Any, list]]
) -> dict[str, RankingClaim]:
    """ "full > row" for every other row: pooled paired bootstrap over pairs within seed x fold."""
    return {
        row: ranking_claim(_run_scores(results, val_pairs, row), "full", row)
        for row in results
        if row != "full"
    }


def _why(summary: dict[str, dict[str, Any]], claims: dict[str, RankingClaim]) -> dict[str, str]:
    """For each claim that does not hold, what the run measured about why (one sentence, numbers)."""
    full = summary["full"]
    out = {}
    for row, claim in claims.items():
        d = claim.difference
        if d.holds:
            continue
        accuracy = f"{row} orders {summary[row]['mean']:.3f} of the pairs, full {full['mean']:.3f}"
        if d.reversed:
            parts = [f"{accuracy}: the interval excludes zero on {row}'s side"]
        else:
            half_width = (d.ci_high - d.ci_low) / 2
            parts = [
                f"{accuracy}; the difference {d.difference:+.3f} is within the interval's half-width "
                f"{half_width:.3f} ({d.n_units} pairs over {d.n_runs} seed x fold runs)"
            ]
        mass_full, frac = full.get("attention_mass_paper"), full.get("area_fraction_paper")
        mass_row = summary[row].get("attention_mass_paper")
        if mass_full is not None and frac:
            if mass_row is not None and row != "no_attention":
                parts.append(
                    f"{row}'s attention puts {mass_row:.3f} of its mass on the paper (the skill region), "
                    f"full's {mass_full:.3f}, a uniform map {frac:.3f}"
                )
            else:
                parts.append(
                    f"full's attention puts {mass_full:.3f} of its mass on the paper, only "
                    f"{mass_full / frac:.2f} times a uniform map's {frac:.3f}"
                )
        if not d.reversed and "no_attention" in summary and row != "no_attention":
            parts.append(f"without attention the model already orders {summary['no_attention']['mean']:.3f}")
        out[row] = "; ".join(parts) + "."
    return out


def _report_claims(
    summary: dict[str, dict[str, Any]], claims: dict[str, RankingClaim]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Print every claim's summary line and each miss's measured reason; return both JSON-ready."""
    why = _why(summary, claims)
    for row, claim in claims.items():
        kind = "ablation" if row in ABLATIONS else "baseline"
        m = claim.mcnemar
        print(
            f"{claim_line('ranking', claim.difference)} kind={kind} "
            f"mcnemar={m.only_a_right}:{m.only_b_right} mcnemar_p={m.p_value:.3g}"
        )
    for row, sentence in why.items():
        print(f"# why full-{row} does not hold: {sentence}")
    return {row: {**c.to_dict(), "summary": c.summary()} for row, c in claims.items()}, why


def _from_json(path: Path) -> None:
    """Recompute the claims of an earlier ``--json`` file (no training); rewrite its claims."""
    payload = json.loads(path.read_text())
    claims = _claims(payload["results"], payload["val_pairs"])
    payload["claims"], payload["why"] = _report_claims(payload["summary"], claims)
    path.write_text(json.dumps(payload, sort_keys=True) + "\n")
    print(f"# claims recomputed from {path} ({payload['settings'].get('note', 'no note')})")


def json_payload(
    settings: dict[str, Any],
    summary: dict[str, Any],
    results: dict[str, dict[int, dict[str, Any]]],
    val_pairs: dict[int, dict[int, list[list[str]]]],
    claims: dict[str, Any],
    why: dict[str, str],
) -> dict[str, Any]:
    """What ``--json`` writes: settings, per-row summary, claims (and why the misses), per (row, seed)
    results, validation pairs.

    ``results[row][seed]["scores"][fold]`` maps each validation video to its score and
    ``val_pairs[seed][fold]`` lists the fold's ``[better, worse]`` pairs (the same for every row).
    """
    return {
        "settings": settings,
        "summary": summary,
        "claims": claims,
        "why": why,
        "results": results,
        "val_pairs": val_pairs,
        "paper_figures": PAPER_FIGURES,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--folds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument(
        "--rows",
        nargs="+",
        default=["full", *ABLATIONS],
        choices=[*ROWS, "all"],
        help="rows to train (default: full and its four ablations; 'all': Li et al.'s Table 1 too)",
    )
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true", help="seed 0, fold 1, 4 epochs: a smoke run (minutes)"
    )
    parser.add_argument(
        "--json", type=Path, default=None, help="write every figure and per-pair outcome here"
    )
    parser.add_argument("--out", type=Path, default=None, help="keep runs here (default: a temp folder)")
    parser.add_argument(
        "--from-json", type=Path, default=None, help="recompute the claims of an earlier --json file"
    )
    args = parser.parse_args()
    if args.from_json:
        _from_json(args.from_json)
        return
    if "all" in args.rows:
        args.rows = list(ROWS)
    if args.quick:
        args.seeds, args.folds, args.epochs = [0], [1], 4
    if "full" not in args.rows:
        args.rows = ["full", *args.rows]  # the reference row
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    results: dict[str, dict[int, dict[str, Any]]] = {row: {} for row in args.rows}
    val_pairs: dict[int, dict[int, list[list[str]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            data = write_synthetic_pairs(
                root / f"data_{seed}", n_videos=args.videos, n_frames=args.frames, size=64, seed=seed
            )
            ann = load_epic_skills(data.annotation_dir, data.task, args.folds)
            val_pairs[seed] = {k: [[p.better, p.worse] for p in ann.folds[k][1]] for k in args.folds}
            for row in args.rows:
                result = _train_row(row, data, args, seed, root)
                results[row][seed] = result
                for k, acc in result["per_fold"].items():
                    full = results["full"][seed]["per_fold"][k]
                    line = bench_line(f"ranking_acc_{row}_seed{seed}_fold{k}", acc, full, ref_kind="same_run")
                    print(f"{line} ref_name=full", flush=True)
    summary = _summaries(results)
    ref = summary["full"]["mean"]
    for row, s in summary.items():
        print(
            bench_line(
                f"ranking_acc_{row}_mean",
                s["mean"],
                ref,
                ref_kind="same_run",
                digits=3,
                ref_name="full",
                spread=f"{s['std']:.3f}",
                n=s["n_units"],
                paired_diff_vs_full=f"{s['diff_vs_full_mean']:+.3f}",
                ahead=s["units_ahead_of_full"],
                behind=s["units_behind_full"],
            )
        )
    for row, s in summary.items():
        if s["attention_mass_paper"] is not None:
            mass, frac = s["attention_mass_paper"], s["area_fraction_paper"]
            print(
                bench_line(
                    f"attention_mass_paper_{row}", mass, frac, ref_kind="same_run", ref_name="area_fraction"
                )
            )
    claims, why = _report_claims(summary, _claims(results, val_pairs))
    for row, figures in PAPER_FIGURES.items():
        text = " ".join(f"{task}={value}" for task, value in figures.items())
        print(f"# paper figure (Li et al. 2019 Table 1, EPIC-Skills, %): {row}: {text}")
    seconds = time.perf_counter() - start
    print(
        f"bench_ranking_seconds={seconds:.0f} seeds={len(args.seeds)} folds={len(args.folds)} "
        f"rows={len(args.rows)} epochs={args.epochs}"
    )
    if args.json:
        settings = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
        payload = json_payload(settings, summary, results, val_pairs, claims, why)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, sort_keys=True) + "\n")
        print(f"# wrote {args.json}")


if __name__ == "__main__":
    main()
