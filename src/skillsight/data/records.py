"""Typed records every source is turned into.

Units and frames are in the field names: ``*_us`` microseconds on the device clock, ``*_rad``
radians, ``*_m`` metres, ``*_px`` pixels, ``*_cpf`` Central Pupil Frame (X left, Y up, Z forward),
``*_world`` the trajectory's world frame. Arrays are numpy; the first axis is time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["PROFICIENCY_LABELS", "SCENARIOS", "SPLITS", "Motion", "Take"]

#: Ego-Exo4D proficiency labels, index = class id (Novice=0 .. Late Expert=3).
PROFICIENCY_LABELS: tuple[str, ...] = ("Novice", "Early Expert", "Intermediate Expert", "Late Expert")

#: Ego-Exo4D demonstrator-proficiency scenarios (scenario_name / parent_task_name), index = scenario id.
SCENARIOS: tuple[str, ...] = ("Basketball", "Cooking", "Dance", "Music", "Rock Climbing", "Soccer")

#: Ego-Exo4D benchmark splits (``Take.split``), in the order they are read and reported.
SPLITS: tuple[str, ...] = ("train", "val", "test")


@dataclass(frozen=True)
class Motion:
    """Body motion (or any per-frame feature matrix) without absolute timestamps.

    Attributes:
        values: (N, F) float32 features per time step.
        feature_names: F column names.
        rate_hz: sampling rate if known (None if unknown).
    """

    values: np.ndarray
    feature_names: tuple[str, ...]
    rate_hz: float | None = None
    source: str = ""


@dataclass
class Take:
    """One Ego-Exo4D-style take with the paths of everything a model may read.

    Attributes:
        take_uid, take_name: identifiers from takes.json.
        scenario: scenario name (one of SCENARIOS for Ego-Exo4D).
        task_name: sub-task (the "action" class of the SkillSight student).
        label: proficiency class id (index into PROFICIENCY_LABELS) or None when unlabelled (test).
        split: "train" | "val" | "test".
        ego_camera: camera id of the ego (Aria) stream, discovered from takes.json.
        video_paths: camera id -> path of the (448 px downscaled) MP4; the ego camera included.
        gaze_path, gaze2d_path, trajectory_path, calibration_path: files, None when absent.
        duration_sec: take duration in seconds; None when the metadata has none.
        participant_id: who performed it (for leakage checks and grouped splits; "" when unknown).
        video_start_us: device-clock time (the gaze's clock) of frame 0 of the frame-aligned videos,
            from the capture's timesync; None when unknown (frame 0 is then the first gaze sample).
    """

    take_uid: str
    take_name: str
    scenario: str
    task_name: str
    label: int | None
    split: str
    ego_camera: str
    video_paths: dict[str, Path] = field(default_factory=dict)
    gaze_path: Path | None = None
    gaze2d_path: Path | None = None
    trajectory_path: Path | None = None
    calibration_path: Path | None = None
    duration_sec: float | None = None
    participant_id: str = ""
    video_start_us: int | None = None

    @property
    def exo_cameras(self) -> list[str]:
        """Exo camera ids, sorted (every camera but the ego one)."""
        return sorted(c for c in self.video_paths if c != self.ego_camera)
