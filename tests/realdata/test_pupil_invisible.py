"""The real Pupil Invisible recording: the reader's conversion and events with default settings."""

from __future__ import annotations

import numpy as np
from _paths import shared_data_dir

from skillsight.data.readers.pupil_labs import read_pupil_gaze_csv
from skillsight.gaze.events import detect_idt, detect_ivt


def _recording():
    return read_pupil_gaze_csv(shared_data_dir("eyedentify3d-pupil-invisible") / "gaze.csv")


def test_reader_reads_every_row_and_the_vendor_ids() -> None:
    rec = _recording()
    track = rec.track
    assert len(track) == 8567 and track.layout == "pupil_cloud"
    assert np.all(np.diff(track.timestamps_us) > 0)
    assert np.unique(rec.fixation_id[rec.fixation_id >= 0]).size == 63
    assert np.unique(rec.blink_id[rec.blink_id >= 0]).size == 38
    # blink rows are missing samples, every other row is a finite gaze
    assert np.array_equal(np.isnan(track.yaw_rad), rec.blink_id >= 0)
    steps_ms = np.diff(track.timestamps_us) / 1e3
    assert np.mean(steps_ms > 6.0) > 0.2  # the jittered 8 ms steps are there


def test_default_detectors_find_fixations_that_agree_with_the_vendor() -> None:
    rec = _recording()
    t, yaw, pitch = rec.track.timestamps_us, rec.track.yaw_rad, rec.track.pitch_rad
    ev = detect_ivt(t, yaw, pitch)
    assert ev.report is not None and ev.report.gap_intervals == 0
    assert 40 <= len(ev.fixations) <= 90  # the vendor finds 63
    inside = np.zeros(t.size, bool)
    for a, b in zip(ev.fixations.onset_index, ev.fixations.offset_index):
        inside[a : b + 1] = True
    keep, ref = rec.blink_id < 0, rec.fixation_id >= 0
    p_o = np.mean(inside[keep] == ref[keep])
    p_e = inside[keep].mean() * ref[keep].mean() + (1 - inside[keep].mean()) * (1 - ref[keep].mean())
    assert (p_o - p_e) / (1 - p_e) > 0.4  # sample-level Cohen's kappa (0.45 measured)
    assert len(detect_idt(t, yaw, pitch).fixations) > 10
    # Aria's rate: subsampled to 10 Hz the default detector still works
    sub = np.unique(np.searchsorted(t, np.arange(t[0], t[-1], 100_000)))
    ev10 = detect_ivt(t[sub], yaw[sub], pitch[sub])
    assert len(ev10.fixations) > 20 and ev10.report.smoothing_ms is None
