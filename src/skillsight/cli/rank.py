"""``skillsight rank ...``: pairwise skill ranking with the spatial-attention RNN (Li et al. 2019),
its ablations and the baselines of its Table 1 (attention modules swapped in, two-stream TSN)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from skillsight.exceptions import ConfigError

__all__ = ["HELP", "app", "parse_model_args"]

HELP = "Pairwise skill ranking (EPIC-Skills format): synthetic data, 4-fold training, evaluation."
app = typer.Typer(help=HELP, no_args_is_help=True)


def parse_model_args(items: list[str]) -> dict[str, object]:
    """``["num_segments=8", "attention=none"]`` -> ``{"num_segments": 8, "attention": "none"}``.

    Values are read as JSON when they parse (numbers, booleans, lists), else kept as strings.
    """
    out: dict[str, object] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"--model-arg expects key=value, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


@app.command("synth")
def synth(
    out: Path = typer.Argument(..., help="Output folder (videos/, annotations/, synthetic_meta.json)."),
    videos: int = typer.Option(24, help="Number of videos."),
    frames: int = typer.Option(40, help="Frames per video."),
    size: int = typer.Option(64, help="Frame side in pixels (even)."),
    min_gap: float = typer.Option(0.15, help="Smallest skill gap of an annotated pair."),
    max_pairs: int | None = typer.Option(None, help="Keep at most this many pairs."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Write synthetic drawing videos with EPIC-Skills annotations and 4 folds."""
    from skillsight.projects.ranking.synthetic import write_synthetic_pairs

    data = write_synthetic_pairs(
        out,
        n_videos=videos,
        n_frames=frames,
        size=size,
        min_skill_gap=min_gap,
        max_pairs=max_pairs,
        seed=seed,
    )
    typer.echo(
        f"wrote {len(data.skills)} videos, {len(data.gt)} ranked pairs and {len(data.similar)} equally "
        f"skilled pairs ({data.similar_file.name}) to {data.root} "
        f"(task {data.task!r}, annotations in {data.annotation_dir})"
    )


#: shortcut option -> the config key it sets (given options override the preset and file)
_TRAIN_SHORTCUTS = {
    "annotations": "data.annotation_dir",
    "task": "data.task",
    "videos": "data.video_root",
    "pattern": "data.video_pattern",
    "on_missing": "data.on_missing",
    "model": "model.name",
    "epochs": "trainer.max_epochs",
    "batch_size": "data.batch_size",
    "lr": "optim.lr",
    "seed": "trainer.seed",
    "similar": "data.similar_pairs_file",
    "similarity_weight": "task.similarity_weight",
    "flow_cache": "data.flow_cache_dir",
    "flow_method": "data.flow_method",
    "accelerator": "trainer.accelerator",
}


@app.command("train")
def train(
    out: Path = typer.Option(..., help="Run folder to write."),
    config: str = typer.Option(
        "ranking_paper", "--config", "-c", help="ranking_paper | ranking_tiny | a YAML/JSON file"
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a config value: section.key=value"),
    resume: bool = typer.Option(False, "--resume", help="continue a stopped run from its checkpoints"),
    annotations: Path | None = typer.Option(
        None, help="Folder with <task>_gt.csv (splits beside it or in splits/)."
    ),
    task: str | None = typer.Option(None, help="Annotation file prefix, e.g. chopstick_using."),
    videos: Path | None = typer.Option(None, help="Folder of the videos."),
    pattern: str | None = typer.Option(None, help="Video file name under --videos; {id} is the video id."),
    on_missing: str | None = typer.Option(None, help="'skip' (count and drop pairs) or 'error'."),
    model: str | None = typer.Option(
        None,
        help="Registered model: attention_rnn[_tiny]; baselines attention_rnn_{attention_pool,cbam,"
        "visual_attention,sca_cnn}[_tiny] and tsn_two_stream[_tiny] (Doughty et al.).",
    ),
    model_arg: list[str] = typer.Option([], help="Model constructor override key=value (repeatable)."),
    folds: str | None = typer.Option(None, help="Comma-separated folds (default 1,2,3,4)."),
    epochs: int | None = typer.Option(None, help="Training epochs per fold (paper: 10)."),
    batch_size: int | None = typer.Option(None, help="Pairs per batch (paper: 4)."),
    lr: float | None = typer.Option(None, help="SGD learning rate (paper: 1e-3; 5e-4 for infant data)."),
    similar: Path | None = typer.Option(
        None,
        help="Vid1,Vid2 CSV of equally skilled pairs, trained with the similarity loss (Doughty et al.); "
        "each fold uses only the pairs between its training videos.",
    ),
    similarity_weight: float | None = typer.Option(None, help="Weight of the similarity loss (default 1)."),
    seed: int | None = typer.Option(None, help="Random seed."),
    flow_cache: Path | None = typer.Option(
        None, help="Optical-flow cache folder (default <out>/flow_cache)."
    ),
    flow_method: str | None = typer.Option(
        None, help="tvl1 (default; the vision extra) or farneback (explicit choice)."
    ),
    in_memory: bool = typer.Option(False, help="Keep decoded videos in memory (small datasets)."),
    accelerator: str | None = typer.Option(None, help="Lightning accelerator: cpu, gpu or auto."),
    progress: bool = typer.Option(False, help="Show a progress bar."),
) -> None:
    """Train one ranker per fold (the one training loop) and report ranking accuracy per fold and the mean."""
    from skillsight.projects.ranking.pipeline import ranking_config, train_ranking

    given = dict(locals())
    shortcuts = [
        f"{key}={json.dumps(str(given[o]) if isinstance(given[o], Path) else given[o])}"
        for o, key in _TRAIN_SHORTCUTS.items()
        if given[o] is not None
    ]
    if folds is not None:
        try:
            shortcuts.append(f"data.folds={json.dumps([int(f) for f in folds.split(',') if f.strip()])}")
        except ValueError:
            raise ConfigError(f"--folds must be comma-separated integers, got {folds!r}") from None
    if model_arg:
        shortcuts.append(f"model.args={json.dumps(parse_model_args(model_arg))}")
    shortcuts += ["data.keep_in_memory=true"] * in_memory + ["trainer.progress_bar=true"] * progress
    cfg = ranking_config([*shortcuts, *overrides], preset=config)
    metrics = train_ranking(cfg, out, log=typer.echo, resume=resume)
    acc = metrics["ranking_accuracy"]
    typer.echo(
        f"ranking accuracy: mean {acc['mean']:.3f} (std {acc['std']:.3f}) over {acc['n_folds']} folds; "
        f"run folder {out}"
    )


@app.command("eval")
def evaluate(
    run: Path = typer.Argument(..., help="Run folder written by `skillsight rank train`."),
    figures: bool = typer.Option(
        True, help="Also render the attention maps as PNG strips and <run>/report.html."
    ),
) -> None:
    """Re-score each fold's checkpoint on its validation pairs (deterministic) and write metrics_eval.json."""
    import html

    from skillsight.projects.ranking.attention_overlay import ranking_section, write_attention_pngs
    from skillsight.projects.ranking.pipeline import evaluate_ranking

    metrics = evaluate_ranking(run, log=typer.echo)
    acc = metrics["ranking_accuracy"]
    typer.echo(f"ranking accuracy: mean {acc['mean']:.3f} (std {acc['std']:.3f}) over {acc['n_folds']} folds")
    if figures:
        from skillsight.runs.atomic import atomic_write_text

        written = write_attention_pngs(run)
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(run.name)}</title></head>"
            f"<body style='font-family:sans-serif'>{ranking_section(run)}</body></html>"
        )
        atomic_write_text(run / "report.html", page)
        typer.echo(
            f"wrote {len(written)} attention overlays to {run / 'figures' / 'attention'} "
            f"and {run / 'report.html'}"
        )
