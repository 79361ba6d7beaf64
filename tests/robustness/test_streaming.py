"""`skillsight stream`'s row path: every single bad row is counted and the stream goes on (issue 14 s. 5)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from skillsight.deploy.gaze_rows import GazeRowParser, MalformedRow, iter_csv_rows
from skillsight.deploy.inference import SkillEstimator
from skillsight.deploy.streaming import GazeStream
from tests.unit.deploy._runs import make_run, synthetic_track


@pytest.fixture(scope="module")
def est(tmp_path_factory):
    return SkillEstimator.from_run(make_run(tmp_path_factory.mktemp("run") / "s"), backend="torch")


def _rows(duration_s: float = 12.0, offset_us: int = 0) -> list[dict]:
    track = synthetic_track(duration_s=duration_s)
    return [
        {
            "tracking_timestamp_us": str(int(t) + offset_us),
            "yaw_rads_cpf": repr(float(y)),
            "pitch_rads_cpf": repr(float(p)),
        }
        for t, y, p in zip(track.timestamps_us, track.yaw_rad, track.pitch_rad)
    ]


@pytest.mark.parametrize(
    ("cells", "counter"),
    [
        ({"tracking_timestamp_us": str(2**63)}, "bad_timestamp_rows"),  # OverflowError before
        ({"tracking_timestamp_us": "12.5"}, "bad_timestamp_rows"),
        ({"tracking_timestamp_us": "\x00\xff\xfe"}, "bad_timestamp_rows"),
        ({"yaw_rads_cpf": "1e39"}, "nan_rows"),  # finite but beyond float32 and pi/2: not a gaze angle
        ({"yaw_rads_cpf": "abc"}, "nan_rows"),
        ({"pitch_rads_cpf": "inf"}, "nan_rows"),
        ({"yaw_rads_cpf": "x" * 200_000}, "nan_rows"),
    ],
)
def test_one_bad_row_is_counted_and_the_stream_goes_on(est, cells: dict, counter: str) -> None:
    rows = _rows()
    clean = GazeStream(est)
    ref = clean.push_many(rows) + clean.close()
    rows[40] = {**rows[40], **cells}
    stream = GazeStream(est)
    out = stream.push_many(rows) + stream.close()
    assert getattr(stream.stats, counter) == 1 and stream.stats.bad_cell_rows == 1
    assert [w.start_us for w in out] == [w.start_us for w in ref]
    assert stream.stats.predicted == clean.stats.predicted
    assert any("bad cell" in n for n in stream.notes)


def test_malformed_lines_from_a_file_or_stdin_are_counted(est, tmp_path) -> None:
    rows = _rows(8.0)
    header = "tracking_timestamp_us,yaw_rads_cpf,pitch_rads_cpf"
    lines = [header] + [",".join(r.values()) for r in rows]
    lines[10] = lines[10][:5] + "\r" + lines[10][5:]  # a lone CR inside a line
    lines[20] = lines[20] + ",9"  # one extra cell
    lines[30] = '"' + "y" * 140_000  # an unterminated quote running past the csv field limit
    text = "\n".join(lines) + "\n"
    parsed = list(iter_csv_rows(io.StringIO(text)))
    assert sum(isinstance(r, MalformedRow) for r in parsed) >= 2
    stream = GazeStream(est)
    stream.push_many(parsed)
    stream.close()
    assert stream.stats.bad_timestamp_rows >= 3 and stream.stats.rows == len(parsed)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(text.encode() + bytes(range(256)) + b"\n" + lines[-1].encode() + b"\n")
    rows_back = list(iter_csv_rows(junk))  # decoding errors are replaced, never raised
    assert len(rows_back) >= len(parsed)


@pytest.mark.parametrize("jump_s", [86_400.0, -3_600.0])
def test_clock_jump_resynchronises_and_says_so(est, jump_s: float) -> None:
    before = _rows(12.0)
    after = _rows(
        12.0,
        offset_us=int(synthetic_track(duration_s=12.0).timestamps_us[-1] + jump_s * 1e6)
        - int(before[0]["tracking_timestamp_us"]),
    )
    stream = GazeStream(est)
    out = stream.push_many(before + after) + stream.close()
    assert stream.stats.clock_jumps == 1 and stream.stats.late_dropped == 0
    assert stream.stats.accepted == len(before) + len(after)
    assert len(out) < 40  # not 86,390 skipped windows
    assert sum(w.skipped is None for w in out) >= 8  # both clocks' windows are estimated
    assert any("clock jump" in n for n in stream.notes)


def test_a_first_row_at_zero_and_a_stray_row_are_outliers_or_a_resync(est) -> None:
    rows = _rows(12.0, offset_us=145_000_000)  # a device clock 145 s after boot
    stream = GazeStream(est)
    out = stream.push_many([{**rows[0], "tracking_timestamp_us": "0"}, *rows]) + stream.close()
    assert stream.stats.clock_jumps == 1 and len(out) < 20 and sum(w.skipped is None for w in out) >= 4
    stray = [*rows[:50], {**rows[50], "tracking_timestamp_us": "5"}, *rows[51:]]
    stream = GazeStream(est)
    stream.push_many(stray)
    stream.close()
    assert stream.stats.clock_outliers == 1 and stream.stats.clock_jumps == 0


def test_row_parser_never_raises_on_bad_cells() -> None:
    parser = GazeRowParser(source="live")
    rows = [
        {"tracking_timestamp_us": v, "yaw_rads_cpf": w, "pitch_rads_cpf": "0.1"}
        for v, w in [
            ("1", "0.1"),
            (None, "0.1"),
            ("2", None),
            (True, "0.2"),
            ("3", float("nan")),
            (4, np.float32(0.2)),
        ]
    ]
    parsed = parser.parse(rows)
    assert len(parsed) == 4 and parsed.bad_timestamp_rows == 2 and parsed.nan_rows == 2
    assert np.isfinite(parsed.yaw_rad[[0, 3]]).all()
