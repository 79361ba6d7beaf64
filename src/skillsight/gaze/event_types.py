"""The result types of gaze event detection: the events, the detector's report and its warning."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from skillsight.exceptions import ConfigError

__all__ = ["EventReport", "GazeEvents", "GazeQualityWarning"]


class GazeQualityWarning(UserWarning):
    """The gaze allows events, but the result may be poor (many gaps, nothing found)."""


@dataclass(frozen=True)
class EventReport:
    """What a detector used and what it saw (printed by benchmarks and CLIs, kept with the events).

    Attributes:
        method: "ivt" | "idt".
        threshold: velocity (deg/s, I-VT) or dispersion (deg, I-DT) threshold used.
        smoothing_ms: velocity window used, None for two-sample interval velocities.
        max_gap_ms: the gap threshold used.
        median_interval_ms: the recording's median sampling interval.
        intervals: number of intervals; gap_intervals: those longer than ``max_gap_ms``.
        missing_samples: samples with NaN yaw or pitch.
    """

    method: str
    threshold: float
    smoothing_ms: float | None
    max_gap_ms: float
    median_interval_ms: float
    intervals: int
    gap_intervals: int
    missing_samples: int

    def format(self) -> str:
        """One line, e.g. for a CLI or a benchmark."""
        smooth = "interval velocity" if self.smoothing_ms is None else f"smoothing {self.smoothing_ms:g} ms"
        return (
            f"{self.method} threshold {self.threshold:g} ({smooth}), gaps > {self.max_gap_ms:g} ms: "
            f"{self.gap_intervals}/{self.intervals} intervals, {self.missing_samples} missing samples"
        )


@dataclass(frozen=True)
class GazeEvents:
    """Detected events of one recording, sorted by onset; every field is an (E,) array.

    Attributes:
        kind: "fixation" | "saccade".
        onset_index, offset_index: int64 sample indices of the first and last sample (inclusive).
        onset_us, offset_us: int64 timestamps of those samples.
        duration_ms: float64 ``(offset_us - onset_us) / 1000``.
        amplitude_deg: angle between the first and last gaze direction.
        peak_velocity_deg_s: largest interval velocity inside the event.
        mean_yaw_rad, mean_pitch_rad: mean gaze angles over the event's samples.
        report: the settings used and the gap counts (:class:`EventReport`).
    """

    kind: np.ndarray
    onset_index: np.ndarray
    offset_index: np.ndarray
    onset_us: np.ndarray
    offset_us: np.ndarray
    duration_ms: np.ndarray
    amplitude_deg: np.ndarray
    peak_velocity_deg_s: np.ndarray
    mean_yaw_rad: np.ndarray
    mean_pitch_rad: np.ndarray
    report: EventReport | None = field(default=None, compare=False)

    def __len__(self) -> int:
        return int(self.kind.shape[0])

    def select(self, kind: str) -> GazeEvents:
        """Only the events of one kind ("fixation" or "saccade")."""
        if kind not in ("fixation", "saccade"):
            raise ConfigError(f"event kind must be 'fixation' or 'saccade', got {kind!r}")
        keep = self.kind == kind
        arrays = {name: getattr(self, name)[keep] for name in self.__dataclass_fields__ if name != "report"}
        return GazeEvents(**arrays, report=self.report)

    @property
    def fixations(self) -> GazeEvents:
        return self.select("fixation")

    @property
    def saccades(self) -> GazeEvents:
        return self.select("saccade")
