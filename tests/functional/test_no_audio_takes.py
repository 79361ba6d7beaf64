"""``skillsight data synth --no-audio``: takes without a microphone track, on which EgoTrigger refuses in one
line (naming the take and "no audio stream") while a video model trains. All through the console entry
point (its error translator included)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from skillsight.cli.main import main
from skillsight.data.readers.audio import has_audio

# 1 epoch on one scenario's 32 px takes: a run, not a learning test
TRAIN_SETS = [
    "data.scenarios=[Basketball]",
    "data.frame_px=32",
    "data.crop_px=16",
    "data.num_val_clips=2",
    "trainer.max_epochs=1",
    "trainer.progress_bar=false",
]


def _cli(argv: list[str]) -> int:
    """The exit status of the console entry point (it returns on success, exits on an error)."""
    try:
        main(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def _synth(out: Path, *flags: str) -> None:
    argv = ["data", "synth", str(out), "-n", "3", "--size", "32", "--duration", "4", "-j", "1", *flags]
    assert _cli(argv) == 0


def _ego_videos(root: Path) -> list[Path]:
    videos = sorted(root.glob("takes/*/frame_aligned_videos/downscaled/448/aria*.mp4"))
    assert len(videos) == 72, len(videos)  # 6 scenarios x 4 levels x 3 takes
    return videos


@pytest.fixture(scope="module")
def silent_takes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("silent_takes")
    _synth(root, "--no-audio")
    return root


def test_synth_writes_takes_with_or_without_audio(
    silent_takes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert not any(has_audio(v) for v in _ego_videos(silent_takes))
    _synth(tmp_path / "loud", "--audio")
    assert "with an audio track" in capsys.readouterr().out
    assert all(has_audio(v) for v in _ego_videos(tmp_path / "loud"))


def _train(baseline: str, data: Path, out: Path) -> int:
    sets = [arg for s in TRAIN_SETS for arg in ("--set", s)]
    argv = ["train", "baseline", "--baseline", baseline, "--config", "tiny", "--data", str(data)]
    return _cli([*argv, "--out", str(out), *sets])


def test_egotrigger_refuses_takes_without_audio_in_one_line(
    silent_takes: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert _train("egotrigger", silent_takes, tmp_path / "egotrigger") == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert lines[0].startswith("error: take iiith_basketball_") and "has no audio stream" in lines[0]
    assert re.search(r"nor does any other training take \((\d+) of \1\)", lines[0]), lines[0]
    assert not (tmp_path / "egotrigger").exists(), "refused before the run folder is written"


def test_a_video_model_trains_on_takes_without_audio(silent_takes: Path, tmp_path: Path) -> None:
    assert _train("x3d_xs", silent_takes, tmp_path / "x3d") == 0
    metrics = json.loads((tmp_path / "x3d" / "metrics.json").read_text())
    assert metrics["model_name"] == "x3d_xs_tiny" and metrics["num_takes"] > 0
