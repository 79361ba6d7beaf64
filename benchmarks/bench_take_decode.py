"""Decoding the 10 test clips of a take: one clip at a time vs one pass for all, vs the decode limit.

For keyframe spacings (GOP) of 12, 60 and 250 frames, a 60 s, 30 fps, 224 px synthetic video (the
one :mod:`bench_clip_decode` writes, cached) is read as evaluation reads a take's 10 SkillSight test
clips of 16 frames:

* ``per_clip``: :meth:`TakeReader.decode` once per clip (seek + decode each clip on its own: what
  evaluation did before);
* ``one_pass``: :meth:`TakeReader.decode_clip` with the take's union of clip frames, as the dataset
  now calls it (one sorted decoding pass, the clips served from it);
* reference ``decode_limit``: every frame of the video decoded front to back by PyAV, only the
  needed ones converted to RGB (one decode of each frame is the least any reader can do when the
  clips span the video; at short GOPs seeking over the gaps can beat it).

All three must give identical frames (checked). Times are medians over ``--rounds`` interleaved rounds
(per_clip, one_pass and the reference alternate, so load hits them alike); the printed figures are
seconds per take, ratio = one_pass / decode_limit (goal <= 1.2) and the speed-up over per_clip
(issue 19: 2x at GOP 250). Usage: ``python benchmarks/bench_take_decode.py [--rounds 3]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np
from av.video.reformatter import VideoReformatter

from bench_clip_decode import _video  # the cached synthetic video of the clip benchmark
from skillsight.data.clips import clip_frame_indices, test_clip_starts
from skillsight.data.readers.video import probe_video
from skillsight.data.records import Take
from skillsight.data.sample_spec import SampleSpec
from skillsight.data.take_reader import TakeReader
from skillsight.reports.bench_lines import bench_line

SIZE_PX = 224


def _decode_limit(path: Path, wanted: np.ndarray) -> np.ndarray:
    """Every frame decoded front to back; the wanted ones converted like the reader converts them."""
    keep = set(wanted.tolist())
    reformatter = VideoReformatter()
    out = []
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in keep:
                rgb = reformatter.reformat(
                    frame, format="rgb24", width=SIZE_PX, height=SIZE_PX, interpolation="BILINEAR"
                )
                out.append(rgb.to_ndarray())
    return np.stack(out)


def _seconds(fn) -> tuple[float, object]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def bench_gop(gop: int, args: argparse.Namespace) -> None:
    path = _video(args.cache_dir, args.seconds, gop)
    info = probe_video(path)
    starts = test_clip_starts(info.n_frames, info.fps)
    clips = [clip_frame_indices(info.n_frames, info.fps, start=int(s)) for s in starts]
    union = np.unique(np.concatenate(clips))
    take = Take(
        take_uid="bench",
        take_name="bench",
        scenario="Music",
        task_name="piano",
        label=0,
        split="test",
        ego_camera="aria01",
        video_paths={"aria01": path},
    )
    spec = SampleSpec(keys=frozenset({"video", "label"}), frame_size_px=SIZE_PX)
    per_clip_s, one_pass_s, limit_s = [], [], []
    for _ in range(args.rounds):
        dt, old = _seconds(lambda r=TakeReader(spec): [r.decode(take, path, idx) for idx in clips])
        per_clip_s.append(dt)
        # a fresh reader: nothing held from the last round
        dt, new = _seconds(
            lambda r=TakeReader(spec): [r.decode_clip(take, path, idx, union) for idx in clips]
        )
        one_pass_s.append(dt)
        dt, ref = _seconds(lambda: _decode_limit(path, union))
        limit_s.append(dt)
        for a, b in zip(old, new):
            assert np.array_equal(a, b), "one-pass frames differ from per-clip decoding"
        assert np.array_equal(np.concatenate(new), ref[np.searchsorted(union, np.concatenate(clips))])
    old_s, new_s, lim_s = (float(np.median(x)) for x in (per_clip_s, one_pass_s, limit_s))
    common = {"gop": gop, "clips": len(clips), "frames": len(union), "rounds": args.rounds}
    print(
        bench_line(
            f"take_decode_one_pass_s_gop{gop}",
            new_s,
            lim_s,
            ref_kind="same_run",
            ref_name="decode_limit",
            goal="ratio<=1.2",
            met="yes" if new_s <= 1.2 * lim_s else "no",
            **common,
        ),
        flush=True,
    )
    print(
        bench_line(
            f"take_decode_per_clip_s_gop{gop}",
            old_s,
            lim_s,
            ref_kind="same_run",
            ref_name="decode_limit",
            speedup_of_one_pass=old_s / new_s,
            **common,
            **({"goal": "speedup>=2", "met": "yes" if old_s >= 2 * new_s else "no"} if gop == 250 else {}),
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gops", default="12,60,250")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cache-dir", type=Path, default=Path("runs") / "bench_clip_decode")
    args = parser.parse_args()
    for gop in (int(g) for g in args.gops.split(",")):
        bench_gop(gop, args)


if __name__ == "__main__":
    main()
