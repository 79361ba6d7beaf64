"""``skillsight export RUN --format onnx [--out PATH]``: ONNX with its serving metadata, parity-checked."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

__all__ = ["HELP", "export_command"]

HELP = "Export a run's model to ONNX (dynamic batch; class names and normalisation in the metadata; --int8)."
console = Console(soft_wrap=True)


def export_command(
    run: Path = typer.Argument(
        ..., help="run folder (model.safetensors + model.json, config.json, vocab.json)"
    ),
    fmt: str = typer.Option("onnx", "--format", help="export format (onnx)"),
    out: Path | None = typer.Option(None, "--out", help="output file (default RUN/model.onnx)"),
    opset: int = typer.Option(17, "--opset", help="ONNX opset"),
    atol: float = typer.Option(1e-4, "--atol", help="largest allowed |ONNX - PyTorch| difference"),
    check: bool = typer.Option(
        True, "--check/--no-check", help="compare ONNX and PyTorch outputs at batch 1 and 3"
    ),
    int8: bool = typer.Option(
        False,
        "--int8/--no-int8",
        help="also write an int8 copy (onnxruntime dynamic quantisation, OUT stem + .int8.onnx), "
        "checked by its top-class agreement with PyTorch",
    ),
    int8_min_agreement: float = typer.Option(
        0.99, "--int8-min-agreement", help="smallest accepted top-class agreement of the int8 copy"
    ),
) -> None:
    """Write the ONNX file and print where it went, the parity error and the metadata keys."""
    from skillsight.deploy.export import export_run

    result = export_run(
        run,
        out=out,
        fmt=fmt,
        check=check,
        atol=atol,
        opset=opset,
        int8=int8,
        int8_min_agreement=int8_min_agreement,
    )
    meta = result.metadata
    console.print(f"wrote {result.path} ({result.path.stat().st_size / 1e6:.2f} MB)", highlight=False)
    console.print(f"model {meta.get('model_name')}  inputs {meta.get('input_spec')}", highlight=False)
    console.print(f"classes {meta.get('class_names')}", highlight=False)
    if result.max_abs_diff is not None:
        console.print(
            f"parity: max |ONNX - PyTorch| = {result.max_abs_diff:.3g} (atol {atol:g}) at batch 1 and 3",
            highlight=False,
        )
    console.print(f"metadata keys: {', '.join(sorted(meta))}", highlight=False)
    if result.int8_path is not None and result.int8_check is not None:
        c = result.int8_check
        console.print(
            f"wrote {result.int8_path} ({result.int8_path.stat().st_size / 1e6:.2f} MB, int8): top class "
            f"agrees with PyTorch on {100 * c.top1_agreement:.1f} % of {c.windows} windows ({c.source}), "
            f"max |logit diff| {c.max_abs_logit_diff:.3g}",
            highlight=False,
        )
