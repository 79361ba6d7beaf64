"""Why the tiny SkillSight recipes learn slowly: the measurements behind docs/learning.md, re-runnable.

On the demo's synthetic dataset (generated here unless ``--data`` is given), per seed:

1. ``gaze_only_tiny`` trained by ``train_run`` with the gaze channels unscaled (the reference) and
   standardised (``data.standardize_gaze``, the tiny presets' setting): last-epoch training accuracy
   (random clips), training-take accuracy of the selected model (10 protocol clips) and validation take
   accuracy (last epoch and its spread over the last 10 epochs);
2. the signal ceiling of the generator for gaze: a linear classifier on hand-made clip statistics (mean,
   std and mean absolute step of each of the 14 channels, plus the scenario), fitted on the training
   takes and scored on the validation takes.

Test takes are never scored. Prints ``name=value ref=value ratio=value`` lines (ref = the unscaled run of
the same seed, measured in this run). Run::

    python benchmarks/diag_learning.py                   # 3 seeds, about 2 min per run on 2 cores
    python benchmarks/diag_learning.py --seeds 0 --epochs 10   # smoke run
"""

from __future__ import annotations

import argparse
import csv
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from skillsight.config import load_config
from skillsight.data.records import SCENARIOS
from skillsight.training.quiet import quiet_lightning
from skillsight.training.skill_data import build_clip_dataset, load_skill_data
from skillsight.training.skill_run import evaluate_run, train_run


def _curve(run_dir: Path, column: str) -> list[float]:
    with (run_dir / "logs" / "metrics.csv").open(newline="") as f:
        return [float(r[column]) for r in csv.DictReader(f) if r.get(column)]


def gaze_only_run(
    data: Path, out: Path, seed: int, standardize: bool, epochs: int | None
) -> dict[str, float]:
    """Train gaze_only_tiny and read back its training and validation figures."""
    overrides = [f"data.root={data}", f"trainer.seed={seed}", "trainer.progress_bar=false"]
    overrides.append(f"data.standardize_gaze={str(standardize).lower()}")
    if epochs is not None:
        overrides.append(f"trainer.max_epochs={epochs}")
    run = out / f"gaze_only_seed{seed}_{'std' if standardize else 'raw'}"
    if run.exists():
        shutil.rmtree(run)
    train_run(load_config("gaze_only_tiny", overrides), run, cache_root=out / "cache")
    val = _curve(run, "val/take_acc")
    return {
        "train_acc_last_epoch": _curve(run, "train/acc")[-1],
        "train_take_acc": float(evaluate_run(run, split="train")["overall_accuracy"]),
        "val_take_acc_last": val[-1],
        "val_take_acc_sd_last10": float(np.std(val[-10:])),
    }


def _clip_statistics(takes: list, data_cfg, actions: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(takes, clips, 48) statistics of the 10 protocol clips of each take, and the labels."""
    clips = build_clip_dataset(takes, ("gaze", "gaze_mask"), data_cfg, "test", actions, 0)
    x = np.stack([clips[i]["gaze"].numpy() for i in range(len(clips))]).reshape(len(takes), -1, 16, 14)
    steps = np.abs(np.diff(x, axis=2)).mean(2)
    feats = np.concatenate([x.mean(2), x.std(2), steps], -1)
    scenario = np.eye(len(SCENARIOS))[[SCENARIOS.index(t.scenario) for t in takes]]
    feats = np.concatenate([feats, np.repeat(scenario[:, None], feats.shape[1], 1)], -1)
    return feats, np.array([t.label for t in takes])


def linear_ceiling(data: Path) -> dict[str, float]:
    """Take accuracy of a linear classifier on clip statistics: training and validation takes."""
    cfg = load_config("gaze_only_tiny", [f"data.root={data}"])
    skill = load_skill_data(cfg.data)
    f_train, y_train = _clip_statistics(skill.train, cfg.data, skill.actions)
    f_val, y_val = _clip_statistics(skill.val, cfg.data, skill.actions)
    flat = f_train.reshape(-1, f_train.shape[-1])
    mu, sd = flat.mean(0), flat.std(0) + 1e-6
    x = torch.tensor((flat - mu) / sd, dtype=torch.float32)
    y = torch.tensor(np.repeat(y_train, f_train.shape[1]))
    w = torch.zeros(x.shape[1], 4, requires_grad=True)
    b = torch.zeros(4, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + 1e-2 * (w * w).sum()
        loss.backward()
        return loss

    opt.step(closure)
    out = {}
    for name, feats, labels in (("train", f_train, y_train), ("val", f_val, y_val)):
        z = torch.tensor((feats - mu) / sd, dtype=torch.float32)
        logits = (z @ w + b).mean(1)  # clip logits averaged per take
        out[name] = float((logits.argmax(-1).numpy() == labels).mean())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument(
        "--data", type=Path, default=None, help="a dataset root (default: generate the demo's)"
    )
    parser.add_argument("--out", type=Path, default=None, help="run folders (default: a temporary folder)")
    parser.add_argument("--epochs", type=int, default=None, help="override the preset's 60 epochs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    quiet_lightning()
    out = args.out or Path(tempfile.mkdtemp(prefix="diag_learning_"))
    data = args.data
    if data is None:
        from skillsight.data.synthetic.takes import generate_synthetic_dataset

        data = generate_synthetic_dataset(out / "data", seed=0)  # the demo's dataset (without exo views)
    ceiling = linear_ceiling(data)
    print(f"gaze_linear_ceiling_train_take_acc={ceiling['train']:.3f}")
    print(f"gaze_linear_ceiling_val_take_acc={ceiling['val']:.3f}")
    rows: dict[str, list[tuple[float, float]]] = {}
    for seed in args.seeds:
        raw = gaze_only_run(data, out, seed, False, args.epochs)
        std = gaze_only_run(data, out, seed, True, args.epochs)
        for key in raw:
            rows.setdefault(key, []).append((std[key], raw[key]))
            ratio = std[key] / raw[key] if raw[key] else float("nan")
            print(f"seed{seed}_gaze_only_{key}={std[key]:.3f} ref={raw[key]:.3f} ratio={ratio:.2f}")
    for key, pairs in rows.items():
        s, r = np.mean([p[0] for p in pairs]), np.mean([p[1] for p in pairs])
        print(f"mean_gaze_only_{key}={s:.3f} ref={r:.3f} ratio={s / r if r else float('nan'):.2f}")


if __name__ == "__main__":
    main()
