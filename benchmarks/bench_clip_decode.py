"""Clip decoding speed: seek + decode the 16 frames of a clip vs decoding the whole video.

Writes (once, cached) a 60 s, 30 fps, 224 px synthetic video, then times the 10 SkillSight test
clips of that video decoded with :func:`skillsight.data.readers.video.decode_frames` against a reference
that decodes every frame of the video and keeps the 16 it needs. Both must return identical frames.

Prints::

    clip_decode_clips_per_s=... ref=... ratio=... ref_kind=same_run ref_name=full_decode

Usage: ``python benchmarks/bench_clip_decode.py [--gop 12] [--seconds 60] [--cache-dir DIR]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import av
import numpy as np

from skillsight.data.clips import clip_frame_indices, test_clip_starts
from skillsight.data.readers.video import decode_frames, probe_video, write_video
from skillsight.reports.bench_lines import bench_line

SIZE_PX = 224
FPS = 30.0


def _synthetic_frames(n_frames: int, seed: int = 0) -> np.ndarray:
    """Moving gradients plus a little noise: cheap to make, not trivially compressible."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:SIZE_PX, 0:SIZE_PX].astype(np.float32)
    frames = np.empty((n_frames, SIZE_PX, SIZE_PX, 3), np.uint8)
    for t in range(n_frames):
        base = np.stack([(xx + 3 * t) % 256, (yy + 2 * t) % 256, (xx + yy + t) % 256], axis=-1)
        frames[t] = np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8)
    return frames


def _video(cache_dir: Path, seconds: int, gop: int) -> Path:
    path = cache_dir / f"bench_clip_decode_{seconds}s_{SIZE_PX}px_gop{gop}.mp4"
    n_frames = int(seconds * FPS)
    if path.is_file():
        try:
            if probe_video(path).n_frames == n_frames:
                return path
        except Exception:  # a half-written cache file: rewrite it
            pass
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.mp4")
    chunk = 300
    frames = np.concatenate(
        [_synthetic_frames(min(chunk, n_frames - s), seed=s) for s in range(0, n_frames, chunk)]
    )
    write_video(tmp, frames, fps=FPS, gop=gop)
    tmp.replace(path)
    return path


def _reference_clip(path: Path, indices: np.ndarray) -> np.ndarray:
    """Decode every frame of the video; convert only the requested ones."""
    wanted = set(indices.tolist())
    picked: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                picked[i] = frame.to_ndarray(format="rgb24")
    return np.stack([picked[i] for i in indices.tolist()])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gop", type=int, default=12)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--ref-clips", type=int, default=2, help="clips timed for the (slow) reference")
    parser.add_argument("--cache-dir", type=Path, default=Path("runs") / "bench_clip_decode")
    args = parser.parse_args()

    path = _video(args.cache_dir, args.seconds, args.gop)
    info = probe_video(path)
    clips = [
        clip_frame_indices(info.n_frames, info.fps, start=int(s))
        for s in test_clip_starts(info.n_frames, info.fps)
    ]

    start = time.perf_counter()
    ours = [decode_frames(path, idx) for idx in clips]
    clip_per_s = len(clips) / (time.perf_counter() - start)

    ref_idx = np.linspace(0, len(clips) - 1, args.ref_clips).round().astype(int)
    start = time.perf_counter()
    refs = [_reference_clip(path, clips[k]) for k in ref_idx]
    ref_per_s = len(ref_idx) / (time.perf_counter() - start)
    for k, ref in zip(ref_idx, refs):
        assert np.array_equal(ours[k], ref), f"clip {k}: seek-decoded frames differ from full decode"

    print(
        bench_line(
            "clip_decode_clips_per_s", clip_per_s, ref_per_s, ref_kind="same_run", ref_name="full_decode"
        )
    )


if __name__ == "__main__":
    main()
