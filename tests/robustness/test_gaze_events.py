"""Event detection on real-world timing: jittered steps, many gaps, low rates (issue 14 section 1)."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import ConfigError
from skillsight.gaze.events import GazeQualityWarning, detect_idt, detect_ivt
from tests.unit.gaze.test_velocity import jittered_timestamps


def test_alternating_4_and_8_ms_steps_are_not_gaps() -> None:
    t = jittered_timestamps(2000)
    rng = np.random.default_rng(0)
    yaw = np.radians(np.repeat(rng.uniform(-10, 10, 20), 100) + rng.normal(0, 0.05, 2000))
    for detect in (detect_ivt, detect_idt):
        ev = detect(t, yaw, np.zeros(2000))
        assert ev.report.gap_intervals == 0 and len(ev.fixations) >= 15  # 20 steady gaze positions


def test_some_gaps_warn_and_an_empty_result_warns() -> None:
    t = 1_000_000 + np.arange(400, dtype=np.int64) * 10_000
    t[200:] += np.cumsum(np.where(np.arange(200) % 5 == 0, 60_000, 0))
    with pytest.warns(GazeQualityWarning, match="intervals"):
        detect_ivt(t, np.zeros(400), np.zeros(400))
    fast = np.radians(np.arange(400) * 2.0)  # 200 deg/s throughout
    with pytest.warns(GazeQualityWarning, match="no fixation found"):
        assert len(detect_ivt(1_000_000 + np.arange(400) * 10_000, fast, np.zeros(400)).fixations) == 0


def test_10hz_works_and_5hz_refuses_clearly() -> None:
    t10 = 1_000_000 + np.arange(60, dtype=np.int64) * 100_000
    yaw = np.radians(np.repeat([0.0, 8.0, -4.0], 20))
    ev = detect_ivt(t10, yaw, np.zeros(60))
    assert len(ev.fixations) == 3 and ev.report.smoothing_ms is None and ev.report.threshold == 20.0
    with pytest.raises(ConfigError, match=r"5 Hz .* too low for minimum_duration=100"):
        detect_ivt(1_000_000 + np.arange(60, dtype=np.int64) * 200_000, yaw, np.zeros(60))
