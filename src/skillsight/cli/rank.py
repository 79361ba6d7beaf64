"""``skillsight rank ...``: pairwise skill ranking with the spatial-attention RNN (Li et al. 2019)."""

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
        f"wrote {len(data.skills)} videos and {len(data.gt)} pairs to {data.root} "
        f"(task {data.task!r}, annotations in {data.annotation_dir})"
    )


@app.command("train")
def train(
    annotations: Path = typer.Option(..., help="Folder with <task>_gt.csv (splits beside it or in splits/)."),
    task: str = typer.Option(..., help="Annotation file prefix, e.g. chopstick_using."),
    videos: Path = typer.Option(..., help="Folder of the videos."),
    out: Path = typer.Option(..., help="Run folder to write."),
    pattern: str = typer.Option("{id}.mp4", help="Video file name under --videos; {id} is the video id."),
    on_missing: str = typer.Option(
        "skip", help="'skip' (count and drop pairs) or 'error' on a missing video."
    ),
    model: str = typer.Option(
        "attention_rnn", help="Registered model name (attention_rnn, attention_rnn_tiny, ...)."
    ),
    model_arg: list[str] = typer.Option([], help="Model constructor override key=value (repeatable)."),
    folds: str = typer.Option("1,2,3,4", help="Comma-separated folds."),
    epochs: int = typer.Option(10, help="Training epochs per fold."),
    batch_size: int = typer.Option(4, help="Pairs per batch."),
    lr: float = typer.Option(1e-3, help="SGD learning rate (paper: 1e-3; 5e-4 for infant data)."),
    seed: int = typer.Option(0, help="Random seed."),
    flow_cache: Path | None = typer.Option(
        None, help="Optical-flow cache folder (default <out>/flow_cache)."
    ),
    flow_method: str | None = typer.Option(None, help="tvl1 or farneback (default: best available)."),
    in_memory: bool = typer.Option(False, help="Keep decoded videos in memory (small datasets)."),
    accelerator: str = typer.Option("cpu", help="Lightning accelerator: cpu, gpu or auto."),
    progress: bool = typer.Option(False, help="Show a progress bar."),
) -> None:
    """Train one ranker per fold and report ranking accuracy per fold and the mean."""
    from skillsight.projects.ranking.pipeline import RankingConfig, train_ranking

    try:
        fold_list = [int(f) for f in folds.split(",") if f.strip()]
    except ValueError:
        raise ConfigError(f"--folds must be comma-separated integers, got {folds!r}") from None
    cfg = RankingConfig(
        annotation_dir=str(annotations),
        task=task,
        video_root=str(videos),
        video_pattern=pattern,
        on_missing=on_missing,
        model=model,
        model_args=parse_model_args(model_arg),
        folds=fold_list,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        flow_cache_dir=str(flow_cache) if flow_cache else None,
        flow_method=flow_method,
        keep_in_memory=in_memory,
        accelerator=accelerator,
        progress=progress,
    )
    metrics = train_ranking(cfg, out, log=typer.echo)
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
        written = write_attention_pngs(run)
        page = (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(run.name)}</title></head>"
            f"<body style='font-family:sans-serif'>{ranking_section(run)}</body></html>"
        )
        (run / "report.html").write_text(page)
        typer.echo(
            f"wrote {len(written)} attention overlays to {run / 'figures' / 'attention'} "
            f"and {run / 'report.html'}"
        )
