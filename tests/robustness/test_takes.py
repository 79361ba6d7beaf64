"""Ego-Exo4D metadata that is wrong in one way: a clear error, a counted note, or a report.

Covers issue 14 sections 2-4 for takes.json and the annotations: paths leaving the root, values of the
wrong type, missing fields that used to become 0.0 or "", ambiguous cameras, participant leakage, and
the gaze/video timeline anchor (gaze that starts after the video).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.aria import write_gaze_csv
from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.records import Take
from skillsight.exceptions import DataFormatError, SplitLeakageError
from skillsight.gaze.tracks import GazeTrack


def _take(uid: str, **extra: object) -> dict:
    take = {
        "take_uid": uid,
        "take_name": f"sfu_dance_{uid}_1",
        "root_dir": f"takes/{uid}",
        "parent_task_name": "Dance",
        "task_name": "Basic choreography",
        "duration_sec": 12.0,
        "capture": {"capture_name": f"sfu_dance_{uid}", "cameras": [{"cam_id": "aria01", "is_ego": True}]},
        "frame_aligned_videos": {
            "aria01": {"rgb": {"relative_path": "frame_aligned_videos/aria01_214-1.mp4"}}
        },
    }
    take.update(extra)
    return take


def _record(uid: str, participant: str | None = None) -> dict:
    rec = {
        "take_uid": uid,
        "scenario_name": "Dance",
        "task_name": "Basic choreography",
        "proficiency_score": "Novice",
    }
    if participant is not None:
        rec["origin_participant_id"] = participant
    return rec


def _root(tmp_path: Path, takes: list[dict], splits: dict[str, list[dict]]) -> Path:
    (tmp_path / "annotations").mkdir(parents=True, exist_ok=True)
    (tmp_path / "takes.json").write_text(json.dumps(takes))
    for split, recs in splits.items():
        path = tmp_path / "annotations" / f"proficiency_demonstrator_{split}.json"
        path.write_text(json.dumps({"annotations": recs}))
    for take in takes:
        gaze = tmp_path / "takes" / take["take_uid"] / "eye_gaze" / "general_eye_gaze.csv"
        gaze.parent.mkdir(parents=True, exist_ok=True)
        gaze.write_text("x\n")
    return tmp_path


@pytest.mark.parametrize("root_dir", ["../../x", "/etc", "takes/../../outside", "C:/data"])
def test_root_dir_outside_the_dataset_is_refused(tmp_path: Path, root_dir: str) -> None:
    root = _root(tmp_path, [_take("a", root_dir=root_dir)], {"train": [_record("a")]})
    with pytest.raises(DataFormatError, match=r"root_dir.*leaves the dataset root"):
        load_takes(root, require=("gaze",))


def test_video_relative_path_of_the_wrong_type_or_naming_no_file(tmp_path: Path) -> None:
    bad = _take("a", frame_aligned_videos={"aria01": {"rgb": {"relative_path": 7}}})
    root = _root(tmp_path, [bad], {"train": [_record("a")]})
    with pytest.raises(DataFormatError, match=r"relative_path.*expected a non-empty relative path.*7"):
        load_takes(root, require=("gaze",))
    bad = _take("a", frame_aligned_videos={"aria01": {"rgb": {"relative_path": "videos/.."}}})
    root = _root(tmp_path, [bad], {"train": [_record("a")]})
    with pytest.raises(DataFormatError, match="leaves the dataset root"):
        load_takes(root, require=("gaze",))


@pytest.mark.parametrize("value", ["abc", -3, float("nan"), True])
def test_duration_that_is_not_seconds_is_refused(tmp_path: Path, value: object) -> None:
    root = _root(tmp_path, [_take("a", duration_sec=value)], {"train": [_record("a")]})
    with pytest.raises(DataFormatError, match=r"duration_sec.*number of seconds"):
        load_takes(root, require=("gaze",))


def test_missing_fields_are_notes_not_silent_defaults(tmp_path: Path) -> None:
    take = _take("a")
    del take["duration_sec"], take["task_name"]
    rec = _record("a")
    del rec["task_name"]
    two_streams = _take(
        "b",
        capture={"cameras": [{"cam_id": "aria01", "is_ego": True}, {"cam_id": "cam01", "is_ego": False}]},
        frame_aligned_videos={
            "aria01": {"rgb": {"relative_path": "frame_aligned_videos/aria01_214-1.mp4"}},
            "cam01": {"1": {"relative_path": "a.mp4"}, "2": {"relative_path": "b.mp4"}},
        },
    )
    root = _root(tmp_path, [take, two_streams], {"train": [rec, _record("b", "p1")]})
    scan = load_takes(root, require=("gaze",))
    by_uid = {t.take_uid: t for t in scan.takes}
    assert by_uid["a"].duration_sec is None and by_uid["a"].task_name == ""  # not 0.0
    notes = "\n".join(n for _, n in scan.notes)
    assert "duration unknown" in notes and "no task_name" in notes and "no participant id" in notes
    assert "camera dropped (ambiguous streams): cam01" in notes
    assert "notes on" in scan.format_summary()


def test_participant_in_train_and_test_is_reported_take_in_two_splits_is_an_error(tmp_path: Path) -> None:
    takes = [_take(u) for u in ("a", "b", "c")]
    splits = {"train": [_record("a", "p1"), _record("b", "p2")], "test": [_record("c", "p1")]}
    scan = load_takes(_root(tmp_path, takes, splits), require=("gaze",))
    assert scan.participant_overlaps == ["p1: train 1, test 1 takes"]
    assert "participant leakage: 1 participants" in scan.format_summary()
    splits["test"].append(_record("a", "p1"))
    with pytest.raises(SplitLeakageError, match="take a is in two splits"):
        load_takes(_root(tmp_path / "x", takes, splits), require=("gaze",))


def _gaze_file(path: Path, start_us: int, seconds: float) -> None:
    n = int(seconds * 10)
    t = start_us + np.arange(n, dtype=np.int64) * 100_000
    write_gaze_csv(path, GazeTrack(t, np.full(n, 0.1), np.zeros(n), np.full(n, 1.0), np.ones(n, bool), "t"))


def test_timesync_anchors_the_video_start_so_late_gaze_is_masked(tmp_path: Path) -> None:
    """Gaze that starts 3 s after the video: frame 0 is no longer paired with gaze from 3 s later."""
    from skillsight.data.datasets import SkillClipDataset

    video0_us = 50_000_000
    take = _take("a", timesync_start_idx=4)
    root = _root(tmp_path, [take], {"train": [_record("a", "p1")]})
    sync = root / "captures" / "sfu_dance_a" / "timesync.csv"
    sync.parent.mkdir(parents=True)
    rows = [f"{(video0_us + (i - 5) * 33_333) * 1000}" for i in range(20)]  # row 5 = frame 0
    sync.write_text("aria01_214-1_capture_timestamp_ns\n" + "\n".join(rows) + "\n")
    _gaze_file(root / "takes" / "a" / "eye_gaze" / "general_eye_gaze.csv", video0_us + 3_000_000, 9.0)
    scan = load_takes(root, require=("gaze",))
    (t,) = scan.takes
    assert t.video_start_us == video0_us
    ds = SkillClipDataset([t], ["gaze", "gaze_mask"], mode="test", num_clips=1, num_frames=8)
    item = ds[0]
    # steps at 0, 0.5, ... 3.5 s: the first six precede the gaze (3 s late): masked, not shifted
    assert item["gaze_mask"].tolist() == [False] * 6 + [True] * 2
    unanchored = Take(**{**t.__dict__, "video_start_us": None})
    item = SkillClipDataset([unanchored], ["gaze", "gaze_mask"], mode="test", num_clips=1, num_frames=8)[0]
    assert item["gaze_mask"].all()  # the old guess: frame 0 = first gaze sample


def test_annotation_file_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    root = _root(tmp_path, [_take("a")], {"train": [_record("a")]})
    (root / "annotations" / "proficiency_demonstrator_train.json").write_bytes(b'{"annotations": ["\xe9"]}')
    with pytest.raises(DataFormatError, match="not UTF-8 text"):
        load_takes(root, require=("gaze",))
