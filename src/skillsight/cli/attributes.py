"""``skillsight attributes ...``: skill attributes and coaching feedback (CrossTrainer, offline)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

__all__ = ["HELP", "app"]

HELP = "Skill attributes from expert commentary and coaching feedback: discover, train, feedback, eval."
app = typer.Typer(help=HELP, no_args_is_help=True)


@app.command("synth-commentary")
def synth_commentary(
    root: Path = typer.Argument(..., help="Synthetic dataset root (from `skillsight data synth`)."),
    seed: int = typer.Option(0, help="Commentary seed."),
) -> None:
    """Write expert commentary (proficiency_demonstration_<split>.json) for a synthetic dataset."""
    from skillsight.projects.attributes.synthetic import generate_synthetic_commentary

    for split, path in generate_synthetic_commentary(root, seed).items():
        typer.echo(f"{split}: {path}")


@app.command("discover")
def discover_cmd(
    root: Path = typer.Argument(..., help="Dataset root with annotations/proficiency_demonstration_*.json."),
    out: Path = typer.Option(..., help="Folder for attributes.json and window_labels_<split>.json."),
    num_attributes: int = typer.Option(8, help="Number of attribute clusters."),
    seed: int = typer.Option(0, help="Clustering seed."),
    embedder: str = typer.Option(
        "hashed", help="hashed (offline default) or minilm (needs skillsight[attributes])."
    ),
    method: str = typer.Option("agglomerative", help="agglomerative or kmeans."),
    window_s: float = typer.Option(4.0, help="Length of the window each comment is tied to, seconds."),
    lm_path: Path | None = typer.Option(
        None, help="Local Hugging Face causal LM folder for phrase extraction."
    ),
) -> None:
    """Stage I: extract, embed and cluster commentary phrases into named attributes."""
    from skillsight.projects.attributes.pipeline import discover

    vocab = discover(
        root, out, num_attributes, seed, embedder, method, window_s, lm_path=str(lm_path) if lm_path else None
    )
    for name, members in zip(vocab.names, vocab.members):
        typer.echo(f"{name:<24} " + ", ".join(f"{p} ({c})" for p, c in members[:5]))
    typer.echo(f"wrote {out / 'attributes.json'}")


@app.command("train")
def train_cmd(
    root: Path = typer.Argument(..., help="Dataset root."),
    attributes: Path = typer.Option(..., help="Folder written by `attributes discover`."),
    out: Path = typer.Option(..., help="Run folder to write."),
    config: str = typer.Option(
        "attributes_tiny", "--config", "-c", help="attributes_tiny | a YAML/JSON file"
    ),
    overrides: list[str] = typer.Option([], "--set", help="override a config value: section.key=value"),
    backbone: list[str] = typer.Option(
        [], help="Registered model name or checkpoint path (repeat to concatenate; default the preset's)."
    ),
    train_scenario: list[str] = typer.Option(
        [], help="Train on these scenarios only (zero-shot protocol); default all."
    ),
    hidden_dim: int | None = typer.Option(None, help="Mapper hidden width (default 32)."),
    epochs: int | None = typer.Option(None, help="Full-batch optimiser steps of the mapper (default 100)."),
    seed: int | None = typer.Option(None, help="Seed."),
    scenario_norm: bool = typer.Option(False, help="Z-score features per scenario with its own statistics."),
) -> None:
    """Train the attribute mapper and proficiency probe on per-second backbone features (the one loop)."""
    from skillsight.config import load_config
    from skillsight.projects.attributes.pipeline import train

    shortcuts = [f"data.root={json.dumps(str(root))}", f"data.attributes_dir={json.dumps(str(attributes))}"]
    for key, names in (("data.backbones", backbone), ("data.train_scenarios", train_scenario)):
        if names:
            shortcuts.append(f"{key}={json.dumps(list(names))}")
    for key, number in (("mapper.hidden_dim", hidden_dim), ("mapper.steps", epochs), ("trainer.seed", seed)):
        if number is not None:
            shortcuts.append(f"{key}={number}")
    if scenario_norm:
        shortcuts.append("data.scenario_norm=true")
    cfg = load_config(config, [*shortcuts, *overrides], method="attributes")
    train(cfg, out, log=typer.echo)


@app.command("feedback")
def feedback_cmd(
    run: Path = typer.Argument(..., help="Run folder from `attributes train`."),
    take: str = typer.Option(..., help="take_uid or take_name."),
    root: Path | None = typer.Option(None, help="Dataset root (default: the one trained on)."),
    split: str = typer.Option("test", help="Split the take is in."),
    max_tips: int = typer.Option(3, help="Most tips."),
    lm_path: Path | None = typer.Option(None, help="Local causal LM folder to word the feedback."),
) -> None:
    """Feedback for one take: predicted attributes, confidence, time windows, and tips."""
    from skillsight.projects.attributes.pipeline import feedback_for_take

    t, preds, fb, names = feedback_for_take(
        run, take, root, split, max_tips, str(lm_path) if lm_path else None
    )
    typer.echo(f"take {t.take_name} ({t.scenario}, {t.task_name})")
    typer.echo("attributes to work on:")
    for p in preds:
        wins = ", ".join(f"{s:.1f}-{e:.1f} s" for s, e in p.windows)
        typer.echo(f"  {names[p.attribute]:<24} confidence {p.confidence:.2f}  windows {wins}")
    typer.echo(f"feedback ({fb.source}):")
    typer.echo(fb.format())


@app.command("eval")
def eval_cmd(
    run: Path = typer.Argument(..., help="Run folder from `attributes train`."),
    root: Path | None = typer.Option(None, help="Dataset root (default: the one trained on)."),
    split: str = typer.Option("test", help="Split to evaluate."),
    scenario: list[str] = typer.Option([], help="Evaluate these scenarios only (e.g. the held-out one)."),
) -> None:
    """Attribute IoU@0.7, F1, feedback BLEU-4/ROUGE-L, proficiency accuracy vs the most-frequent baseline."""
    from skillsight.projects.attributes.pipeline import evaluate

    metrics = evaluate(run, root, split, scenario or None)["metrics"]
    typer.echo(json.dumps(metrics, indent=1))
