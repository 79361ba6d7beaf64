"""Streaming buffer: same windows as the offline API; NaN rows, gaps, out-of-order, late and empty input."""

from __future__ import annotations

import io

import numpy as np
import pytest
from typer import Typer
from typer.testing import CliRunner

from skillsight.data.readers.aria import write_gaze_csv
from skillsight.deploy.gaze_rows import iter_csv_rows
from skillsight.deploy.inference import SkillEstimator
from skillsight.deploy.streaming import GazeStream
from skillsight.exceptions import DataFormatError
from tests.unit.deploy._runs import make_run, synthetic_track


@pytest.fixture(scope="module")
def est(tmp_path_factory):
    return SkillEstimator.from_run(make_run(tmp_path_factory.mktemp("run") / "s"), backend="torch")


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("g") / "gaze.csv"
    write_gaze_csv(path, synthetic_track(duration_s=12.0), layout="legacy_v2")
    return path


def _same(a, b):
    assert [w.start_us for w in a] == [w.start_us for w in b]
    for x, y in zip(a, b):
        assert x.skipped == y.skipped and x.valid_steps == y.valid_steps
        if x.skipped is None:
            np.testing.assert_allclose(x.probabilities, y.probabilities, atol=1e-6)


def test_stream_equals_offline_and_emits_as_rows_arrive(est, csv_path):
    offline = est.predict_windows(csv_path, hop_s=1.0)
    stream = GazeStream(est, hop_s=1.0)
    emitted_at = []
    online = []
    for i, row in enumerate(iter_csv_rows(csv_path)):
        out = stream.push(row)
        emitted_at += [i] * len(out)
        online += out
    online += stream.close()
    _same(offline, online)
    assert len(online) == 9 and emitted_at and emitted_at[0] < 80  # estimates came during the stream
    assert stream.stats.predicted == 9 and stream.stats.accepted == 120


def test_out_of_order_within_tolerance_is_reordered_late_rows_dropped(est, csv_path):
    rows = list(iter_csv_rows(csv_path))
    offline = est.predict_windows(rows, hop_s=1.0)
    shuffled = rows[:]
    for i in range(10, 100, 7):  # swap neighbours: 0.1 s out of order
        shuffled[i], shuffled[i + 1] = shuffled[i + 1], shuffled[i]
    late = dict(rows[20])  # 1 s late, after its window may have been finalised
    dup = dict(rows[50])
    shuffled.insert(31, late)
    shuffled.insert(52, dup)  # right after the original (which sits at 51 after the insert above)
    stream = GazeStream(est, hop_s=1.0, reorder_tolerance_s=0.2)
    online = stream.push_many(shuffled) + stream.close()
    _same(offline, online)
    s = stream.stats
    assert (s.reordered, s.late_dropped, s.duplicates) == (13, 1, 1)


def test_nan_rows_are_masked_and_gaps_skipped_with_a_reason(est):
    track = synthetic_track(duration_s=20.0)
    rows = []
    for t, y, p in zip(track.timestamps_us, track.yaw_rad, track.pitch_rad):
        rel = (t - track.timestamps_us[0]) / 1e6
        if 8.0 <= rel < 14.0:
            continue  # 6 s gap
        nan = 2.0 <= rel < 3.0
        rows.append(
            {
                "tracking_timestamp_us": str(t),
                "yaw_rads_cpf": "" if nan else str(float(y)),
                "pitch_rads_cpf": str(float(p)),
            }
        )
    rows.append({"tracking_timestamp_us": "garbage", "yaw_rads_cpf": "0", "pitch_rads_cpf": "0"})
    stream = GazeStream(est, hop_s=1.0)
    out = stream.push_many(rows) + stream.close()
    n_nan = sum(r["yaw_rads_cpf"] == "" for r in rows)
    assert n_nan >= 9 and stream.stats.nan_rows == n_nan and stream.stats.bad_timestamp_rows == 1
    assert out[0].valid_steps < 8 and out[0].skipped is None  # NaN second masked, window still estimated
    skipped = [w for w in out if w.skipped]
    assert skipped and all("steps have gaze" in w.skipped for w in skipped)
    assert stream.stats.skipped == len(skipped) and stream.stats.predicted == len(out) - len(skipped)


def test_empty_stream_and_unknown_layout(est):
    stream = GazeStream(est)
    assert stream.close() == [] and stream.stats.rows == 0
    with pytest.raises(DataFormatError, match="header"):
        GazeStream(est).push({"time": "1", "gx": "0"})
    with pytest.raises(DataFormatError, match="empty input"):
        list(iter_csv_rows(io.StringIO("")))


def test_stream_cli_file_and_stdin(tmp_path, csv_path):
    from skillsight.cli.stream import stream_command

    run = make_run(tmp_path / "r")
    app = Typer()
    app.command()(stream_command)
    res = CliRunner().invoke(
        app, ["--gaze", str(csv_path), "--run", str(run), "--rate", "1", "--backend", "onnx"]
    )
    assert res.exit_code == 0, res.output
    lines = [line for line in res.output.splitlines() if line.startswith("[")]
    assert len(lines) == 9 and all("infer" in line and " ms" in line for line in lines)
    assert "summary: rows=120" in res.output and "inference latency ms" in res.output
    res = CliRunner().invoke(app, ["--stdin", "--run", str(run), "--rate", "2"], input=csv_path.read_text())
    assert res.exit_code == 0, res.output
    assert len([line for line in res.output.splitlines() if line.startswith("[")]) == 17
