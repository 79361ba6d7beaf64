"""Ego-Exo4D camera discovery: which camera is ego, which stream is read, paths kept inside the root."""

from __future__ import annotations

import pytest

from skillsight.data.readers.egoexo4d_cameras import discover_cameras, inside_root, is_true, video_file_name
from skillsight.exceptions import DataFormatError


def _take(cameras: list[dict], videos: dict) -> dict:
    return {"capture": {"cameras": cameras}, "frame_aligned_videos": videos}


def test_flags_read_as_real_files_store_them() -> None:
    assert is_true(True) and is_true("true") and is_true(" True ")
    assert not is_true("false") and not is_true(1) and not is_true(None)


@pytest.mark.parametrize("bad", ["/abs/a.mp4", "../up.mp4", "takes/../../x", "C:\\videos\\a.mp4", "", 3])
def test_paths_that_leave_the_root_are_refused_naming_the_field(bad) -> None:
    with pytest.raises(DataFormatError, match="root_dir"):
        inside_root("takes.json (take u1)", "root_dir", bad)


def test_video_file_name_keeps_only_the_name() -> None:
    assert video_file_name("s", "f", "frame_aligned_videos\\aria01_214-1.mp4") == "aria01_214-1.mp4"
    assert str(inside_root("s", "root_dir", "takes/a_1")) == "takes/a_1"


def test_ego_is_the_flagged_camera_and_ties_go_to_the_aria() -> None:
    cameras = [
        {"cam_id": "aria01", "is_ego": "true", "device_type": "aria"},
        {"cam_id": "gp01", "is_ego": True, "device_type": "gopro"},  # a wrongly flagged exo camera
    ]
    videos = {
        "aria01": {"rgb": {"relative_path": "v/aria01_214-1.mp4"}, "slam-left": {"relative_path": "v/s.mp4"}},
        "gp01": {"0": {"relative_path": "v/gp01.mp4"}},
        "collage": {"0": {"relative_path": "v/collage.mp4"}},  # not a camera of the capture
    }
    ego, names = discover_cameras(_take(cameras, videos), {}, "src")
    assert ego == "aria01"
    assert names == {"aria01": "aria01_214-1.mp4", "gp01": "gp01.mp4"}


def test_a_camera_with_ambiguous_streams_is_dropped_with_a_note() -> None:
    cameras = [{"cam_id": "aria01", "is_ego": True}, {"cam_id": "gp02", "is_ego": False}]
    videos = {
        "aria01": {"rgb": {"relative_path": "v/aria01.mp4"}},
        "gp02": {"1": {"relative_path": "v/a.mp4"}, "2": {"relative_path": "v/b.mp4"}},
    }
    notes: list[str] = []
    ego, names = discover_cameras(_take(cameras, videos), {}, "src", notes)
    assert ego == "aria01" and names == {"aria01": "aria01.mp4"}
    assert notes == ["camera dropped (ambiguous streams): gp02 has ['1', '2'], no '0' stream"]


def test_without_frame_aligned_videos_the_annotation_video_paths_are_used() -> None:
    record = {"video_paths": {"ego": "takes/t/aria02_214-1.mp4", "exo1": "takes/t/cam01.mp4", "exo2": ""}}
    ego, names = discover_cameras({}, record, "src")
    assert ego == "aria02" and names == {"aria02": "aria02_214-1.mp4", "cam01": "cam01.mp4"}
    with pytest.raises(DataFormatError, match="video_paths"):
        discover_cameras({}, {"video_paths": ["a.mp4"]}, "src")
