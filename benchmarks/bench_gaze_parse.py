"""Aria MPS gaze CSV parsing speed: :func:`read_gaze_csv` vs pandas, pyarrow and polars, same run.

Writes (once, cached under ``<repo>/cache/bench_gaze_parse/``) vergence-layout gaze CSVs with
``--rows`` rows (1M by default) using :func:`write_gaze_csv`: one with every depth present and one
where ``--empty-depth-fraction`` of the rows (2 %) have an empty depth, as degenerate MPS rows do.
Then, in interleaved rounds (``--repeats``, best of each), it times

* ours: ``read_gaze_csv``: parse the five needed columns, then every validation the reader makes
  (cell counts per row, finite values, int64 timestamps, unit checks of timestamps and angles,
  strictly increasing timestamps, depth >= 0) and the vergence -> combined yaw conversion;
* ``pandas.read_csv(usecols=the five columns)`` (C engine), ``pyarrow.csv.read_csv`` (include_columns;
  with its thread pool, and on the calling thread only as ours runs on machines with <= 2 cores)
  and ``polars.read_csv(columns=...)``: each library's plain parse of the same five columns, no
  validation (their best case for this job). A library that is not installed is reported as such.

Every reference must agree with ours on every value (checked). Prints one line per file::

    <file>_gaze_csv_rows_per_s=... ref=... ratio=... ref_kind=same_run ref_name=<fastest lib> pandas=... ...

Usage: ``python benchmarks/bench_gaze_parse.py [--rows 1000000] [--repeats 5] [--empty-depth-fraction 0.02]``
(the ``bench`` extra installs pandas and polars; pyarrow is a core dependency).
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from skillsight.data.readers.aria import read_gaze_csv, write_gaze_csv
from skillsight.gaze.tracks import GazeTrack
from skillsight.reports.bench_lines import bench_line

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


def _references() -> dict[str, Callable[[Path], dict[str, np.ndarray]]]:
    refs: dict[str, Callable[[Path], dict[str, np.ndarray]]] = {}
    if importlib.util.find_spec("pandas"):
        import pandas as pd

        def read_pandas(path: Path) -> dict[str, np.ndarray]:
            frame = pd.read_csv(path, usecols=PARSED_COLUMNS, engine="c")
            return {c: frame[c].to_numpy() for c in PARSED_COLUMNS}

        refs["pandas"] = read_pandas
    if importlib.util.find_spec("pyarrow"):
        import pyarrow.csv as pa_csv

        def read_pyarrow(path: Path) -> dict[str, np.ndarray]:
            table = pa_csv.read_csv(
                path, convert_options=pa_csv.ConvertOptions(include_columns=PARSED_COLUMNS)
            )
            return {c: table.column(c).to_numpy() for c in PARSED_COLUMNS}

        def read_pyarrow_1thread(path: Path) -> dict[str, np.ndarray]:
            table = pa_csv.read_csv(
                path,
                read_options=pa_csv.ReadOptions(use_threads=False),
                convert_options=pa_csv.ConvertOptions(include_columns=PARSED_COLUMNS),
            )
            return {c: table.column(c).to_numpy() for c in PARSED_COLUMNS}

        refs["pyarrow"] = read_pyarrow
        refs["pyarrow_1thread"] = read_pyarrow_1thread
    if importlib.util.find_spec("polars"):
        import polars as pl

        def read_polars(path: Path) -> dict[str, np.ndarray]:
            frame = pl.read_csv(path, columns=PARSED_COLUMNS)
            return {c: frame[c].to_numpy() for c in PARSED_COLUMNS}

        refs["polars"] = read_polars
    return refs


def _check_same(track: GazeTrack, ref: dict[str, np.ndarray], name: str) -> None:
    np.testing.assert_array_equal(track.timestamps_us, ref["tracking_timestamp_us"], err_msg=name)
    np.testing.assert_array_equal(track.left_yaw_rad, ref["left_yaw_rads_cpf"], err_msg=name)
    np.testing.assert_array_equal(track.right_yaw_rad, ref["right_yaw_rads_cpf"], err_msg=name)
    np.testing.assert_array_equal(track.pitch_rad, ref["pitch_rads_cpf"], err_msg=name)
    np.testing.assert_array_equal(track.depth_m, np.asarray(ref["depth_m"], dtype=np.float64), err_msg=name)


def bench_file(path: Path, rows: int, repeats: int) -> None:
    refs = _references()
    readers: dict[str, Callable[[Path], object]] = {"ours": read_gaze_csv, **refs}
    best = dict.fromkeys(readers, float("inf"))
    results: dict[str, object] = {}
    for _ in range(repeats):  # interleaved rounds: a noisy neighbour hits every reader alike
        for name, fn in readers.items():
            start = time.perf_counter()
            results[name] = fn(path)
            best[name] = min(best[name], time.perf_counter() - start)
    track = results["ours"]
    assert isinstance(track, GazeTrack) and len(track) == rows
    for name in refs:
        _check_same(track, results[name], name)  # type: ignore[arg-type]
    rates = {name: rows / s for name, s in best.items()}
    others = {k: v for k, v in rates.items() if k != "ours"}
    fastest = max(others, key=others.get) if others else "none"
    ref_rate = others.get(fastest, float("nan"))
    listed = {
        k: (f"{others[k]:.0f}" if k in others else "not-installed")
        for k in ("pandas", "pyarrow", "pyarrow_1thread", "polars")
    }
    print(
        bench_line(
            f"{path.stem}_gaze_csv_rows_per_s",
            rates["ours"],
            ref_rate,
            ref_kind="same_run",
            digits=3,
            ref_name=fastest,
            **listed,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--empty-depth-fraction", type=float, default=0.02, help="rows with an empty depth_m")
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(__file__).resolve().parents[1] / "cache" / "bench_gaze_parse"
    )
    args = parser.parse_args()
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    for fraction in (0.0, args.empty_depth_fraction):
        path = args.cache_dir / f"generalized_gaze_{args.rows}_{fraction:g}.csv"
        if not path.exists():
            _make_file(path, args.rows, fraction)
        bench_file(path, args.rows, args.repeats)


if __name__ == "__main__":
    main()
