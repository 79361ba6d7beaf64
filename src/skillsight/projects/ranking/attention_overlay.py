"""Attention overlays for the HTML report: frames with the spatial-attention map blended on top.

Reads only run folders (``fold_<k>/attention/<id>.npz`` written by the ranking pipeline: ``frames``
(N, S, S, 3) uint8, ``attention`` (N, h, w), ``frame_indices`` (N,), ``score``); numpy and
matplotlib only, no torch.
"""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import numpy as np

from skillsight.exceptions import DataFormatError

__all__ = [
    "attention_strip",
    "overlay_attention",
    "ranking_section",
    "upsample_attention",
    "write_attention_pngs",
]


def upsample_attention(attention: np.ndarray, size_hw: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of an (h, w) map to (H, W), cell centres aligned with pixel centres."""
    attention = np.asarray(attention, dtype=np.float64)
    h, w = attention.shape
    H, W = size_hw
    ys = np.clip((np.arange(H) + 0.5) * h / H - 0.5, 0, h - 1)  # (H,) in cell coordinates
    xs = np.clip((np.arange(W) + 0.5) * w / W - 0.5, 0, w - 1)  # (W,)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    fy, fx = (ys - y0)[:, None], (xs - x0)[None, :]
    top = attention[y0][:, x0] * (1 - fx) + attention[y0][:, x1] * fx  # (H, W)
    bottom = attention[y1][:, x0] * (1 - fx) + attention[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def overlay_attention(
    frame: np.ndarray,
    attention: np.ndarray,
    vmax: float | None = None,
    opacity: float = 0.5,
    cmap: str = "jet",
) -> np.ndarray:
    """Blend a colour-mapped attention map over a frame.

    Args:
        frame: (H, W, 3) uint8.
        attention: (h, w) non-negative weights.
        vmax: value mapped to the top colour (None: the map's maximum).
        opacity: weight of the colour layer in [0, 1].
        cmap: matplotlib colour map name.

    Returns:
        (H, W, 3) uint8.
    """
    from matplotlib import colormaps

    frame = np.asarray(frame)
    if frame.ndim != 3 or frame.shape[-1] != 3 or frame.dtype != np.uint8:
        raise DataFormatError("frame", "frame", getattr(frame, "shape", None), "expected (H, W, 3) uint8")
    up = upsample_attention(attention, frame.shape[:2])  # (H, W)
    top = float(vmax if vmax is not None else up.max())
    colour = colormaps[cmap](np.clip(up / top, 0.0, 1.0) if top > 0 else np.zeros_like(up))[..., :3] * 255.0
    out = (1.0 - opacity) * frame.astype(np.float64) + opacity * colour
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def attention_strip(
    frames: np.ndarray, attention: np.ndarray, max_frames: int = 8, gap_px: int = 2
) -> np.ndarray:
    """A row of overlays at up to ``max_frames`` evenly spaced steps, one colour scale for the video.

    Args:
        frames: (N, H, W, 3) uint8.
        attention: (N, h, w).

    Returns:
        (H, n * W + (n - 1) * gap_px, 3) uint8 with white gaps.
    """
    if len(frames) != len(attention) or len(frames) == 0:
        raise DataFormatError("attention", "N", (len(frames), len(attention)), "frames and maps must pair up")
    steps = np.unique(np.linspace(0, len(frames) - 1, min(max_frames, len(frames))).round().astype(int))
    vmax = float(np.max(attention))
    tiles = [overlay_attention(frames[t], attention[t], vmax=vmax) for t in steps]
    H, W, _ = tiles[0].shape
    strip = np.full((H, len(tiles) * W + (len(tiles) - 1) * gap_px, 3), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        strip[:, i * (W + gap_px) : i * (W + gap_px) + W] = tile
    return strip


def write_attention_pngs(
    run_dir: str | Path, out_dir: str | Path | None = None, max_frames: int = 8, scale: int = 2
) -> list[Path]:
    """Render every saved attention map of a run folder as a PNG strip.

    Args:
        run_dir: ranking run folder.
        out_dir: where to write (None: ``<run>/figures/attention``).
        max_frames: steps per strip.
        scale: integer pixel upscaling for legibility of small frames.

    Returns:
        Written PNG paths, sorted (``fold<k>_<id>.png``); empty when the run saved no maps.
    """
    import matplotlib.image as mpimg

    run_dir = Path(run_dir)
    out = Path(out_dir) if out_dir is not None else run_dir / "figures" / "attention"
    written = []
    for npz_path in sorted(run_dir.glob("fold_*/attention/*.npz")):
        strip, _ = _read_strip(npz_path, max_frames)
        strip = np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1)
        target = out / f"{npz_path.parent.parent.name.replace('_', '')}_{npz_path.stem}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        mpimg.imsave(target, strip)
        written.append(target)
    return written


def _read_strip(npz_path: Path, max_frames: int) -> tuple[np.ndarray, float | None]:
    with np.load(npz_path, allow_pickle=False) as data:
        missing = {"frames", "attention"} - set(data.files)
        if missing:
            raise DataFormatError(npz_path, sorted(missing)[0], None, "attention file lacks this array")
        score = float(data["score"]) if "score" in data.files else None
        return attention_strip(data["frames"], data["attention"], max_frames=max_frames), score


def ranking_section(
    run_dir: str | Path, title: str | None = None, max_videos: int = 6, max_frames: int = 8, scale: int = 2
) -> str:
    """HTML fragment for :func:`skillsight.reports.build.build_report` (``extra_sections``).

    Shows the run's ranking accuracy per fold and mean (from ``metrics.json``) and up to
    ``max_videos`` attention strips per fold as inline PNGs, each labelled with the video id and score.
    """
    import matplotlib.image as mpimg

    run_dir = Path(run_dir)
    metrics_path = run_dir / "metrics.json"
    if not metrics_path.is_file():
        raise FileNotFoundError(f"ranking run {run_dir} has no metrics.json")
    metrics = json.loads(metrics_path.read_text())
    acc = metrics.get("ranking_accuracy")
    if not isinstance(acc, dict) or "per_fold" not in acc or "mean" not in acc:
        raise DataFormatError(metrics_path, "ranking_accuracy", acc, "not a ranking run's metrics")
    heading = title or f"Pairwise skill ranking: {metrics.get('task', '?')} ({metrics.get('model', '?')})"
    cells = (
        "".join(f"<th>fold {html.escape(str(k))}</th>" for k in acc["per_fold"]) + "<th>mean</th><th>std</th>"
    )
    values = "".join(f"<td>{100 * float(v):.1f}</td>" for v in acc["per_fold"].values())
    values += f"<td>{100 * float(acc['mean']):.1f}</td><td>{100 * float(acc.get('std', 0.0)):.1f}</td>"
    parts = [
        f"<h2>{html.escape(heading)}</h2>",
        f"<table><tr><th>ranking accuracy (%)</th>{cells}</tr>"
        f"<tr><td>validation pairs</td>{values}</tr></table>",
    ]
    for fold_dir in sorted(run_dir.glob("fold_*")):
        maps = sorted((fold_dir / "attention").glob("*.npz"))[:max_videos]
        if not maps:
            continue
        parts.append(f"<h3>Attention, {html.escape(fold_dir.name.replace('_', ' '))} (red = attended)</h3>")
        for npz_path in maps:
            strip, score = _read_strip(npz_path, max_frames)
            strip = np.repeat(np.repeat(strip, scale, axis=0), scale, axis=1)
            buffer = io.BytesIO()
            mpimg.imsave(buffer, strip, format="png")
            label = npz_path.stem + ("" if score is None else f", score {score:.3f}")
            parts.append(
                f"<div><p class='note'>{html.escape(label)}</p><img alt='attention {html.escape(label)}' "
                f"src='data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}'></div>"
            )
    return "".join(parts)
