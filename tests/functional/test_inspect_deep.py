"""``skillsight data inspect --deep`` on a damaged download: a renamed camera, a cut MP4, no 2D gaze."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from skillsight.cli.main import main

DOWN = Path("frame_aligned_videos/downscaled/448")


def test_inspect_deep_names_each_problem_on_one_line(
    small_skill_dataset: Path, tmp_path: Path, capsys
) -> None:
    root = tmp_path / "data"
    shutil.copytree(small_skill_dataset, root)
    first, second, third = sorted((root / "takes").iterdir())[:3]
    (first / DOWN / "aria01_214-1.mp4").rename(first / DOWN / "aria02_214-1.mp4")  # takes.json: aria01
    cut = second / DOWN / "aria01_214-1.mp4"
    cut.write_bytes(cut.read_bytes()[: cut.stat().st_size // 2])
    (third / "eye_gaze" / "general_eye_gaze_2d.csv").unlink()
    (third / "device_calibration.json").unlink()
    with pytest.raises(SystemExit) as exc:
        main(["data", "inspect", str(root), "--deep"])
    assert exc.value.code == 1, "a file that does not read fails the deep check"
    out = capsys.readouterr().out
    lines = out.splitlines()
    expected = first / DOWN / "aria01_214-1.mp4"
    assert any(
        f"missing video: expected {expected}; " in ln and ln.endswith("holds aria02_214-1.mp4")
        for ln in lines
    )
    assert any(f"take {second.name} (" in ln and f"video[aria01] {cut}: " in ln for ln in lines), out
    assert any("1 of 71 takes have neither 2D gaze" in ln and third.name in ln for ln in lines), out
    assert "deep check: 1 of" in out and "files do not read" in out
