"""``data inspect --deep``: every file read in full, a truncated MP4 caught before training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.data.deep_check import check_take_files, take_files
from skillsight.data.readers.video import write_video
from skillsight.data.records import Take
from skillsight.data.take_warnings import GAZE2D_INPUTS, input_warnings


def _take(tmp_path: Path, video: Path | None, **paths) -> Take:
    return Take(
        take_uid="u1",
        take_name="t1",
        scenario="Dance",
        task_name="x",
        label=0,
        split="train",
        ego_camera="aria01",
        video_paths={"aria01": video} if video else {},
        **paths,
    )


def test_a_truncated_mp4_and_a_damaged_csv_are_found(tmp_path: Path) -> None:
    good = tmp_path / "good.mp4"
    frames = np.random.default_rng(0).integers(0, 255, (30, 32, 32, 3), dtype=np.uint8)
    write_video(good, frames, fps=10)
    assert check_take_files(_take(tmp_path, good)) == []
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size * 2 // 3])
    gaze = tmp_path / "general_eye_gaze.csv"
    gaze.write_text("tracking_timestamp_us,yaw_rads_cpf\n1,abc\n")
    take = _take(tmp_path, cut, gaze_path=gaze)
    assert [kind for kind, _ in take_files(take)] == ["video[aria01]", "gaze"]
    problems = check_take_files(take)
    assert [p.kind for p in problems] == ["video[aria01]", "gaze"]
    assert all(p.take_name == "t1" and "t1 (u1)" in p.format() for p in problems)
    assert str(cut) in problems[0].format() and problems[0].message


@pytest.mark.parametrize(
    ("gaze2d", "calibration", "trajectory", "expected"),
    [
        (None, None, None, ["neither 2D gaze", "no trajectory"]),
        ("x.csv", None, "t.csv", []),
        (None, "c.json", "t.csv", []),  # 2D gaze projected from the 3D gaze with the calibration
    ],
)
def test_warnings_say_what_a_model_loses(tmp_path, gaze2d, calibration, trajectory, expected) -> None:
    take = _take(
        tmp_path,
        None,
        gaze2d_path=Path(gaze2d) if gaze2d else None,
        calibration_path=Path(calibration) if calibration else None,
        trajectory_path=Path(trajectory) if trajectory else None,
    )
    lines = input_warnings([take], GAZE2D_INPUTS)
    assert len(lines) == len(expected) and all(e in line for e, line in zip(expected, lines))
    assert all("1 of 1 takes" in line and "(t1)" in line for line in lines)
    assert input_warnings([take], ("video",)) == []  # a video-only model reads neither
