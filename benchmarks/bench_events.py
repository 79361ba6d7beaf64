"""Fixation detection on a real wearable recording: our I-VT / I-DT vs pymovements' I-VT.

Data: ``../shared/data/eyedentify3d-pupil-invisible/gaze.csv`` (Pupil Invisible, ~250 Hz with
jittered 4/8 ms steps, a trampoline athlete: the head moves a lot). Reference: the file's
``fixation id`` (Pupil Cloud's own detector; a reference for agreement, not ground truth).
Score: sample-level Cohen's kappa of "in a fixation" vs not, blink rows excluded. Every detector
gets the same input: :func:`read_pupil_gaze_csv` (blink and not-worn rows are NaN = missing).

Rows of the table:

* ours, defaults: ``detect_ivt`` / ``detect_idt`` with no argument but the data;
* ours, tuned: the best of a grid (threshold x smoothing for I-VT, dispersion for I-DT);
* pymovements I-VT (``pymovements.events.ivt``; velocities from ``pos2vel`` on azimuth/elevation
  degrees at the median sampling rate, every method it offers), its default (method "smooth",
  20 deg/s) and its best over a grid of methods x thresholds, measured in the same run;
* the same at 10 Hz (Aria's rate; the file subsampled to the first sample at or after each 100 ms
  tick), where the detector must work or refuse clearly.

The claim "our default >= pymovements' best" is a paired difference of kappa with a 95 % moving-block
bootstrap interval (2 s blocks, 1000 resamples), printed with the summary lines::

    events_kappa_ivt_default=... ref=... ratio=... ref_kind=same_run ref_name=pymovements_ivt_best
    claim_events_kappa_ivt_default_ours_vs_pymovements=+0.006 ci95=[...] runs=1/1 n=BLOCKS verdict=...

Usage: ``python benchmarks/bench_events.py [--data DIR]`` (needs the ``bench`` extra: pymovements).
"""

from __future__ import annotations

import argparse
import importlib.util
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from skillsight.data.readers.pupil_labs import read_pupil_gaze_csv
from skillsight.evaluation.paired_stats import PairedDifference, paired_bootstrap
from skillsight.exceptions import ConfigError
from skillsight.gaze.events import GazeEvents, GazeQualityWarning, detect_idt, detect_ivt
from skillsight.reports.bench_lines import bench_line, claim_line

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eyedentify3d-pupil-invisible"
PM_METHODS: list[tuple[str, dict]] = [
    ("preceding", {}),
    ("neighbors", {}),
    ("smooth", {}),
    ("savitzky_golay", {"window_length": 7, "polyorder": 2}),
    ("savitzky_golay", {"window_length": 11, "polyorder": 2}),
    ("savitzky_golay", {"window_length": 21, "polyorder": 2}),
]
THRESHOLDS = (20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0)


def cohen_kappa(pred: np.ndarray, ref: np.ndarray) -> float:
    """Cohen's kappa of two boolean label vectors."""
    p_o = float(np.mean(pred == ref))
    p_e = float(pred.mean() * ref.mean() + (1 - pred.mean()) * (1 - ref.mean()))
    return (p_o - p_e) / (1 - p_e) if p_e < 1 else 1.0


def labels_from_events(events: GazeEvents, t_us: np.ndarray) -> np.ndarray:
    """(N,) True for every full-rate sample inside a detected fixation (onset..offset in time)."""
    lab = np.zeros(t_us.shape[0], dtype=bool)
    fix = events.fixations
    starts = np.searchsorted(t_us, fix.onset_us, side="left")
    stops = np.searchsorted(t_us, fix.offset_us, side="right")
    for a, b in zip(starts, stops):
        lab[a:b] = True
    return lab


def pymovements_labels(t_us, az_deg, el_deg, method, kwargs, threshold) -> np.ndarray:
    import pymovements as pm
    from pymovements.transforms.numpy import pos2vel

    rate = 1e6 / float(np.median(np.diff(t_us)))
    velocity = pos2vel(np.stack([az_deg, el_deg], axis=1), sampling_rate=rate, method=method, **kwargs)
    t_ms = (t_us - t_us[0]) / 1e3
    frame = pm.events.ivt(velocity, timesteps=t_ms, velocity_threshold=threshold, minimum_duration=100).frame
    lab = np.zeros(t_us.shape[0], dtype=bool)
    for on, off in zip(frame["onset"].to_list(), frame["offset"].to_list()):
        lab[(t_ms >= on) & (t_ms <= off)] = True
    return lab


def block_bootstrap_diff(a, b, ref, keep, t_us, block_s=2.0, rounds=1000, seed=0) -> PairedDifference:
    """kappa(a) - kappa(b) with a 95 % interval that resamples 2 s blocks of time (samples correlate)."""
    idx = np.flatnonzero(keep)
    block = np.floor((t_us[idx] - t_us[idx[0]]) / (block_s * 1e6)).astype(np.int64)
    groups = [idx[block == k] for k in np.unique(block)]

    def kappa_of(labels: np.ndarray) -> Callable[[np.ndarray], float]:
        def metric(blocks: np.ndarray) -> float:
            pick = np.concatenate([groups[i] for i in blocks])
            return cohen_kappa(labels[pick], ref[pick])

        return metric

    return paired_bootstrap(
        kappa_of(a),
        kappa_of(b),
        len(groups),
        name_a="ours",
        name_b="pymovements",
        n_resamples=rounds,
        seed=seed,
    )


def run_ours(detect: Callable[..., GazeEvents], t_us, yaw, pitch, **kwargs) -> tuple[np.ndarray | None, str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", GazeQualityWarning)
        try:
            ev = detect(t_us, yaw, pitch, **kwargs)
        except ConfigError as err:
            return None, f"refused: {err}"
    return labels_from_events(ev, t_us), ev.report.format() if ev.report else ""


def table(rows: list[tuple[str, str, float | None, str]]) -> None:
    print(f"{'rate':>6s}  {'detector':<44s} {'kappa':>6s}  settings")
    for rate, name, kappa, note in rows:
        shown = "   -  " if kappa is None else f"{kappa:6.3f}"
        print(f"{rate:>6s}  {name:<44s} {shown}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not (args.data / "gaze.csv").is_file():
        print(f"events_kappa: skipped, no recording at {args.data / 'gaze.csv'} (../shared/data is absent)")
        return
    if importlib.util.find_spec("pymovements") is None:
        print("events_kappa: skipped, pymovements is not installed (pip install 'skillsight[bench]')")
        return
    rec = read_pupil_gaze_csv(args.data / "gaze.csv")
    t, yaw, pitch = rec.track.timestamps_us, rec.track.yaw_rad, rec.track.pitch_rad
    ref, keep = rec.fixation_id >= 0, rec.blink_id < 0
    # pymovements gets the same samples, as azimuth/elevation degrees (NaN where ours is NaN)
    az = np.where(np.isfinite(yaw), -np.degrees(yaw), np.nan)
    el = np.degrees(np.arctan(np.tan(pitch) * np.cos(np.radians(az))))

    def score(lab):
        return None if lab is None else cohen_kappa(lab[keep], ref[keep])

    rows: list[tuple[str, str, float | None, str]] = []
    results: dict[str, tuple[float | None, np.ndarray | None]] = {}
    full_rate = f"{1e6 / np.median(np.diff(t)):.0f}Hz"
    ivt_default, note = run_ours(detect_ivt, t, yaw, pitch)
    results["ivt_default"] = (score(ivt_default), ivt_default)
    rows.append((full_rate, "ours I-VT, defaults", score(ivt_default), note))
    idt_default, note = run_ours(detect_idt, t, yaw, pitch)
    rows.append((full_rate, "ours I-DT, defaults", score(idt_default), note))
    best = (-1.0, "", None)
    for thr in THRESHOLDS:
        for smooth in (None, 20.0, 40.0, 60.0):
            lab, note = run_ours(detect_ivt, t, yaw, pitch, velocity_threshold=thr, smoothing_ms=smooth)
            k = score(lab)
            if k is not None and k > best[0]:
                best = (k, note, lab)
    rows.append((full_rate, "ours I-VT, tuned (best of grid)", best[0], best[1]))
    best_idt = (-1.0, "")
    for disp in (1.0, 1.5, 2.0, 3.0, 4.0, 5.0):
        lab, note = run_ours(detect_idt, t, yaw, pitch, dispersion_threshold=disp)
        k = score(lab)
        if k is not None and k > best_idt[0]:
            best_idt = (k, note)
    rows.append((full_rate, "ours I-DT, tuned (best of grid)", best_idt[0], best_idt[1]))
    pm_default = pymovements_labels(t, az, el, "smooth", {}, 20.0)
    rows.append((full_rate, "pymovements I-VT, defaults (smooth, 20)", score(pm_default), ""))
    pm_best = (-1.0, "", None)
    for method, kw in PM_METHODS:
        for thr in THRESHOLDS:
            lab = pymovements_labels(t, az, el, method, kw, thr)
            k = score(lab)
            if k is not None and k > pm_best[0]:
                pm_best = (k, f"{method} {kw or ''} threshold {thr:g}".replace("  ", " "), lab)
    rows.append((full_rate, "pymovements I-VT, tuned (best of grid)", pm_best[0], pm_best[1]))

    # 10 Hz: first sample at or after every 100 ms tick
    sub = np.unique(np.searchsorted(t, np.arange(t[0], t[-1], 100_000)))
    sub = sub[sub < t.shape[0]]
    ts, ys, ps = t[sub], yaw[sub], pitch[sub]
    ref10, keep10 = ref[sub], keep[sub]

    def score10(lab):
        return None if lab is None else cohen_kappa(lab[keep10], ref10[keep10])

    for name, detect in (("ours I-VT, defaults", detect_ivt), ("ours I-DT, defaults", detect_idt)):
        lab, note = run_ours(detect, ts, ys, ps)
        rows.append(("10Hz", name, score10(lab), note))
    lab, note = run_ours(detect_ivt, ts, ys, ps, minimum_duration=50)
    rows.append(("10Hz", "ours I-VT, minimum_duration=50", score10(lab), note))
    pm10 = pymovements_labels(ts, az[sub], el[sub], "smooth", {}, 20.0)
    rows.append(("10Hz", "pymovements I-VT, defaults (smooth, 20)", score10(pm10), ""))
    table(rows)

    k_ours, lab_ours = results["ivt_default"]
    diff = block_bootstrap_diff(lab_ours, pm_best[2], ref, keep, t)
    vs_pm: dict[str, Any] = {"ref_kind": "same_run", "ref_name": "pymovements_ivt_best"}
    print(bench_line("events_kappa_ivt_default", k_ours, pm_best[0], digits=3, **vs_pm))
    print(claim_line("events_kappa_ivt_default", diff))
    print(bench_line("events_kappa_ivt_tuned", best[0], pm_best[0], digits=3, **vs_pm))
    print(bench_line("events_kappa_idt_default", score(idt_default), pm_best[0], digits=3, **vs_pm))


if __name__ == "__main__":
    main()
