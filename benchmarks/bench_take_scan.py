"""Dataset scan: :func:`load_takes` over 500 and 5,000 synthetic take folders vs a plain scanner.

The folders hold the Ego-Exo4D layout with EMPTY placeholder files (a scan reads metadata and checks
that files exist; it never opens a video or a CSV): ``takes.json``, the three proficiency
annotation files, and per take an ego and two exo videos under
``frame_aligned_videos/downscaled/448``, the general gaze and 2D gaze CSVs, the closed-loop trajectory
and ``device_calibration.json``. Every 10th take misses its gaze file and every 25th its ego
video, so the skip path is timed too.

The reference is a plain scanner written here: the same JSON reads (``json.load``), the same lookups
and the same per-file existence checks (``os.path.isfile`` on string paths), no records, reasons or
notes beyond a count. Both must keep the same takes (checked). The figure is milliseconds per scan,
median over ``--rounds`` interleaved rounds, ratio = load_takes / plain (goal <= 1.0).
Usage: ``python benchmarks/bench_take_scan.py [--takes 500,5000] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from skillsight.data.readers.egoexo4d import load_takes
from skillsight.reports.bench_lines import bench_line

DOWN = "frame_aligned_videos/downscaled/448"
EXOS = ("cam01", "cam02")
SPLITS = ("train", "val", "test")


def _take(i: int) -> dict:
    name = f"take_{i:05d}"
    cameras = [{"cam_id": "aria01", "is_ego": True, "device_type": "aria"}]
    videos = {"aria01": {"rgb": {"relative_path": "frame_aligned_videos/aria01_214-1.mp4"}}}
    for cam in EXOS:
        cameras.append({"cam_id": cam, "is_ego": False, "device_type": "gopro"})
        videos[cam] = {"0": {"relative_path": f"frame_aligned_videos/{cam}.mp4"}}
    return {
        "take_uid": f"uid{i:05d}",
        "take_name": name,
        "root_dir": f"takes/{name}",
        "parent_task_name": "Cooking",
        "task_name": "Making a salad",
        "duration_sec": 60.0,
        "has_trimmed_eye_gaze": True,
        "capture": {"cameras": cameras},
        "frame_aligned_videos": videos,
    }


def _touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")


def make_root(root: Path, n: int) -> Path:
    """n take folders (placeholders), a 70/10/20 split of annotation records."""
    takes = [_take(i) for i in range(n)]
    (root / "annotations").mkdir(parents=True)
    (root / "takes.json").write_text(json.dumps(takes))
    per_split: dict[str, list[dict]] = {s: [] for s in SPLITS}
    for i, take in enumerate(takes):
        split = "train" if i % 10 < 7 else ("val" if i % 10 == 7 else "test")
        rec = {
            "take_uid": take["take_uid"],
            "scenario_name": "Cooking",
            "task_name": take["task_name"],
            "origin_participant_id": f"p{i % 97}",
            "proficiency_score": "Novice",
        }
        per_split[split].append(rec)
        folder = root / take["root_dir"]
        if i % 25 != 3:
            _touch(folder / DOWN / "aria01_214-1.mp4")
        for cam in EXOS:
            _touch(folder / DOWN / f"{cam}.mp4")
        if i % 10 != 5:
            _touch(folder / "eye_gaze" / "general_eye_gaze.csv")
        _touch(folder / "eye_gaze" / "general_eye_gaze_2d.csv")
        _touch(folder / "trajectory" / "closed_loop_trajectory.csv")
        _touch(folder / "device_calibration.json")
    for split, records in per_split.items():
        doc = json.dumps({"annotations": records})
        (root / "annotations" / f"proficiency_demonstrator_{split}.json").write_text(doc)
    return root


def plain_scan(root: str) -> list[str]:
    """The same JSON reads and existence checks, as plainly as Python allows; kept take uids."""
    with open(os.path.join(root, "takes.json")) as f:
        meta = {t["take_uid"]: t for t in json.load(f)}
    kept = []
    isfile = os.path.isfile
    for split in SPLITS:
        with open(os.path.join(root, "annotations", f"proficiency_demonstrator_{split}.json")) as f:
            records = json.load(f)["annotations"]
        for rec in records:
            take = meta.get(rec["take_uid"])
            if take is None:
                continue
            folder = os.path.join(root, take["root_dir"])
            ego = None
            names = {}
            for cam in take["capture"]["cameras"]:
                streams = take["frame_aligned_videos"][cam["cam_id"]]
                stream = streams.get("rgb") or streams.get("0")
                names[cam["cam_id"]] = stream["relative_path"].rsplit("/", 1)[-1]
                if cam["is_ego"] is True:
                    ego = cam["cam_id"]
            videos = {cam: f"{folder}/{DOWN}/{name}" for cam, name in names.items()}
            if ego is None or not isfile(videos[ego]):
                continue
            for cam in videos:  # exo views: a missing one is dropped, not a skip
                if cam != ego:
                    isfile(videos[cam])
            gaze = f"{folder}/eye_gaze/general_eye_gaze.csv"
            if not isfile(gaze):
                continue
            isfile(f"{folder}/eye_gaze/general_eye_gaze_2d.csv")
            isfile(f"{folder}/trajectory/closed_loop_trajectory.csv")
            isfile(f"{folder}/device_calibration.json") or isfile(
                f"{folder}/calibration/device_calibration.json"
            )
            kept.append(rec["take_uid"])
    return kept


def _ms(fn) -> tuple[float, object]:
    t = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t) * 1e3, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--takes", default="500,5000")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for n in (int(x) for x in args.takes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            root = make_root(Path(tmp), n)
            ours, plain = [], []
            load_takes(root)  # the OS caches the folders for both alike
            for _ in range(args.rounds):
                dt, scan = _ms(lambda r=root: load_takes(r))
                ours.append(dt)
                dt, kept = _ms(lambda r=root: plain_scan(str(r)))
                plain.append(dt)
            assert [t.take_uid for t in scan.takes] == kept, "the scanners keep different takes"
            ms, ref = float(np.median(ours)), float(np.median(plain))
            print(
                bench_line(
                    f"take_scan_ms_{n}_takes",
                    ms,
                    ref,
                    ref_kind="same_run",
                    ref_name="plain_scanner",
                    kept=len(kept),
                    skipped=len(scan.skipped),
                    rounds=args.rounds,
                    goal="ratio<=1.0",
                    met="yes" if ms <= ref else "no",
                ),
                flush=True,
            )


if __name__ == "__main__":
    main()
