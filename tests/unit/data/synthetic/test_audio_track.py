"""The synthetic microphone track: cheap, independent of the take's other content, heard at each action."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.data.readers.audio import has_audio, read_audio
from skillsight.data.readers.video import decode_all_frames
from skillsight.data.synthetic.audio import synthesize_take_audio
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.models.egotrigger import AudioEventTrigger

KW = dict(takes_per_level=3, scenarios=("Basketball",), frame_px=32, duration_s=8, workers=1)


@pytest.fixture(scope="module")
def with_and_without(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict, dict]:
    """Both datasets, and the frames each run RENDERED (libx264 via PyAV is not bit-reproducible run to
    run, so decoded pixels of two runs may differ by a few levels even without audio)."""
    import skillsight.data.synthetic.take_files as writers_module

    rendered: dict[str, dict[str, np.ndarray]] = {"audio": {}, "silent": {}}
    original = writers_module.write_video
    mp = pytest.MonkeyPatch()
    try:
        for kind, with_audio in (("audio", True), ("silent", False)):

            def capture(path, frames, *args, _kind=kind, **kwargs):
                rendered[_kind][Path(path).parent.parent.parent.parent.name + Path(path).name] = frames.copy()
                return original(path, frames, *args, **kwargs)

            mp.setattr(writers_module, "write_video", capture)
            root = tmp_path_factory.mktemp(kind)
            generate_synthetic_dataset(root, with_audio=with_audio, **KW)
            rendered[kind + "_root"] = root  # type: ignore[assignment]
    finally:
        mp.undo()
    return rendered["audio_root"], rendered["silent_root"], rendered["audio"], rendered["silent"]  # type: ignore[return-value]


def test_audio_leaves_gaze_trajectory_and_pixels_unchanged(with_and_without) -> None:
    a, b, frames_a, frames_b = with_and_without
    assert frames_a.keys() == frames_b.keys() and len(frames_a) == 12
    assert all(np.array_equal(frames_a[k], frames_b[k]) for k in frames_a)  # the same rendered video
    takes = sorted(p.name for p in (a / "takes").iterdir())
    assert takes == sorted(p.name for p in (b / "takes").iterdir())
    for name in takes:
        for rel in (
            "eye_gaze/general_eye_gaze.csv",
            "eye_gaze/general_eye_gaze_2d.csv",
            "trajectory/closed_loop_trajectory.csv",
            "device_calibration.json",
        ):
            assert (a / "takes" / name / rel).read_bytes() == (b / "takes" / name / rel).read_bytes(), rel
        [mp4_a] = (a / "takes" / name).rglob("aria*.mp4")
        [mp4_b] = (b / "takes" / name).rglob("aria*.mp4")
        assert has_audio(mp4_a) and not has_audio(mp4_b)
        assert decode_all_frames(mp4_a).shape == decode_all_frames(mp4_b).shape


def test_the_detector_hears_the_actions_of_a_take(with_and_without) -> None:
    root = with_and_without[0]
    hits = misses = false_alarms = 0
    for take_dir in sorted((root / "takes").iterdir()):
        events = np.asarray(json.loads((take_dir / "synthetic_take.json").read_text())["action_times_s"])
        [mp4] = take_dir.rglob("aria*.mp4")
        track = read_audio(mp4, 16_000)
        frames, per_frame = 16, 8000  # 16 half-second frame intervals of the 8 s take
        audio = torch.from_numpy(track.samples[: frames * per_frame]).unsqueeze(0)
        fired = AudioEventTrigger(frames, per_frame, 160, 12.0)(audio)[0].numpy().astype(bool)
        truth = np.zeros(frames, bool)
        inside = events[(events >= 0) & (events < frames * 0.5)]
        truth[(inside / 0.5).astype(int)] = True
        hits += int((fired & truth).sum())
        misses += int((~fired & truth).sum())
        false_alarms += int((fired & ~truth).sum())
    assert hits > 0
    assert hits / (hits + misses) >= 0.9  # the contact sounds stand well above the background
    assert false_alarms / (hits + false_alarms) <= 0.1


def test_synthesized_audio_is_bounded_and_seeded() -> None:
    events = np.array([0.5, 1.7, 9.9, -1.0, 30.0])  # the last two lie outside the take
    a = synthesize_take_audio(events, 10.0, np.random.default_rng(3))
    b = synthesize_take_audio(events, 10.0, np.random.default_rng(3))
    assert a.shape == (160_000,) and a.dtype == np.float32 and np.array_equal(a, b)
    assert np.abs(a).max() <= 1.0 and np.abs(a[8000:8800]).max() > 0.2 and np.std(a[40000:48000]) < 0.03
