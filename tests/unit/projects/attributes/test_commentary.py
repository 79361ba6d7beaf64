"""Commentary reader on the released schema, writer round trip, and the synthetic commentary generator."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.attributes.commentary import parse_comment_list, read_commentary, write_commentary
from skillsight.projects.attributes.synthetic import (
    ATTRIBUTE_PHRASES,
    generate_synthetic_commentary,
    take_commentary,
)
from tests.unit.projects.attributes._data import RELEASED_SAMPLE, fake_sidecar


def test_reads_released_schema(released_file: Path) -> None:
    (tc,) = read_commentary(released_file)
    assert tc.take_uid == "0015e453-3227-41b0-bd64-03c134abe054"
    assert (tc.scenario, tc.task_name, tc.take_name) == ("Cooking", "Cooking Dumplings", "sfu_cooking_013_3")
    assert [e.kind for e in tc.entries] == ["tip", "tip", "good"]  # sorted by time
    assert tc.entries[0].texts == (
        "Keep your elbow in when shooting.",
        "Work on your balance.",
    )  # JSON array form
    assert tc.entries[1].texts == (
        "When making dumplings it's generally preferable to steam the dumpling or to pan-fry it.",
    )
    assert tc.good[0].texts == ("the water is just beginning to start a boil",)
    assert tc.good[0].video_time_s == pytest.approx(360.183583)
    assert tc.good[0].expert_uid == "d2vast"


def test_bare_list_top_level(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text(json.dumps(RELEASED_SAMPLE))
    assert len(read_commentary(path)[0].entries) == 3


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("video_time", -1.0, "tips_for_improvement[0].video_time"),
        ("video_time", "12", "tips_for_improvement[0].video_time"),
        ("list", "['unterminated", "tips_for_improvement[0].list"),
        ("list", "[1, 2]", "tips_for_improvement[0].list"),
        ("list", "[]", "tips_for_improvement[0].list"),
        ("list", "just a sentence", "tips_for_improvement[0].list"),
        ("expert_uid", "", "tips_for_improvement[0].expert_uid"),
    ],
)
def test_bad_entries_name_file_field_value(tmp_path: Path, field: str, value, where: str) -> None:
    data = copy.deepcopy(RELEASED_SAMPLE)
    data[0]["tips_for_improvement"][0][field] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"annotations": data}))
    with pytest.raises(DataFormatError) as err:
        read_commentary(path)
    assert str(path) in str(err.value) and f"annotations[0].{where}" in str(err.value)
    assert repr(value)[:20] in str(err.value)


def test_missing_field_and_duplicate_take(tmp_path: Path) -> None:
    data = copy.deepcopy(RELEASED_SAMPLE)
    del data[0]["good_executions"][0]["expert_uid"]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DataFormatError, match=r"good_executions\[0\]\.expert_uid"):
        read_commentary(path)
    path.write_text(json.dumps(RELEASED_SAMPLE * 2))
    with pytest.raises(DataFormatError, match="take listed twice"):
        read_commentary(path)


def test_parse_comment_list_never_evaluates_code() -> None:
    with pytest.raises(DataFormatError):
        parse_comment_list("[__import__('os').getcwd()]", "f.json", "list")


@pytest.mark.parametrize("as_string", [True, False])
def test_write_read_round_trip(tmp_path: Path, released_file: Path, as_string: bool) -> None:
    takes = read_commentary(released_file)
    out = tmp_path / "out.json"
    write_commentary(out, takes, list_as_string=as_string)
    raw = json.loads(out.read_text())["annotations"][0]["tips_for_improvement"][0]["list"]
    assert isinstance(raw, str) == as_string
    again = read_commentary(out)
    assert again[0].entries == takes[0].entries
    assert again[0].extra["video_paths"] == RELEASED_SAMPLE[0]["video_paths"]


def test_synthetic_tips_name_weakest_and_praise_strongest() -> None:
    side = fake_sidecar(7)
    tc = take_commentary(side, seed=3)
    order = sorted(side["attributes"], key=lambda a: (side["attributes"][a], a))
    weakest, strongest = order[:2], order[-2:]
    assert 3 <= len(tc.tips) <= 5 and 1 <= len(tc.good) <= 2

    def about(text: str) -> set[str]:
        return {a for a, phrases in ATTRIBUTE_PHRASES.items() if any(p in text.lower() for p in phrases)}

    assert any(weakest[0] in about(e.text) for e in tc.tips)  # the weakest one always gets a tip
    assert all(about(e.text) & set(weakest) for e in tc.tips)
    assert all(about(e.text) & set(strongest) for e in tc.good)
    assert all(0.0 <= e.video_time_s <= side["duration_s"] for e in tc.entries)
    assert take_commentary(side, seed=3) == tc and take_commentary(side, seed=4) != tc


def _fake_dataset(root: Path, n: int = 12) -> None:
    for i in range(n):
        side = fake_sidecar(i)
        (root / "takes" / side["take_name"]).mkdir(parents=True)
        (root / "takes" / side["take_name"] / "synthetic_take.json").write_text(json.dumps(side))
    (root / "annotations").mkdir()
    for split, idx in (("train", range(8)), ("test", range(8, n))):
        recs = [
            {"take_uid": f"uid-{i:03d}", "scenario_name": fake_sidecar(i)["scenario"], "task_id": i}
            for i in idx
        ]
        (root / "annotations" / f"proficiency_demonstrator_{split}.json").write_text(
            json.dumps({"annotations": recs})
        )


def test_generate_writes_real_schema_deterministically(tmp_path: Path) -> None:
    _fake_dataset(tmp_path)
    written = generate_synthetic_commentary(tmp_path, seed=1)
    assert set(written) == {"train", "test"}
    first = written["train"].read_bytes()
    rec = json.loads(first)["annotations"][0]
    assert set(rec) >= {
        "take_uid",
        "scenario_name",
        "task_name",
        "good_executions",
        "tips_for_improvement",
        "task_id",
    }
    tip = rec["tips_for_improvement"][0]
    assert set(tip) == {"video_time", "list", "expert_uid", "video_name"} and tip["list"].startswith("['")
    assert [t.take_uid for t in read_commentary(written["train"])] == [f"uid-{i:03d}" for i in range(8)]
    generate_synthetic_commentary(tmp_path, seed=1)
    assert written["train"].read_bytes() == first


def test_generate_reports_bad_sidecar(tmp_path: Path) -> None:
    _fake_dataset(tmp_path, 9)
    side = tmp_path / "takes" / "take_000" / "synthetic_take.json"
    obj = json.loads(side.read_text())
    obj["attributes"]["juggling"] = 0.5
    side.write_text(json.dumps(obj))
    with pytest.raises(DataFormatError, match="juggling") as err:
        generate_synthetic_commentary(tmp_path)
    assert "synthetic_take.json" in str(err.value) and "attributes" in str(err.value)
