"""Aria MPS gaze CSV parsing speed: :func:`read_gaze_csv` (numpy) vs ``pandas.read_csv``.

Writes (once, cached under ``<repo>/cache/bench_gaze_parse/``) a vergence-layout gaze CSV with
``--rows`` rows (1M by default; ``--empty-depth-fraction`` of the rows, 2% by default, have an
empty depth, as degenerate MPS rows do; with none the reader takes its all-numeric fast path)
using :func:`write_gaze_csv`, then times

* ours: ``read_gaze_csv`` (numpy C tokenizer on the needed columns, validation, vergence ->
  combined yaw), and
* reference: ``pandas.read_csv`` on the same file, restricted to the same five columns (pandas'
  best case for this job; reading all 18 columns is slower),

taking the best of ``--repeats`` runs of each. Both must agree on every parsed value.

Prints::

    gaze_csv_rows_per_s=... ref_pandas_rows_per_s=... ratio=...

Usage: ``python benchmarks/bench_gaze_parse.py [--rows 1000000] [--repeats 3] [--empty-depth-fraction 0.02]
[--cache-dir DIR]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skillsight.data.readers.aria import read_gaze_csv, write_gaze_csv
from skillsight.gaze.tracks import GazeTrack

PARSED_COLUMNS = [
    "tracking_timestamp_us",
    "left_yaw_rads_cpf",
    "right_yaw_rads_cpf",
    "pitch_rads_cpf",
    "depth_m",
]


def _make_file(path: Path, rows: int, empty_fraction: float, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    valid = rng.uniform(size=rows) >= empty_fraction
    depth = rng.uniform(0.3, 4.0, rows)
    track = GazeTrack(
        timestamps_us=148_502_622 + np.arange(rows, dtype=np.int64) * 1000,
        yaw_rad=rng.uniform(-0.6, 0.6, rows),
        pitch_rad=rng.uniform(-0.6, 0.4, rows),
        depth_m=np.where(valid, depth, np.nan),
        depth_valid=valid,
        layout="synthetic",
    )
    tmp = path.with_suffix(".tmp")
    write_gaze_csv(
        tmp,
        track,
        layout="vergence",
        session_uid="9123c598-cbed-4083-997a-e42195bde05f",
        bound_halfwidth_rad=0.04,
    )
    tmp.replace(path)


def _best_time(fn, repeats: int):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--empty-depth-fraction", type=float, default=0.02, help="rows written with an empty depth_m"
    )
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(__file__).resolve().parents[1] / "cache" / "bench_gaze_parse"
    )
    args = parser.parse_args()

    args.cache_dir.mkdir(parents=True, exist_ok=True)
    path = args.cache_dir / f"generalized_gaze_{args.rows}_{args.empty_depth_fraction:g}.csv"
    if not path.exists():
        _make_file(path, args.rows, args.empty_depth_fraction)

    ours_s, track = _best_time(lambda: read_gaze_csv(path), args.repeats)
    ref_s, frame = _best_time(lambda: pd.read_csv(path, usecols=PARSED_COLUMNS), args.repeats)

    assert len(track) == len(frame) == args.rows
    np.testing.assert_array_equal(track.timestamps_us, frame["tracking_timestamp_us"].to_numpy())
    np.testing.assert_allclose(track.left_yaw_rad, frame["left_yaw_rads_cpf"].to_numpy(), rtol=1e-15, atol=0)
    np.testing.assert_allclose(track.depth_m, frame["depth_m"].to_numpy(), rtol=1e-15, atol=0, equal_nan=True)

    ours_rate = args.rows / ours_s
    ref_rate = args.rows / ref_s
    print(
        f"gaze_csv_rows_per_s={ours_rate:.0f} ref_pandas_rows_per_s={ref_rate:.0f} ratio={ours_rate / ref_rate:.2f}"
    )


if __name__ == "__main__":
    main()
