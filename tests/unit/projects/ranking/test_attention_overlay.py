"""Attention overlays: resizing, blending, strips, PNGs from a run folder; the module needs no torch."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.ranking.attention_overlay import (
    attention_strip,
    overlay_attention,
    upsample_attention,
    write_attention_pngs,
)


def test_upsample_keeps_constants_and_cell_centres() -> None:
    np.testing.assert_allclose(upsample_attention(np.full((3, 3), 0.2), (12, 12)), 0.2)
    a = np.array([[0.0, 1.0]])
    up = upsample_attention(a, (1, 4))  # pixel centres at cells -0.25, 0.25, 0.75, 1.25 (clamped)
    np.testing.assert_allclose(up[0], [0.0, 0.25, 0.75, 1.0])


def test_overlay_marks_the_attended_cell() -> None:
    frame = np.full((16, 16, 3), 128, np.uint8)
    attention = np.zeros((2, 2))
    attention[1, 1] = 1.0
    out = overlay_attention(frame, attention)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert out[12, 12, 0] > out[3, 3, 0]  # jet: hot = red where attention is high
    with pytest.raises(DataFormatError):
        overlay_attention(frame.astype(np.float32), attention)


def test_strip_and_pngs_from_a_run_folder(tmp_path: Path) -> None:
    frames = np.zeros((5, 8, 8, 3), np.uint8)
    attention = np.full((5, 2, 2), 0.25)
    strip = attention_strip(frames, attention, max_frames=3, gap_px=1)
    assert strip.shape == (8, 3 * 8 + 2, 3)
    folder = tmp_path / "run" / "fold_2" / "attention"
    folder.mkdir(parents=True)
    np.savez(folder / "S001.npz", frames=frames, attention=attention, frame_indices=np.arange(5), score=1.0)
    written = write_attention_pngs(tmp_path / "run", max_frames=3, scale=2)
    assert [p.name for p in written] == ["fold2_S001.png"]
    import matplotlib.image as mpimg

    assert mpimg.imread(written[0]).shape[:2] == (16, (3 * 8 + 2 * 2) * 2)
    np.savez(folder / "S002.npz", frames=frames)
    with pytest.raises(DataFormatError, match="attention"):
        write_attention_pngs(tmp_path / "run")


def test_reports_module_does_not_import_torch() -> None:
    code = (
        "import sys, skillsight.projects.ranking.attention_overlay as m; "
        "assert 'torch' not in sys.modules, 'torch'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_ranking_section_html(tmp_path: Path) -> None:
    from skillsight.projects.ranking.attention_overlay import ranking_section

    run = tmp_path / "run"
    (run / "fold_1" / "attention").mkdir(parents=True)
    (run / "metrics.json").write_text(
        '{"task": "t", "model": "m", "ranking_accuracy": '
        '{"per_fold": {"1": 0.75}, "mean": 0.75, "std": 0.0, "n_folds": 1}}'
    )
    np.savez(
        run / "fold_1" / "attention" / "S001.npz",
        frames=np.zeros((3, 8, 8, 3), np.uint8),
        attention=np.full((3, 2, 2), 0.25),
        score=np.float32(0.5),
    )
    fragment = ranking_section(run)
    assert "<td>75.0</td>" in fragment and "S001, score 0.500" in fragment
    assert fragment.count("data:image/png;base64,") == 1
    (run / "metrics.json").write_text('{"overall_accuracy": 0.5}')
    with pytest.raises(DataFormatError, match="ranking_accuracy"):
        ranking_section(run)
