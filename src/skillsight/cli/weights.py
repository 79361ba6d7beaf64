"""``skillsight weights convert``: original video-transformer checkpoints -> local Hugging Face folders."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "SourceFormat", "app", "convert"]

HELP = "Convert pretrained checkpoints (EgoVLPv2, TimeSformer) into folders that pretrained_dir accepts."
app = typer.Typer(help=HELP, no_args_is_help=True)


class SourceFormat(str, Enum):
    """Checkpoint formats ``convert`` reads."""

    egovlpv2 = "egovlpv2"  # facebookresearch/EgoVLPv2 checkpoint (its video encoder)
    timesformer = "timesformer"  # facebookresearch/TimeSformer (.pyth, divided space-time)


@app.command()
def convert(
    checkpoint: Path = typer.Argument(
        ..., help="the .pth / .pyth file (read with torch.load(weights_only=True))"
    ),
    out: Path = typer.Argument(..., help="folder to write (config.json, model.safetensors, conversion.json)"),
    source: SourceFormat = typer.Option(..., "--from", help="checkpoint format: egovlpv2 or timesformer"),
    num_heads: int | None = typer.Option(
        None, "--num-heads", help="attention heads (not stored in the tensors; default: width / 64)"
    ),
    allow_missing: bool = typer.Option(
        False,
        "--allow-missing",
        help="write even if TimeSformer tensors have no source (kept random, recorded)",
    ),
    allow_unmapped: bool = typer.Option(
        False,
        "--allow-unmapped",
        help="write even if video-encoder tensors map to nothing (dropped, recorded)",
    ),
) -> None:
    """Map every tensor of the checkpoint's video encoder onto Hugging Face TimesformerModel and write OUT.

    A partial map is refused with the keys listed; the report says what was left out and why.
    """
    from skillsight.models.conversion.convert import convert_checkpoint

    report = convert_checkpoint(
        checkpoint,
        out,
        source.value,
        num_heads=num_heads,
        allow_missing=allow_missing,
        allow_unmapped=allow_unmapped,
    )
    console = Console(soft_wrap=True)
    console.print(report.format(), highlight=False)
    console.print(f"wrote {out} (use it as pretrained_dir / video_pretrained_dir)", highlight=False)
