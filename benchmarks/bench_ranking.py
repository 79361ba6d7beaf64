"""Spatial-attention RNN vs its no-attention ablation on synthetic pairwise-skill videos (CPU, minutes).

For each seed a synthetic set is written (hand-like blob drawing on a paper sheet, identical-looking
distractor blob with skill-independent motion elsewhere; EPIC-Skills layout, read back by the real
reader), then ``attention_rnn_tiny`` is trained with the full attention and with
``attention="none"`` (average pooling) through the same pipeline as ``skillsight rank train``.

Printed figures (``name=VALUE ref=VALUE ratio=VALUE``, references measured in the same run):

* ``ranking_acc_full_mean`` vs the no-attention mean; ``ranking_acc_full_std`` vs its std (spread
  over seeds); ``ranking_acc_none_mean`` vs chance (0.5).
* ``attention_mass_paper``: mean share of the full model's attention on the grid cells of the paper
  (the skill-relevant region) over the validation videos, vs that region's area fraction (what a
  uniform map would give).

Sizes are cut for a CPU (64 px, 8 segments instead of 25, 16 videos, fold 1 of 4 per seed); the
learning rate is raised from the paper's 1e-3 because the backbones start from random weights here
(the paper fine-tunes ImageNet ResNets). Both models get identical settings.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from skillsight.projects.ranking.metrics import attention_mass
from skillsight.projects.ranking.pipeline import ranking_config, train_ranking
from skillsight.projects.ranking.synthetic import region_mask, write_synthetic_pairs


def _attention_on_paper(run_dir: Path, meta: dict) -> tuple[float, float]:
    """(mean attention mass on the paper cells, mean area fraction of those cells) over saved maps."""
    masses, fractions = [], []
    for npz_path in sorted(run_dir.glob("fold_*/attention/*.npz")):
        with np.load(npz_path, allow_pickle=False) as data:
            attention = data["attention"]  # (N, h, w)
        box = tuple(meta["videos"][npz_path.stem]["paper_xyxy_px"])
        mask = region_mask(box, meta["frame_size_px"], attention.shape[1:])  # (h, w)
        masses.append(attention_mass(attention, mask))
        fractions.append(float(mask.mean()))
    if not masses:
        raise RuntimeError(f"{run_dir} saved no attention maps")
    return float(np.mean(masses)), float(np.mean(fractions))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--frames", type=int, default=24)
    parser.add_argument("--segments", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--folds", type=int, nargs="+", default=[1])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=None, help="keep runs here (default: a temp folder)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    acc: dict[str, list[float]] = {"full": [], "none": []}
    masses, fractions = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or Path(tmp)
        for seed in args.seeds:
            data = write_synthetic_pairs(
                root / f"data_{seed}", n_videos=args.videos, n_frames=args.frames, size=64, seed=seed
            )
            meta = json.loads((data.root / "synthetic_meta.json").read_text())
            for attention in ("full", "none"):
                cfg = ranking_config(
                    [
                        f"data.annotation_dir={data.annotation_dir}",
                        f"data.task={data.task}",
                        f"data.video_root={data.video_dir}",
                        f"model.args={{num_segments: {args.segments}, attention: {attention}}}",
                        f"data.folds={list(args.folds)}",
                        f"trainer.max_epochs={args.epochs}",
                        "data.batch_size=8",
                        f"optim.lr={args.lr}",
                        f"trainer.seed={seed}",
                        "data.keep_in_memory=true",
                        f"task.attention_videos={args.videos}",
                        f"data.flow_cache_dir={root / f'flow_{seed}'}",
                    ],
                    preset="ranking_tiny",
                )
                run_dir = root / f"run_{seed}_{attention}"
                metrics = train_ranking(cfg, run_dir, log=lambda _msg: None)
                acc[attention].append(metrics["ranking_accuracy"]["mean"])
                if attention == "full":
                    mass, fraction = _attention_on_paper(run_dir, meta)
                    masses.append(mass)
                    fractions.append(fraction)
            print(
                f"seed={seed} ranking_acc_full={acc['full'][-1]:.3f} ranking_acc_none={acc['none'][-1]:.3f} "
                f"attention_mass_paper={masses[-1]:.3f} area_fraction={fractions[-1]:.3f}",
                flush=True,
            )
    full, none = np.array(acc["full"]), np.array(acc["none"])
    mass, fraction = float(np.mean(masses)), float(np.mean(fractions))
    print(
        f"ranking_acc_full_mean={full.mean():.3f} ref={none.mean():.3f} ratio={full.mean() / none.mean():.3f}"
    )
    print(
        f"ranking_acc_full_std={full.std():.3f} ref={none.std():.3f} "
        f"ratio={full.std() / none.std() if none.std() > 0 else float('nan'):.3f}"
    )
    print(f"ranking_acc_none_mean={none.mean():.3f} ref=0.500 ratio={none.mean() / 0.5:.3f}")
    print(f"attention_mass_paper={mass:.3f} ref={fraction:.3f} ratio={mass / fraction:.3f}")
    print(
        f"bench_ranking_seconds={time.perf_counter() - start:.0f} seeds={len(args.seeds)} "
        f"folds={len(args.folds)} epochs={args.epochs}"
    )


if __name__ == "__main__":
    main()
