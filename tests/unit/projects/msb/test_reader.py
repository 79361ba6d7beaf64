"""MSB reader: the per-subject HDF5 layout, and every kind of bad file it must refuse or skip with a count."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.msb.reader import read_msb_gaze, scan_msb_subjects, subject_id


def _write(path: Path, data, time_s, device: str = "eye-gaze", stream: str = "gaze") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as h5:
        group = h5.create_group(device).create_group(stream)
        group["data"] = np.asarray(data)
        group["time_s"] = np.asarray(time_s)
    return path


def _good(n: int = 5) -> tuple[np.ndarray, np.ndarray]:
    return np.tile([[0.4, 0.6]], (n, 1)), 1.6e9 + np.arange(n) / 60.0


def test_reads_gaze_and_keeps_nan_samples_as_invalid(tmp_path: Path) -> None:
    data, t = _good()
    data[2] = np.nan  # a blink
    gaze = read_msb_gaze(_write(tmp_path / "Sub03" / "x_Sub03.hdf5", data, t))
    assert gaze.xy.shape == (5, 2) and gaze.valid.tolist() == [True, True, False, True, True]
    assert gaze.source.endswith("eye-gaze/gaze")
    assert subject_id(tmp_path / "Sub03" / "x_Sub03.hdf5") == "Sub03"


def test_reads_the_actionnet_sibling_layout(tmp_path: Path) -> None:
    data, t = _good()
    gaze = read_msb_gaze(_write(tmp_path / "a.hdf5", data, t, "eye-tracking-gaze", "position"))
    assert gaze.source.endswith("eye-tracking-gaze/position")


@pytest.mark.parametrize(
    ("data", "time_s", "match"),
    [
        (np.zeros((5, 3)), np.arange(5.0), r"\(N, 2\)"),
        (np.zeros(5), np.arange(5.0), r"\(N, 2\)"),
        (np.zeros((5, 2)), np.arange(4.0), "one per sample"),
        (np.zeros((5, 2)), np.array([0, 1, np.nan, 3, 4.0]), "time is not finite"),
        (np.zeros((5, 2)), np.array([0, 1, np.inf, 3, 4.0]), "time is not finite"),
        (np.zeros((5, 2)), np.array([0, 2, 1, 3, 4.0]), "times decrease"),
        (np.array([[0, 0], [np.inf, 0], [0, 0]]), np.arange(3.0), "gaze is infinite"),
        (np.zeros((0, 2)), np.zeros(0), "no samples"),
    ],
)
def test_bad_datasets_raise_naming_file_and_field(tmp_path: Path, data, time_s, match: str) -> None:
    path = _write(tmp_path / "Sub01" / "bad_Sub01.hdf5", data, time_s)
    with pytest.raises(DataFormatError, match=match) as err:
        read_msb_gaze(path)
    assert "bad_Sub01.hdf5" in str(err.value) and "eye-gaze/gaze" in str(err.value)


def test_missing_group_names_the_groups_present(tmp_path: Path) -> None:
    data, t = _good()
    path = _write(tmp_path / "Sub02" / "y_Sub02.hdf5", data, t, "emg", "left")
    with pytest.raises(DataFormatError, match="no gaze stream") as err:
        read_msb_gaze(path)
    assert "emg" in str(err.value)
    path = tmp_path / "Sub04" / "z_Sub04.hdf5"
    path.parent.mkdir()
    with h5py.File(path, "w") as h5:
        h5.create_group("eye-gaze").create_group("gaze")["data"] = data
    with pytest.raises(DataFormatError, match="dataset missing"):
        read_msb_gaze(path)


def test_non_hdf5_and_truncated_files_are_refused(tmp_path: Path) -> None:
    junk = tmp_path / "Sub05" / "junk_Sub05.hdf5"
    junk.parent.mkdir()
    junk.write_text("subject,level\n")
    with pytest.raises(DataFormatError, match="not a readable HDF5 file"):
        read_msb_gaze(junk)
    data, t = _good(2000)
    whole = _write(tmp_path / "Sub06" / "cut_Sub06.hdf5", data, t)
    content = whole.read_bytes()
    whole.write_bytes(content[: len(content) // 2])
    with pytest.raises(DataFormatError, match="truncated"):
        read_msb_gaze(whole)
    with pytest.raises(DataFormatError, match="does not exist"):
        read_msb_gaze(tmp_path / "nothing.hdf5")


def test_scan_skips_bad_files_and_counts_them(tmp_path: Path) -> None:
    data, t = _good()
    _write(tmp_path / "Sub00" / "a_Sub00.hdf5", data, t)
    _write(tmp_path / "Sub01" / "a_Sub01.hdf5", np.zeros((5, 3)), t)
    (tmp_path / "Sub02").mkdir()
    (tmp_path / "Sub02" / "a_Sub02.hdf5").write_bytes(b"\x00" * 10)
    scan = scan_msb_subjects(tmp_path)
    assert sorted(scan.gaze) == ["Sub00"] and len(scan.skipped) == 2
    summary = scan.format_summary()
    assert "read 1 MSB subjects, skipped 2" in summary and "a_Sub01.hdf5" in summary
