"""Damaged Aria gaze / trajectory / 2D gaze CSVs and calibration JSONs: one clear error each.

Each case writes a valid file, damages it in one way and asserts a DataFormatError whose message
names the file, the field (or line) and the value (issue 14 sections 2 and 4).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from skillsight.data.readers.aria import read_device_calibration, read_gaze_csv, read_trajectory_csv
from skillsight.data.readers.egoexo4d import read_gaze2d_csv
from skillsight.exceptions import DataFormatError
from tests.robustness._build import (
    GAZE_HEADER,
    calibration_doc,
    gaze_lines,
    write_json,
    write_lines,
    write_trajectory,
)


def _damaged_gaze(tmp_path: Path, row: int, text: str) -> Path:
    lines = gaze_lines()
    lines[row] = text
    return write_lines(tmp_path / "gaze.csv", lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1500000,0.1,0.2,1.5,9", r"line 6.*has 5 cells, the header has 4"),  # one extra cell shifts nothing
        ("1500000,0.1,0.2", r"line 6.*has 3 cells"),
        ("1500000,inf,0.2,1.5", r"'yaw_rads_cpf'.*line 6: value is not finite"),
        ("1500000,0.1,1e400,1.5", r"'pitch_rads_cpf'.*line 6: value is not finite"),
        ("1500000,nan,0.2,1.5", r"'yaw_rads_cpf'.*line 6: value is not finite"),
        ("1500000,,0.2,1.5", r"'yaw_rads_cpf'.*line 6: required value is empty"),
        ("1500000,0.1,0.2,-inf", r"'depth_m'.*line 6: value is not finite"),
        ("1500000,abc,0.2,1.5", r"'yaw_rads_cpf'.*line 6: expected a number.*'abc'"),
        ("99999999999999999999,0.1,0.2,1.5", r"'tracking_timestamp_us'.*line 6: integer outside the int64"),
        ("1500000.5,0.1,0.2,1.5", r"'tracking_timestamp_us'.*line 6: expected an integer"),
        ("1450000,51.0,0.2,1.5", r"'yaw_rads_cpf'.*line 6: \|angle\| >= pi/2.*degrees.*51\.0"),
    ],
)
def test_gaze_csv_bad_cell_is_named(tmp_path: Path, text: str, expected: str) -> None:
    path = _damaged_gaze(tmp_path, 5, text)
    with pytest.raises(DataFormatError, match=expected) as info:
        read_gaze_csv(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("scale", "unit"), [(1e-3, "milliseconds"), (1e3, "nanoseconds")])
def test_gaze_timestamps_in_another_unit_are_refused(tmp_path: Path, scale: float, unit: str) -> None:
    lines = [GAZE_HEADER] + [f"{int((1_000_000 + i * 100_000) * scale)},0.1,0.1,1.0" for i in range(20)]
    with pytest.raises(DataFormatError, match=rf"tracking_timestamp_us.*look like {unit}"):
        read_gaze_csv(write_lines(tmp_path / "g.csv", lines))


def test_duplicated_column_is_refused(tmp_path: Path) -> None:
    lines = ["tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf,yaw_rads_cpf", *gaze_lines()[1:]]
    with pytest.raises(DataFormatError, match=r"'header'.*duplicated column.*yaw_rads_cpf"):
        read_gaze_csv(write_lines(tmp_path / "g.csv", lines))


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (gzip.compress("\n".join(gaze_lines()).encode()), "gzip-compressed"),
        (bytes(range(256)) * 8, "header is not UTF-8|gzip|not a known"),
        ("\n".join(gaze_lines()).replace("0.1", "0\xe9").encode("latin-1"), "line .*expected a number"),
        (b"", "empty file"),
        ((GAZE_HEADER + "\n").encode(), "no data rows"),
    ],
)
def test_non_text_or_empty_gaze_files_are_named(tmp_path: Path, payload: bytes, expected: str) -> None:
    path = tmp_path / "gaze.csv"
    path.write_bytes(payload)
    with pytest.raises(DataFormatError, match=expected) as info:
        read_gaze_csv(path)
    assert str(path) in str(info.value)


def test_spaces_around_cells_and_a_lone_cr_read_as_numbers(tmp_path: Path) -> None:
    lines = gaze_lines()
    lines[3] = " 1200000 , 0.02 ,-0.04, 1.5 "
    track = read_gaze_csv(write_lines(tmp_path / "g.csv", lines, ending="\r"))
    assert len(track) == 20 and track.yaw_rad[2] == pytest.approx(0.02)


def test_trajectory_damage_is_named(tmp_path: Path) -> None:
    path = write_trajectory(tmp_path / "traj.csv")
    lines = path.read_text().splitlines()
    cells = lines[4].split(",")
    cells[3] = "inf"  # tx_world_device
    lines[4] = ",".join(cells)
    with pytest.raises(DataFormatError, match=r"'tx_world_device'.*line 5: value is not finite"):
        read_trajectory_csv(write_lines(tmp_path / "t1.csv", lines))
    cells = path.read_text().splitlines()[4].split(",")
    cells[6:10] = ["0", "0", "0", "0"]  # quaternion (0, 0, 0, 0)
    lines = path.read_text().splitlines()
    lines[4] = ",".join(cells)
    with pytest.raises(DataFormatError, match=r"line 5: quaternion norm 0\.0+ is not 1"):
        read_trajectory_csv(write_lines(tmp_path / "t2.csv", lines))


def test_gaze2d_inf_is_refused_and_empty_is_missing(tmp_path: Path) -> None:
    lines = ["frame_num,tracking_timestamp_us,x,y"] + [
        f"{i},{1_000_000 + i * 100_000},700.5,600" for i in range(10)
    ]
    lines[3] = "2,1200000,,"
    track = read_gaze2d_csv(write_lines(tmp_path / "g2.csv", lines))
    assert track.xy_px[2].tolist() != track.xy_px[2].tolist()  # NaN: unknown, not a value
    lines[4] = "3,1300000,inf,600"
    with pytest.raises(DataFormatError, match=r"'x'.*line 5: value is not finite"):
        read_gaze2d_csv(write_lines(tmp_path / "g3.csv", lines))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda cam: cam["T_Device_Camera"].update(UnitQuaternion={"w": 1}),
            r"UnitQuaternion.*expected \[w, \[x, y, z\]\]",
        ),
        (lambda cam: cam["ConfigData"].update(ImageWidth="abc"), r"ImageWidth.*positive whole number.*'abc'"),
        (lambda cam: cam["ConfigData"].update(ImageWidth=0), r"ImageWidth.*positive whole number.*0"),
        (lambda cam: cam["ConfigData"].update(ImageHeight=1408.5), r"ImageHeight.*1408\.5"),
        (lambda cam: cam["Projection"].update(Params=[1.0] * 14), r"Params.*15 finite"),
        (lambda cam: cam["T_Device_Camera"].update(Translation=["a", 0, 0]), r"Translation.*\[x, y, z\]"),
    ],
)
def test_calibration_damage_is_named(tmp_path: Path, change, expected: str) -> None:
    doc = calibration_doc(tmp_path)
    change(doc["CameraCalibrations"][0])
    path = write_json(tmp_path / "calib.json", doc)
    with pytest.raises(DataFormatError, match=expected) as info:
        read_device_calibration(path)
    assert str(path) in str(info.value)


def test_calibration_that_is_not_utf8_is_named(tmp_path: Path) -> None:
    path = tmp_path / "calib.json"
    path.write_bytes(b'{"CameraCalibrations": ["\xff\xfe"]}')
    with pytest.raises(DataFormatError, match="not UTF-8 text"):
        read_device_calibration(path)
