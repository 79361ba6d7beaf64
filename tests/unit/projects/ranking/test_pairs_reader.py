"""EPIC-Skills reader on fixtures with the real files' quirks, its errors, and video resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.ranking.pairs import (
    SimilarPair,
    SkillPair,
    filter_pairs,
    load_epic_skills,
    read_gt_csv,
    read_similar_csv,
    read_split_csv,
    resolve_videos,
    similar_pairs_for_training,
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode())
    return path


# As in dough_rolling_gt.csv: "Best," header, CRLF, trailing commas on some rows only, a duplicate row.
GT_DOUGH = "Vid1,Vid2,Best,\r\nS08,S33,S33,\r\nS07,S30,S07\r\nS49,S51,S49\r\nS08,S33,S33,\r\n"
# As in suturing_gt.csv: "Better," header.
GT_SUTURING = "Vid1,Vid2,Better,\r\nE002,I003,E002,\r\nF002,G001,F002,\r\n"
SPLIT = "Better,Worse,\r\nS33,S08,\r\nS07,S30,\r\n"


def test_gt_with_trailing_commas_crlf_and_best_header(tmp_path: Path) -> None:
    pairs = read_gt_csv(_write(tmp_path / "dough_rolling_gt.csv", GT_DOUGH))
    assert pairs == [
        SkillPair("S33", "S08"),
        SkillPair("S07", "S30"),
        SkillPair("S49", "S51"),
        SkillPair("S33", "S08"),
    ]


def test_gt_with_better_header_and_plain_lf(tmp_path: Path) -> None:
    pairs = read_gt_csv(_write(tmp_path / "s_gt.csv", GT_SUTURING.replace("\r\n", "\n")))
    assert pairs == [SkillPair("E002", "I003"), SkillPair("F002", "G001")]


def test_split_file(tmp_path: Path) -> None:
    assert read_split_csv(_write(tmp_path / "t_train_1.csv", SPLIT)) == [
        SkillPair("S33", "S08"),
        SkillPair("S07", "S30"),
    ]


def test_load_task_with_nested_splits(tmp_path: Path) -> None:
    _write(tmp_path / "dough_gt.csv", GT_DOUGH)
    for k in range(1, 5):
        _write(tmp_path / "splits" / f"dough_train_{k}.csv", SPLIT)
        _write(tmp_path / "splits" / f"dough_val_{k}.csv", "Better,Worse,\r\nS49,S51,\r\n")
    ann = load_epic_skills(tmp_path, "dough")
    assert sorted(ann.folds) == [1, 2, 3, 4]
    assert ann.folds[2][1] == [SkillPair("S49", "S51")]
    assert ann.video_ids() == ["S07", "S08", "S30", "S33", "S49", "S51"]
    with pytest.raises(ConfigError, match=r"numbered 1\.\.4"):
        load_epic_skills(tmp_path, "dough", folds=[5])
    (tmp_path / "splits" / "dough_val_3.csv").unlink()
    with pytest.raises(FileNotFoundError, match=r"dough_val_3\.csv"):
        load_epic_skills(tmp_path, "dough")


@pytest.mark.parametrize(
    "text, line, field, value",
    [
        ("Vid1,Vid2,Winner,\r\nA,B,A,\r\n", 1, "header", "Vid1,Vid2,Winner,"),
        ("Vid1,Vid2,Best,\r\nA,B,C,\r\n", 2, "Best", "C"),
        ("Vid1,Vid2,Best,\r\nA,B,A,\r\nA,B\r\n", 3, "", "A,B"),
        ("Vid1,Vid2,Best,\r\nA,B,A,extra\r\n", 2, "", "A,B,A,extra"),
        ("Vid1,Vid2,Best,\r\n,B,B,\r\n", 2, "Vid1", ""),
        ("Vid1,Vid2,Best,\r\nA ,B,B,\r\n", 2, "Vid1", "A "),
        ("Vid1,Vid2,Best,\r\nA,A,A,\r\n", 2, "Vid2", "A"),
        ("Vid1,Vid2,Best,\r\nA,B,A,\r\n\r\nC,D,C,\r\n", 3, "", ""),
    ],
)
def test_gt_errors_name_file_line_field_value(
    tmp_path: Path, text: str, line: int, field: str, value: str
) -> None:
    path = _write(tmp_path / "bad_gt.csv", text)
    with pytest.raises(DataFormatError) as info:
        read_gt_csv(path)
    err = info.value
    assert err.source == f"{path}:{line}" and err.field == field and err.value == value
    assert str(path) in str(err)


def test_split_rejects_gt_header_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DataFormatError, match="expected header Better,Worse"):
        read_split_csv(_write(tmp_path / "a.csv", GT_DOUGH))
    with pytest.raises(DataFormatError, match="file is empty"):
        read_split_csv(_write(tmp_path / "b.csv", "\r\n"))
    with pytest.raises(FileNotFoundError):
        read_split_csv(tmp_path / "absent.csv")


def test_resolve_videos_skip_error_and_patterns(tmp_path: Path) -> None:
    for name in ("A1.mp4", "Suturing_B001_capture2.avi", "Suturing_B001_capture1.avi"):
        _write(tmp_path / name, "x")
    index = resolve_videos(["A1", "Z9"], tmp_path)
    assert index.paths == {"A1": tmp_path / "A1.mp4"} and index.missing == ["Z9"]
    with pytest.raises(DataFormatError, match="no video file") as info:
        resolve_videos(["A1", "Z9"], tmp_path, on_missing="error")
    assert info.value.value == "Z9"
    assert (
        resolve_videos(["B001"], tmp_path, "Suturing_{id}_capture2.avi").paths["B001"].name
        == "Suturing_B001_capture2.avi"
    )
    with pytest.raises(DataFormatError, match="matches 2 files"):
        resolve_videos(["B001"], tmp_path, "Suturing_{id}_*.avi")
    kept, dropped = filter_pairs([SkillPair("A1", "Z9"), SkillPair("A1", "A1x")], ["A1", "A1x"])
    assert kept == [SkillPair("A1", "A1x")] and dropped == 1


def test_similar_pairs_file_and_the_fold_filter(tmp_path: Path) -> None:
    path = _write(tmp_path / "task_similar.csv", "Vid1,Vid2,\r\nS01,S02,\r\nS03,S04\r\nS01,S05,\r\n")
    similar = read_similar_csv(path)
    assert similar == [SimilarPair("S01", "S02"), SimilarPair("S03", "S04"), SimilarPair("S01", "S05")]
    train = [SkillPair("S01", "S05"), SkillPair("S02", "S03")]
    kept, dropped = similar_pairs_for_training(similar, train)
    # S04 is in no training pair (e.g. held out for validation): its pair is not trained on
    assert kept == [SimilarPair("S01", "S02"), SimilarPair("S01", "S05")] and dropped == 1
    assert read_similar_csv(_write(tmp_path / "empty_similar.csv", "Vid1,Vid2,\r\n")) == []


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Better,Worse,\r\nS01,S02,\r\n", "expected header Vid1,Vid2"),
        ("Vid1,Vid2,\r\nS01,S01,\r\n", "paired with itself"),
        ("Vid1,Vid2,\r\nS01,S02,S03\r\n", "2 comma-separated fields"),
        ("Vid1,Vid2,\r\nS01,\r\n", "empty or has whitespace"),
    ],
)
def test_bad_similar_pairs_file_raises_naming_the_line(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(DataFormatError, match=match) as err:
        read_similar_csv(_write(tmp_path / "bad_similar.csv", text))
    assert "bad_similar.csv" in str(err.value)
