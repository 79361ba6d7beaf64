"""A damaged Expert-Novice Soccer sample file skips and counts THAT sample (issue 14 section 4)."""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest

from skillsight.projects.soccer.reader import load_soccer_dataset
from tests.unit.projects.soccer.test_reader import _make_dataset


def _damage_gzip(path: Path, how: str) -> None:
    raw = path.read_bytes()
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "bad crc":
        path.write_bytes(raw[:-8] + bytes([raw[-8] ^ 0xFF]) + raw[-7:])
    else:  # corrupt deflate stream right after the 10-byte header
        path.write_bytes(raw[:10] + b"\xff" * 16 + raw[26:])


@pytest.mark.parametrize("how", ["truncated", "bad crc", "corrupt deflate"])
def test_damaged_motion_gzip_skips_that_sample(tmp_path: Path, how: str) -> None:
    _make_dataset(tmp_path)
    target = tmp_path / "MotionData" / "Player5" / "S02.txt.gz"
    _damage_gzip(target, how)
    with pytest.raises((EOFError, OSError, zlib.error)):
        gzip.decompress(target.read_bytes())  # the file really is broken
    ds = load_soccer_dataset(tmp_path, num_steps=8, players=(1, 5))
    assert len(ds.skipped) == 1 and "Player5/S02" in ds.skipped[0] and "damaged gzip" in ds.skipped[0]
    assert len(ds) == 2 * 5 - 1
    assert "skipped samples: 1" in ds.report()


def test_non_utf8_vec_csv_skips_that_sample(tmp_path: Path) -> None:
    _make_dataset(tmp_path)
    target = tmp_path / "EyeTrackingData" / "Player1" / "S04" / "pd0_vec.csv"
    target.write_bytes(target.read_bytes()[:20] + b"\xe9\xff\n")
    ds = load_soccer_dataset(tmp_path, num_steps=8, players=(1, 5))
    assert len(ds.skipped) == 1 and "Player1/S04" in ds.skipped[0]
    assert "not UTF-8 text" in ds.skipped[0] or "not a number" in ds.skipped[0]
    with pytest.raises(Exception, match=r"pd0_vec\.csv"):
        load_soccer_dataset(tmp_path, num_steps=8, players=(1, 5), strict=True)
