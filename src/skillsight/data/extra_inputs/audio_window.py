"""``audio``: the microphone samples under a clip (EgoTrigger), decoded from the ego MP4's audio stream.

The clip's T frames each own one frame interval (1 / sample_fps); the window runs from the first frame's
time for T intervals: round(T / sample_fps * rate) mono float32 samples (option ``audio_rate_hz``, default
16 kHz), zero-padded past the end of the track. The whole track of a take is decoded once and kept
(LRU, ``max_cached_takes``). A take whose ego MP4 has no audio stream raises DataFormatError ("has no
audio stream"); training drops such takes up front and reports them (see
:func:`skillsight.training.skill_data.drop_takes_without_audio`).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import torch

from skillsight.data.extra_inputs.base import ExtraInput, option
from skillsight.data.readers.audio import DEFAULT_AUDIO_RATE_HZ, AudioTrack, read_audio
from skillsight.data.records import Take

__all__ = ["AUDIO_INPUT", "audio_window"]


def audio_window(track: AudioTrack, start_s: float, num_samples: int) -> np.ndarray:
    """``num_samples`` samples of ``track`` from ``start_s`` (video clock), zero outside the track."""
    first = round((start_s - track.offset_s) * track.rate_hz)
    out = np.zeros(num_samples, dtype=np.float32)
    lo, hi = max(first, 0), min(first + num_samples, len(track.samples))
    if hi > lo:
        out[lo - first : hi - first] = track.samples[lo:hi]
    return out


def _track(ds: Any, take: Take, rate_hz: int) -> AudioTrack:
    cache: OrderedDict = ds.__dict__.setdefault("_audio_tracks", OrderedDict())
    key = (take.take_uid, rate_hz)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    path = Path(take.video_paths[take.ego_camera])
    track = ds.read_take_file(take, path, lambda p: read_audio(p, rate_hz))
    cache[key] = track
    while len(cache) > ds.max_cached_takes:
        cache.popitem(last=False)
    return track


def build_audio(ds: Any, take: Take, indices: np.ndarray, fps: float) -> dict[str, torch.Tensor]:
    """(N,) samples under the clip (see the module docstring)."""
    rate = int(option(ds.input_options, "audio_rate_hz", DEFAULT_AUDIO_RATE_HZ))
    num = round(len(indices) / ds.sample_fps * rate)
    samples = audio_window(_track(ds, take, rate), float(indices[0]) / fps, num)
    return {"audio": torch.from_numpy(samples)}


def _files(take: Take) -> list:
    return [(f"video_paths[{take.ego_camera}]", take.video_paths.get(take.ego_camera))]


AUDIO_INPUT = ExtraInput(keys=("audio",), build=build_audio, files=_files, needs_video_timeline=True)
