"""MSB swings as samples: annotations, 2D-gaze windows, and subject-disjoint splits.

A sample is one swing: ``num_steps`` (16) gaze samples at evenly spaced times over the swing's
[start, end] (linear interpolation between the two recorded samples around each time, valid when both
are valid and at most ``max_gap_s`` apart). Items::

    gaze       (T, 2) float32   2D gaze in [0, 1]; 0 where invalid (the mask says so)
    gaze_mask  (T,) bool        True where valid
    scenario   () int64         0 (MSB is one scenario; for the teacher's per-scenario terms)
    action     () int64         stroke: 0 forehand, 1 backhand
    label      () int64         level: 0 novice, 1 intermediate, 2 expert
    take_uid   str              "SubNN:swing"

Only the 2 channels exist: the 3D gaze, direction, head pose and depth channels of Ego-Exo4D are
absent (not zero-filled), and the models built for MSB take 2 channels.
Splits are by subject (fold 0 test, fold 1 validation, folds 2-4 training), so no player is in two.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.msb.reader import MsbGaze, scan_msb_subjects
from skillsight.projects.msb.synthetic import MSB_LEVELS

__all__ = ["STROKES", "MsbData", "MsbSwing", "MsbSwingDataset", "load_msb"]

STROKES: tuple[str, ...] = ("forehand", "backhand")


@dataclass(frozen=True)
class MsbSwing:
    subject: str
    swing: int
    stroke: int
    start_s: float
    end_s: float
    label: int


@dataclass
class MsbData:
    """Swings per split, the subjects' gaze, and the scan report (skips and why)."""

    train: list[MsbSwing]
    val: list[MsbSwing]
    test: list[MsbSwing]
    gaze: dict[str, MsbGaze]
    summary: str


def _rows(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    if not path.is_file():
        raise DataFormatError(path, "", str(path), "annotation file does not exist")
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(path, ",".join(missing), reader.fieldnames, "annotation columns missing")
        return list(reader)


def load_msb(root: str | Path) -> MsbData:
    """Scan ``root`` (the synthetic or real MSB layout with ``annotations/``) and split by subject fold.

    Raises:
        DataFormatError: unknown level or stroke, bad times or fold (naming file, line and value).
        ConfigError: no training swing.
    """
    root = Path(root)
    scan = scan_msb_subjects(root)
    levels, folds = {}, {}
    subjects_csv = root / "annotations" / "subjects.csv"
    for i, row in enumerate(_rows(subjects_csv, ("subject", "level", "fold")), start=2):
        if row["level"] not in MSB_LEVELS:
            raise DataFormatError(
                subjects_csv, f"line {i}: level", row["level"], f"not one of {list(MSB_LEVELS)}"
            )
        levels[row["subject"]] = MSB_LEVELS.index(row["level"])
        try:
            folds[row["subject"]] = int(row["fold"])
        except ValueError:
            raise DataFormatError(
                subjects_csv, f"line {i}: fold", row["fold"], "fold must be an integer"
            ) from None
    swings_csv = root / "annotations" / "swings.csv"
    split: dict[str, list[MsbSwing]] = {"train": [], "val": [], "test": []}
    skipped = 0
    for i, row in enumerate(_rows(swings_csv, ("subject", "swing", "stroke", "start_s", "end_s")), start=2):
        subject = row["subject"]
        if subject not in scan.gaze or subject not in levels:
            skipped += 1  # its gaze file was skipped (reason above) or the subject has no level
            continue
        if row["stroke"] not in STROKES:
            raise DataFormatError(
                swings_csv, f"line {i}: stroke", row["stroke"], f"not one of {list(STROKES)}"
            )
        start, end = float(row["start_s"]), float(row["end_s"])
        if not (np.isfinite(start) and np.isfinite(end) and end > start):
            raise DataFormatError(
                swings_csv, f"line {i}: start_s/end_s", (start, end), "need finite start < end"
            )
        swing = MsbSwing(
            subject, int(row["swing"]), STROKES.index(row["stroke"]), start, end, levels[subject]
        )
        fold = folds[subject]
        split["test" if fold == 0 else "val" if fold == 1 else "train"].append(swing)
    if not split["train"]:
        raise ConfigError(f"{root}: no training swing ({scan.format_summary()})")
    summary = scan.format_summary() + (
        f"\nskipped {skipped} swings of unreadable or unlabelled subjects" if skipped else ""
    )
    return MsbData(split["train"], split["val"], split["test"], scan.gaze, summary)


def gaze_window(gaze: MsbGaze, times_s: np.ndarray, max_gap_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(T, 2) gaze at ``times_s`` (0 where invalid) and (T,) validity."""
    t = gaze.time_s
    right = np.clip(np.searchsorted(t, times_s), 1, len(t) - 1)
    left = right - 1
    span = t[right] - t[left]
    alpha = np.where(span > 0, (times_s - t[left]) / np.where(span > 0, span, 1.0), 0.0)
    ok = gaze.valid[left] & gaze.valid[right] & (span <= max_gap_s) & (times_s >= t[0]) & (times_s <= t[-1])
    xy = gaze.xy[left] + alpha[:, None] * (gaze.xy[right] - gaze.xy[left])
    return np.where(ok[:, None], xy, 0.0).astype(np.float32), ok


class MsbSwingDataset(Dataset):
    """One item per swing (see the module docstring)."""

    def __init__(
        self, swings: list[MsbSwing], gaze: dict[str, MsbGaze], num_steps: int = 16, max_gap_s: float = 0.1
    ):
        if not swings:
            raise ConfigError("MsbSwingDataset got no swings")
        self.swings, self.gaze, self.num_steps, self.max_gap_s = (
            swings,
            gaze,
            int(num_steps),
            float(max_gap_s),
        )

    def __len__(self) -> int:
        return len(self.swings)

    def __getitem__(self, index: int) -> dict:
        s = self.swings[index]
        times = np.linspace(s.start_s, s.end_s, self.num_steps)
        xy, ok = gaze_window(self.gaze[s.subject], times, self.max_gap_s)
        return {
            "gaze": torch.from_numpy(xy),
            "gaze_mask": torch.from_numpy(ok),
            "scenario": torch.tensor(0),
            "action": torch.tensor(s.stroke),
            "label": torch.tensor(s.label),
            "take_uid": f"{s.subject}:{s.swing}",
        }
