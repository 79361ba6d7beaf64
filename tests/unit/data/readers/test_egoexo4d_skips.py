"""The scan says what it expected and what it found, and reads the official test list of take names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.scan_report import describe_missing, format_scan_report
from skillsight.exceptions import DataFormatError

from .test_egoexo4d import DOWN, _make_root, _record, _take


def test_a_renamed_camera_is_reported_with_the_expected_and_the_found_file(tmp_path: Path) -> None:
    root = _make_root(
        tmp_path, [_take("u1", "t1"), _take("u2", "t2")], {"train": [_record("u1"), _record("u2")]}
    )
    folder = root / "takes" / "t2" / DOWN
    (folder / "aria01_214-1.mp4").rename(folder / "aria02_214-1.mp4")  # takes.json says aria01
    scan = load_takes(root)
    assert [t.take_uid for t in scan.takes] == ["u1"]
    ((uid, reason),) = scan.skipped
    assert uid == "u2" and reason.startswith("missing video: ")
    assert f"expected {folder / 'aria01_214-1.mp4'}" in reason and "holds aria02_214-1.mp4" in reason
    report = format_scan_report(scan, ("gaze", "video"))
    assert "required files: gaze, video" in report and f"  u2: {reason}" in report


def test_a_missing_folder_names_the_nearest_existing_one(tmp_path: Path) -> None:
    text = describe_missing(tmp_path / "takes" / "t9" / "eye_gaze" / "general_eye_gaze.csv")
    assert "folder" in text and "does not exist" in text and f"nearest existing: {tmp_path}" in text


def test_a_gaze_only_scan_keeps_takes_without_video(tmp_path: Path) -> None:
    root = _make_root(tmp_path, [_take("u1", "t1")], {"train": [_record("u1")]})
    (root / "takes" / "t1" / DOWN / "aria01_214-1.mp4").unlink()
    assert load_takes(root).summary() == {"missing video": 1}
    (take,) = load_takes(root, require=("gaze",)).takes
    assert take.ego_camera not in take.video_paths and take.gaze_path is not None


def test_the_official_test_list_of_take_names_reads_as_unlabelled_takes(tmp_path: Path) -> None:
    takes = [_take("u1", "uniandes_dance_015_5"), _take("u2", "iiith_soccer_022_3")]
    root = _make_root(tmp_path, takes, {"train": [_record("u1")]})
    test_file = root / "annotations" / "proficiency_demonstrator_test.json"
    test_file.write_text(json.dumps(["iiith_soccer_022_3", "not_a_take_3"]))
    scan = load_takes(root, check_leakage=False)
    (test,) = [t for t in scan.takes if t.split == "test"]
    assert (test.take_uid, test.take_name, test.label, test.scenario) == (
        "u2",
        "iiith_soccer_022_3",
        None,
        "Dance",
    )
    assert scan.skipped == [
        ("not_a_take_3", "not in takes.json: take name 'not_a_take_3' of " + test_file.name)
    ]
    test_file.write_text(json.dumps(["iiith_soccer_022_3", "iiith_soccer_022_3"]))
    with pytest.raises(DataFormatError, match="twice"):
        load_takes(root)
    train = root / "annotations" / "proficiency_demonstrator_train.json"
    train.write_text(json.dumps(["uniandes_dance_015_5"]))  # a labelled split cannot be a bare name list
    test_file.unlink()
    with pytest.raises(DataFormatError, match="missing label in the 'train' split"):
        load_takes(root)
