"""Streaming skill estimates: push gaze rows as they arrive, get an estimate every hop.

:class:`GazeStream` buffers rows (any MPS layout, see :mod:`skillsight.deploy.gaze_rows`) and runs a
:class:`skillsight.deploy.inference.SkillEstimator` on each window once no row that may still
arrive can change it. Windows are the ones :func:`skillsight.deploy.inference.window_starts` gives
for the whole recording (starts at the first row's timestamp and every hop; every window whose last
step is covered, and the first one always), so for in-order rows the stream returns exactly what
``SkillEstimator.predict_windows`` returns for the same rows (tested).

Bad input (nothing crashes, everything is counted in :class:`StreamStats`):

* NaN rows (empty/non-numeric yaw or pitch) are kept as "tracking lost" samples: the steps whose
  interpolation would use them are masked, never bridged.
* Gaps: steps with no sample within ``max_gap_us`` are masked; a window with too few observed
  steps is returned as skipped, with the reason.
* Out-of-order timestamps: a row at most ``reorder_tolerance_s`` older than the newest row seen is
  put in its place (``reordered``). The stream waits that long (the *watermark* is the newest
  timestamp minus the tolerance) before it finalises a window, so a reordered row is never too late
  for its window. An older row is ``late_dropped``; a timestamp already present is a ``duplicate``
  (the first row wins). Rows before the first row's time are accepted within the tolerance but do
  not move the window grid, which is fixed by the first row.
* Rows without a usable timestamp are dropped (``bad_timestamp_rows``), rows with a bad gaze cell
  become missing samples (``nan_rows``), both counted in ``bad_cell_rows`` by the cell rule the file
  readers use (:mod:`skillsight.deploy.gaze_rows`); the first bad cells are described in
  :attr:`GazeStream.notes`. An unknown header raises :class:`skillsight.exceptions.DataFormatError` on
  the first row (nothing can be parsed then). No single row stops the stream.
* Clock jumps: a row more than ``resync_after_s`` (30 s) away from the newest row, in either
  direction (device clock reset, a first row at timestamp 0, a day-long jump), is held; if the next
  row confirms the new clock, the stream RESYNCHRONISES: it finishes the windows the old clock
  covered, starts a new window grid at the held row and says so (``clock_jumps``, a note with the
  jump). If the next row is back on the old clock, the held row was an outlier and is dropped
  (``clock_outliers``). Without this a +1 day jump emitted 86,390 skipped windows and then dropped
  every later row as late.

The trajectory and calibration are given up front (a replayed recording's files); only gaze streams.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from skillsight.deploy.gaze_rows import GazeRowParser
from skillsight.deploy.inference import SkillEstimator, WindowPrediction
from skillsight.exceptions import ConfigError
from skillsight.gaze.tracks import DeviceCalibration, GazeTrack, Trajectory

__all__ = ["GazeStream", "StreamStats", "paced"]


@dataclass
class StreamStats:
    """Counts of what a stream received, kept, dropped and estimated."""

    rows: int = 0
    accepted: int = 0
    nan_rows: int = 0
    bad_timestamp_rows: int = 0
    bad_cell_rows: int = 0
    reordered: int = 0
    late_dropped: int = 0
    duplicates: int = 0
    clock_jumps: int = 0
    clock_outliers: int = 0
    predicted: int = 0
    skipped: int = 0

    def format(self) -> str:
        """One summary line."""
        return " ".join(f"{f.name}={getattr(self, f.name)}" for f in fields(self))


class GazeStream:
    """Incremental windowing + inference over a live gaze row stream.

    Args:
        estimator: the model and its serving spec.
        hop_s: seconds between window starts (1 / rate).
        trajectory, calibration: as for :meth:`SkillEstimator.predict_windows` (already loaded).
        reorder_tolerance_s: how far back in time a row may arrive and still be used.
        layout: force the MPS layout; None -> from the first row's columns.
        source: name for error messages.
        resync_after_s: a jump of the clock larger than this (either way) resynchronises the stream
            once the next row confirms it (see the module docstring).
    """

    def __init__(
        self,
        estimator: SkillEstimator,
        hop_s: float = 1.0,
        trajectory: Trajectory | None = None,
        calibration: DeviceCalibration | None = None,
        reorder_tolerance_s: float = 0.2,
        layout: str | None = None,
        source: str = "<stream>",
        resync_after_s: float = 30.0,
    ) -> None:
        if not hop_s > 0:
            raise ConfigError(f"hop_s must be > 0, got {hop_s}")
        if not resync_after_s > reorder_tolerance_s:
            raise ConfigError(
                f"resync_after_s ({resync_after_s}) must be larger than "
                f"reorder_tolerance_s ({reorder_tolerance_s})"
            )
        if not reorder_tolerance_s >= 0:
            raise ConfigError(f"reorder_tolerance_s must be >= 0, got {reorder_tolerance_s}")
        self.estimator, self.trajectory, self.calibration = estimator, trajectory, calibration
        self.hop_us = round(hop_s * 1e6)
        self.tolerance_us = round(reorder_tolerance_s * 1e6)
        self.parser = GazeRowParser(layout=layout, source=source)
        self.stats = StreamStats()
        spec = estimator.spec
        self._last_offset_us = int(spec.step_offsets_us[-1])
        self._max_gap_us = int(spec.max_gap_us)
        self._ts: list[int] = []
        self._vals: list[tuple[float, float, float, bool]] = []  # yaw, pitch, depth, depth_valid
        self._t0: int | None = None
        self._newest: int | None = None
        self._next = 0  # index of the next window to emit
        self._closed = False
        self.resync_us = round(resync_after_s * 1e6)
        self._held: tuple[int, tuple[float, float, float, bool], int] | None = None  # (ts, values, nan rows)
        #: what the stream wants a person to know: clock jumps, outliers, the first bad cells.
        self.notes: list[str] = []

    # ------------------------------------------------------------------------------------ input
    def push(self, row: Mapping[str, Any]) -> list[WindowPrediction]:
        """Add one row; returns the windows it completed (usually none or one)."""
        if self._closed:
            raise ConfigError("the stream is closed")
        self.stats.rows += 1
        parsed = self.parser.parse([row])
        self.stats.bad_cell_rows += parsed.bad_cell_rows
        if parsed.examples and len(self.notes) < 50:
            self.notes += [f"bad cell: {e}" for e in parsed.examples]
        if len(parsed) == 0:
            self.stats.bad_timestamp_rows += 1
            return []
        ts = int(parsed.timestamps_us[0])
        values = (
            float(parsed.yaw_rad[0]),
            float(parsed.pitch_rad[0]),
            float(parsed.depth_m[0]),
            bool(parsed.depth_valid[0]),
        )
        out: list[WindowPrediction] = []
        if self._newest is not None and abs(ts - self._newest) > self.resync_us:
            if self._held is not None and abs(ts - self._held[0]) <= self.resync_us:
                held_ts, held_values, held_nan = self._held
                out = self._resync(held_ts)
                self._insert(held_ts, held_values, held_nan)
                return out + self._insert(ts, values, parsed.nan_rows)
            if self._held is not None:
                self._drop_held()
            self._held = (ts, values, parsed.nan_rows)
            return []
        if self._held is not None:
            self._drop_held()
        return self._insert(ts, values, parsed.nan_rows)

    def _drop_held(self) -> None:
        assert self._held is not None
        self.stats.clock_outliers += 1
        if len(self.notes) < 50:
            jump = (self._held[0] - (self._newest or 0)) / 1e6
            self.notes.append(f"clock outlier: one row {jump:+.3f} s off the stream's clock was dropped")
        self._held = None

    def _resync(self, new_ts: int) -> list[WindowPrediction]:
        """Finish the old clock's windows and restart the window grid at ``new_ts``."""
        assert self._newest is not None
        newest = self._newest
        out = self._emit(lambda q_last: q_last <= newest)
        self.stats.clock_jumps += 1
        self.notes.append(
            f"clock jump of {(new_ts - newest) / 1e6:+.3f} s (from {newest} to {new_ts} us): "
            f"resynchronised, windows restart at {new_ts} us"
        )
        self._ts, self._vals = [], []
        self._t0 = self._newest = None
        self._next = 0
        self._held = None
        return out

    def _insert(
        self, ts: int, values: tuple[float, float, float, bool], nan_rows: int
    ) -> list[WindowPrediction]:
        if self._newest is not None and ts < self._newest - self.tolerance_us:
            self.stats.late_dropped += 1
            return []
        i = bisect.bisect_left(self._ts, ts)
        if i < len(self._ts) and self._ts[i] == ts:
            self.stats.duplicates += 1
            return []
        if i < len(self._ts):
            self.stats.reordered += 1
        self.stats.accepted += 1
        self.stats.nan_rows += nan_rows
        self._ts.insert(i, ts)
        self._vals.insert(i, values)
        if self._t0 is None:
            self._t0 = ts
        self._newest = ts if self._newest is None else max(self._newest, ts)
        watermark = self._newest - self.tolerance_us
        return self._emit(lambda q_last: q_last + self._max_gap_us < watermark)

    def push_many(self, rows: Iterable[Mapping[str, Any]]) -> list[WindowPrediction]:
        """Push several rows; returns every window they completed."""
        out: list[WindowPrediction] = []
        for row in rows:
            out.extend(self.push(row))
        return out

    def close(self) -> list[WindowPrediction]:
        """End of stream: the remaining windows whose last step is covered (and the first, if none yet)."""
        if self._closed:
            return []
        self._closed = True
        if self._held is not None:
            self._drop_held()
        if self._newest is None:
            return []
        newest = self._newest
        return self._emit(lambda q_last: q_last <= newest or self._next == 0)

    # ----------------------------------------------------------------------------------- output
    def _start(self, k: int) -> int:
        assert self._t0 is not None
        return self._t0 + k * self.hop_us

    def _emit(self, ready) -> list[WindowPrediction]:
        out: list[WindowPrediction] = []
        while self._t0 is not None and ready(self._start(self._next) + self._last_offset_us):
            pred = self.estimator.predict_window(
                self._track(), self._start(self._next), self.trajectory, self.calibration
            )
            if pred.skipped is None:
                self.stats.predicted += 1
            else:
                self.stats.skipped += 1
            out.append(pred)
            self._next += 1
            self._prune(self._start(self._next) - self._max_gap_us)
        return out

    def _track(self) -> GazeTrack:
        vals = np.asarray(self._vals, dtype=np.float64).reshape(-1, 4)  # (N, 4)
        return GazeTrack(
            timestamps_us=np.asarray(self._ts, dtype=np.int64),
            yaw_rad=vals[:, 0],
            pitch_rad=vals[:, 1],
            depth_m=vals[:, 2],
            depth_valid=vals[:, 3].astype(bool),
            layout=self.parser.layout or "rows",
            source=self.parser.source,
        )

    def _prune(self, keep_from_us: int) -> None:
        """Forget rows no later window can use (further than the gap limit before its first step)."""
        cut = bisect.bisect_left(self._ts, keep_from_us)
        if cut:
            del self._ts[:cut], self._vals[:cut]


def paced(
    rows: Iterable[Mapping[str, Any]], realtime: bool, speed: float = 1.0
) -> Iterator[Mapping[str, Any]]:
    """Yield rows, sleeping so that they come at their recorded pace when ``realtime`` (replay)."""
    start_wall = 0.0  # wall clock at the first timestamped row (set with start_ts)
    start_ts: int | None = None
    for row in rows:
        if realtime:
            try:
                ts = int(str(row.get("tracking_timestamp_us", "")).strip())
            except ValueError:
                ts = None
            if ts is not None:
                if start_ts is None:
                    start_wall, start_ts = time.perf_counter(), ts
                delay = (ts - start_ts) / 1e6 / speed - (time.perf_counter() - start_wall)
                if delay > 0:
                    time.sleep(delay)
        yield row
