"""Paths in data files that would leave the dataset root are refused (issue 14 section 3).

(takes.json ``root_dir`` and video paths: tests/robustness/test_takes.py.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.gaze_estimation.readers import read_mpiifacegaze
from skillsight.projects.ranking.pairs import read_gt_csv, resolve_videos


def _mpii_line(image: str, gt: str = "100 50 600") -> str:
    fields = [image, "10", "20"] + ["300"] * 12 + ["0.1"] * 6 + ["0", "0", "600"] + gt.split() + ["left"]
    return " ".join(fields)


@pytest.mark.parametrize("image", ["../../../../etc/passwd", "/etc/passwd", "day01/../../p01.txt"])
def test_mpiifacegaze_image_path_outside_the_subject_is_refused(tmp_path: Path, image: str) -> None:
    (tmp_path / "p00").mkdir()
    (tmp_path / "p00" / "p00.txt").write_text(_mpii_line("day01/0001.jpg") + "\n" + _mpii_line(image) + "\n")
    with pytest.raises(DataFormatError, match=r"line 2, field image.*leaves the subject folder"):
        read_mpiifacegaze(tmp_path)


def test_mpiifacegaze_nan_gaze_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p00").mkdir()
    (tmp_path / "p00" / "p00.txt").write_text(_mpii_line("day01/0001.jpg", gt="nan 50 600") + "\n")
    with pytest.raises(DataFormatError, match=r"line 1, field gt_x.*not a finite number.*nan"):
        read_mpiifacegaze(tmp_path)


@pytest.mark.parametrize("vid", ["../secret", "a/b", "..", "x..y/..z"])
def test_epic_skills_ids_that_are_paths_are_refused(tmp_path: Path, vid: str) -> None:
    gt = tmp_path / "task_gt.csv"
    gt.write_text(f"Vid1,Vid2,Best\nP01,{vid},P01\n")
    with pytest.raises(DataFormatError, match="video id is a path"):
        read_gt_csv(gt)
    videos = tmp_path / "videos"
    videos.mkdir()
    with pytest.raises(DataFormatError, match="video id is a path"):
        resolve_videos([vid], videos)


def test_a_pattern_that_resolves_outside_the_video_root_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.mp4").write_bytes(b"")
    videos = tmp_path / "videos"
    videos.mkdir()
    with pytest.raises(DataFormatError, match="resolves outside"):
        resolve_videos(["outside"], videos, pattern="../{id}.mp4")
