"""Ego-Exo4D reader: annotations, camera discovery, skips, labels, scenarios, leakage, 2D gaze CSV."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.readers.egoexo4d import (
    check_split_leakage,
    label_from_score,
    load_takes,
    read_annotations,
    read_gaze2d_csv,
    read_takes_json,
    scenario_from_name,
    write_gaze2d_csv,
)
from skillsight.exceptions import DataFormatError, SplitLeakageError
from skillsight.gaze.tracks import Gaze2DTrack

DOWN = "frame_aligned_videos/downscaled/448"


def _take(
    uid: str,
    name: str,
    ego: str = "aria01",
    exos: tuple[str, ...] = (),
    ego_flag: object = True,
    root_dir: str | None = None,
) -> dict:
    cameras = [{"cam_id": ego, "is_ego": ego_flag, "device_type": "aria"}]
    videos = {
        ego: {
            "rgb": {"relative_path": f"frame_aligned_videos/{ego}_214-1.mp4"},
            "et": {"relative_path": f"frame_aligned_videos/{ego}_211-1.mp4"},
        }
    }
    for cam in exos:
        cameras.append({"cam_id": cam, "is_ego": "False", "device_type": "gopro"})
        videos[cam] = {"0": {"relative_path": f"frame_aligned_videos/{cam}.mp4"}}
    videos["collage"] = {"0": {"relative_path": "frame_aligned_videos/collage.mp4"}}
    return {
        "take_uid": uid,
        "take_name": name,
        "root_dir": root_dir or f"takes/{name}",
        "parent_task_name": "Dance",
        "task_name": "Performing the basic choreography",
        "duration_sec": 12.0,
        "has_trimmed_eye_gaze": True,
        "capture": {"cameras": cameras},
        "frame_aligned_videos": videos,
    }


def _record(uid: str, scenario: str = "Dance", score: object = "Novice") -> dict:
    rec = {
        "task_id": 1,
        "task_name": "Performing the basic choreography",
        "scenario_name": scenario,
        "university_id": "sfu",
        "origin_participant_id": f"p_{uid}",
        "take_uid": uid,
        "video_paths": {"ego": f"takes/{uid}/frame_aligned_videos/aria01_214-1.mp4"},
    }
    if score is not None:
        rec["proficiency_score"] = score
    return rec


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def _make_root(
    tmp_path: Path, takes: list[dict], splits: dict[str, list[dict]], bare: bool = False, files: bool = True
) -> Path:
    (tmp_path / "annotations").mkdir(parents=True, exist_ok=True)
    (tmp_path / "takes.json").write_text(json.dumps(takes))
    for split, records in splits.items():
        doc = records if bare else {"annotations": records}
        (tmp_path / "annotations" / f"proficiency_demonstrator_{split}.json").write_text(json.dumps(doc))
    if files:
        for take in takes:
            folder = tmp_path / take["root_dir"]
            for cam, streams in take["frame_aligned_videos"].items():
                if cam == "collage":
                    continue
                stream = streams.get("rgb", streams.get("0"))
                _touch(folder / DOWN / Path(stream["relative_path"]).name)
            _touch(folder / "eye_gaze" / "general_eye_gaze.csv")
            _touch(folder / "eye_gaze" / "general_eye_gaze_2d.csv")
            _touch(folder / "trajectory" / "closed_loop_trajectory.csv")
    return tmp_path


def test_dict_and_bare_list_annotations_read_the_same(tmp_path: Path) -> None:
    recs = [_record("a"), _record("b", score="Late Expert")]
    a = tmp_path / "dict.json"
    b = tmp_path / "list.json"
    a.write_text(json.dumps({"annotations": recs}))
    b.write_text(json.dumps(recs))
    assert read_annotations(a) == read_annotations(b) == recs
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"records": recs}))
    with pytest.raises(DataFormatError, match="annotations"):
        read_annotations(bad)
    dup = tmp_path / "dup.json"
    dup.write_text(json.dumps([_record("a"), _record("a")]))
    with pytest.raises(DataFormatError, match="twice"):
        read_annotations(dup)


def test_labels_are_mapped_exactly_and_unknown_labels_name_file_take_and_value(tmp_path: Path) -> None:
    names = ("Novice", "Early Expert", "Intermediate Expert", "Late Expert")
    assert [label_from_score(s, "f", "t") for s in names] == [0, 1, 2, 3]
    for bad in ("novice", "Expert", "Late expert", 3, None):
        with pytest.raises(DataFormatError):
            label_from_score(bad, "f", "t")
    root = _make_root(tmp_path, [_take("u1", "t1")], {"train": [_record("u1", score="Advanced")]})
    with pytest.raises(DataFormatError) as err:
        load_takes(root)
    msg = str(err.value)
    assert "proficiency_demonstrator_train.json" in msg and "u1" in msg and "Advanced" in msg


def test_scenarios_are_matched_exactly_never_by_substring(tmp_path: Path) -> None:
    assert scenario_from_name("Dance", "f", "t") == "Dance"
    assert scenario_from_name("Rock Climbing", "f", "t") == "Rock Climbing"
    for bad in ("Dance Music", "Music Dance", "dance", "Cooking ", "Bike Repair", None):
        with pytest.raises(DataFormatError):
            scenario_from_name(bad, "f", "t")
    root = _make_root(tmp_path, [_take("u1", "t1")], {"train": [_record("u1", scenario="Dance/Music")]})
    with pytest.raises(DataFormatError, match="Dance/Music"):
        load_takes(root)


def test_cameras_are_discovered_and_paths_point_at_448_videos(tmp_path: Path) -> None:
    takes = [_take("u1", "t1", ego="aria02", exos=("gp01", "gp02"), ego_flag="true")]
    root = _make_root(tmp_path, takes, {"train": [_record("u1", score="Early Expert")]}, bare=True)
    scan = load_takes(root)
    assert scan.skipped == [] and len(scan.takes) == 1
    take = scan.takes[0]
    assert take.ego_camera == "aria02" and take.exo_cameras == ["gp01", "gp02"]
    assert take.label == 1 and take.scenario == "Dance" and take.split == "train"
    assert take.video_paths["aria02"] == root / "takes/t1" / DOWN / "aria02_214-1.mp4"
    assert take.video_paths["gp01"] == root / "takes/t1" / DOWN / "gp01.mp4"
    assert take.gaze_path == root / "takes/t1/eye_gaze/general_eye_gaze.csv"
    assert take.trajectory_path is not None and take.calibration_path is None


def test_root_dir_without_takes_prefix_is_resolved(tmp_path: Path) -> None:
    takes = [_take("u1", "t1", root_dir="t1")]
    _make_root(tmp_path, [dict(takes[0], root_dir="takes/t1")], {"val": [_record("u1")]})
    (tmp_path / "takes.json").write_text(json.dumps(takes))  # older takes.json: root_dir = take name
    scan = load_takes(tmp_path, splits=("val",))
    assert scan.skipped == []
    assert scan.takes[0].gaze_path == tmp_path / "takes/t1/eye_gaze/general_eye_gaze.csv"


def test_missing_files_are_skipped_with_counted_reasons(tmp_path: Path) -> None:
    takes = [_take(f"u{i}", f"t{i}", exos=("cam01",)) for i in range(5)]
    recs = [_record(f"u{i}") for i in range(5)]
    root = _make_root(tmp_path, takes, {"train": recs[:3], "val": recs[3:]})
    (root / "takes/t0" / DOWN / "aria01_214-1.mp4").unlink()
    (root / "takes/t1" / DOWN / "aria01_214-1.mp4").unlink()
    (root / "takes/t2/eye_gaze/general_eye_gaze.csv").unlink()
    (root / "takes/t3" / DOWN / "cam01.mp4").unlink()
    scan = load_takes(root)
    assert [t.take_uid for t in scan.takes] == ["u3", "u4"]
    assert scan.summary() == {"missing gaze": 1, "missing video": 2}
    reason = dict(scan.skipped)["u0"]
    assert reason.startswith("missing video: ") and "aria01_214-1.mp4" in reason
    assert scan.takes[0].exo_cameras == []
    assert scan.notes == [("u3", "exo view dropped (file missing): cam01")]
    assert scan.missing_splits == ["test"]
    text = scan.format_summary()
    assert "skipped 3 takes" in text and "missing video" in text and "test" in text
    strict = load_takes(root, require=("gaze", "video", "exo"))
    assert [t.take_uid for t in strict.takes] == ["u4"] and strict.summary()["missing exo video"] == 1
    assert load_takes(root, require=()).summary() == {}


def test_take_missing_from_takes_json_and_gaze_flag_false_are_skips(tmp_path: Path) -> None:
    takes = [_take("u1", "t1"), dict(_take("u2", "t2"), has_trimmed_eye_gaze=False)]
    root = _make_root(tmp_path, takes, {"train": [_record("u1"), _record("u2"), _record("ghost")]})
    scan = load_takes(root)
    assert [t.take_uid for t in scan.takes] == ["u1"]
    assert scan.summary() == {"no gaze": 1, "not in takes.json": 1}


def test_labels_optional_only_in_test_split(tmp_path: Path) -> None:
    takes = [_take("u1", "t1"), _take("u2", "t2")]
    root = _make_root(tmp_path, takes, {"test": [_record("u1", score=None)], "train": [_record("u2")]})
    scan = load_takes(root)
    assert {t.take_uid: t.label for t in scan.takes} == {"u1": None, "u2": 0}
    assert load_takes(root, require=("label",)).summary() == {"unlabelled": 1}
    train = root / "annotations/proficiency_demonstrator_train.json"
    train.write_text(json.dumps([_record("u2", score=None)]))
    with pytest.raises(DataFormatError, match="missing label"):
        load_takes(root)


def test_same_take_in_two_splits_is_leakage(tmp_path: Path) -> None:
    root = _make_root(tmp_path, [_take("u1", "t1")], {"val": [_record("u1")], "test": [_record("u1")]})
    with pytest.raises(SplitLeakageError) as err:
        load_takes(root)
    assert "u1" in str(err.value) and "'val'" in str(err.value) and "'test'" in str(err.value)
    scan = load_takes(root, check_leakage=False)
    assert len(scan.takes) == 2
    with pytest.raises(SplitLeakageError, match="u1"):
        check_split_leakage(scan)
    check_split_leakage(scan.takes[:1])


def test_no_annotation_file_at_all_is_an_error(tmp_path: Path) -> None:
    root = _make_root(tmp_path, [_take("u1", "t1")], {})
    with pytest.raises(FileNotFoundError, match="proficiency_demonstrator"):
        load_takes(root)
    with pytest.raises(DataFormatError, match="require"):
        load_takes(root, require=("audio",))


def test_takes_json_validation(tmp_path: Path) -> None:
    path = tmp_path / "takes.json"
    path.write_text(json.dumps([_take("u1", "t1"), _take("u1", "t2")]))
    with pytest.raises(DataFormatError, match="duplicated"):
        read_takes_json(path)
    path.write_text(json.dumps([{"take_uid": "u1", "take_name": "t1"}]))
    with pytest.raises(DataFormatError, match="root_dir"):
        read_takes_json(path)
    path.write_text("[{")
    with pytest.raises(DataFormatError, match="invalid JSON"):
        read_takes_json(path)


def test_personalized_gaze_kind(tmp_path: Path) -> None:
    root = _make_root(tmp_path, [_take("u1", "t1")], {"train": [_record("u1")]})
    assert load_takes(root, gaze_kind="personalized").summary() == {"missing gaze": 1}
    _touch(root / "takes/t1/eye_gaze/personalized_eye_gaze.csv")
    take = load_takes(root, gaze_kind="personalized").takes[0]
    assert take.gaze_path.name == "personalized_eye_gaze.csv" and take.gaze2d_path is None


def test_gaze2d_csv_round_trip_with_empty_cells(tmp_path: Path) -> None:
    ts = np.arange(5, dtype=np.int64) * 100_000 + 123_456_789
    xy = np.array([[700.25, 650.5], [np.nan, np.nan], [1.0 / 3.0, 1407.0], [0.0, 0.0], [12.5, 99.125]])
    path = write_gaze2d_csv(tmp_path / "g.csv", Gaze2DTrack(ts, xy, (1408, 1408)))
    assert path.read_text().splitlines()[0] == "frame_num,tracking_timestamp_us,x,y"
    assert path.read_text().splitlines()[2] == "1,123556789,,"
    track = read_gaze2d_csv(path)
    np.testing.assert_array_equal(track.timestamps_us, ts)
    np.testing.assert_array_equal(track.xy_px, xy)
    assert track.image_size_px == (1408, 1408) and track.upright


def test_gaze2d_csv_errors_name_file_field_and_line(tmp_path: Path) -> None:
    path = tmp_path / "g.csv"
    path.write_text("tracking_timestamp_us,x\n1,2\n")
    with pytest.raises(DataFormatError, match="'y'"):
        read_gaze2d_csv(path)
    path.write_text("tracking_timestamp_us,x,y\n10,1,2\n10,3,4\n")
    with pytest.raises(DataFormatError, match="line 3"):
        read_gaze2d_csv(path)
    path.write_text("tracking_timestamp_us,x,y\n10,1,abc\n")
    with pytest.raises(DataFormatError, match="abc"):
        read_gaze2d_csv(path)
    path.write_text("frame_num,tracking_timestamp_us,x,y\n0,,1,2\n")
    with pytest.raises(DataFormatError, match="tracking_timestamp_us"):
        read_gaze2d_csv(path)
