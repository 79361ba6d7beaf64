"""Pretrained folders are copied into the run (small) or found again by hash (big) after a move."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from skillsight.exceptions import ConfigError
from skillsight.runs.pretrained_refs import (
    PRETRAINED_FILE,
    SEARCH_PATH_ENV,
    folder_sha256,
    pretrained_arguments,
    record_pretrained,
    resolve_model_args,
)


def _weights(folder: Path, payload: bytes = b"w" * 1000) -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 64}')
    (folder / "model.safetensors").write_bytes(payload)
    return folder


def test_weight_arguments_are_found_in_nested_args() -> None:
    args = {"video_pretrained_dir": "/w/v", "backbone": {"pretrained_dir": "/w/b"}, "crop_weights_dir": None}
    assert pretrained_arguments(args) == {"video_pretrained_dir": "/w/v", "backbone.pretrained_dir": "/w/b"}


def test_folder_hash_covers_names_and_bytes(tmp_path: Path) -> None:
    a = _weights(tmp_path / "a")
    b = _weights(tmp_path / "b")
    assert folder_sha256(a) == folder_sha256(b)
    (b / "model.safetensors").write_bytes(b"x" * 1000)
    assert folder_sha256(a)[0] != folder_sha256(b)[0]


def test_a_small_folder_is_copied_and_the_moved_run_loads_without_it(tmp_path: Path) -> None:
    weights = _weights(tmp_path / "weights" / "tiny_timesformer")
    run = tmp_path / "runs" / "r1"
    build, stored = record_pretrained({"pretrained_dir": str(weights), "num_classes": 4}, run)
    assert stored == {"pretrained_dir": "pretrained/pretrained_dir", "num_classes": 4}
    assert Path(build["pretrained_dir"]) == (run / "pretrained" / "pretrained_dir").resolve()
    record = json.loads((run / PRETRAINED_FILE).read_text())["pretrained_dir"]
    assert record["path"] == str(weights.resolve()) and record["copy"] == "pretrained/pretrained_dir"
    shutil.rmtree(weights)
    moved = tmp_path / "elsewhere" / "r1"
    shutil.move(str(run), moved)
    resolved = resolve_model_args(stored, moved)
    assert resolved["pretrained_dir"] == str(moved / "pretrained" / "pretrained_dir")
    assert folder_sha256(resolved["pretrained_dir"])[0] == record["sha256"]


def test_a_big_folder_is_found_again_by_hash(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = _weights(tmp_path / "weights" / "timesformer_base")
    run = tmp_path / "runs" / "r1"
    _, stored = record_pretrained({"video_pretrained_dir": str(weights)}, run, copy_limit_mb=0)
    assert stored["video_pretrained_dir"] == str(weights.resolve()) and not (run / "pretrained").exists()
    # run and weights moved together: found at the same place relative to the run
    shutil.move(str(tmp_path / "runs"), tmp_path / "new" / "runs")
    shutil.move(str(tmp_path / "weights"), tmp_path / "new" / "weights")
    moved_run = tmp_path / "new" / "runs" / "r1"
    found = resolve_model_args(stored, moved_run)["video_pretrained_dir"]
    assert Path(found).resolve() == (tmp_path / "new" / "weights" / "timesformer_base").resolve()
    # weights moved elsewhere: not found until the search path names their folder
    shutil.move(str(tmp_path / "new" / "weights"), tmp_path / "store")
    with pytest.raises(
        ConfigError, match=r"gone \(sha256 [0-9a-f]{16}\.\.\., 0 MiB\).*SKILLSIGHT_WEIGHTS_PATH"
    ):
        resolve_model_args(stored, moved_run)
    monkeypatch.setenv(SEARCH_PATH_ENV, str(tmp_path / "store"))
    assert (
        Path(resolve_model_args(stored, moved_run)["video_pretrained_dir"])
        == tmp_path / "store" / "timesformer_base"
    )
    # another folder of the same name with other content is not taken for it
    (tmp_path / "store" / "timesformer_base" / "model.safetensors").write_bytes(b"other")
    with pytest.raises(ConfigError, match="gone"):
        resolve_model_args(stored, moved_run)


def test_a_resumed_run_uses_its_copy_when_the_original_is_gone(tmp_path: Path) -> None:
    weights = _weights(tmp_path / "w")
    run = tmp_path / "run"
    record_pretrained({"pretrained_dir": str(weights)}, run)
    shutil.rmtree(weights)
    build, stored = record_pretrained({"pretrained_dir": str(weights)}, run)  # the same config, resumed
    assert Path(build["pretrained_dir"]).is_dir() and stored["pretrained_dir"] == "pretrained/pretrained_dir"
    with pytest.raises(ConfigError, match="is not a local folder"):
        record_pretrained({"pretrained_dir": str(tmp_path / "never")}, tmp_path / "other_run")
