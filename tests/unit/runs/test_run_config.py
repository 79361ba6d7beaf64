"""A run folder's config.json is never silently replaced by another recipe."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsight.config import load_config
from skillsight.exceptions import ConfigError
from skillsight.runs.run_config import changed_keys, load_run_config, save_config


def _cfg(*sets: str):
    return load_config("gaze_only_tiny", list(sets))


def test_same_config_may_be_written_again(tmp_path: Path) -> None:
    save_config(_cfg(), tmp_path / "config.json")
    save_config(_cfg(), tmp_path / "config.json")
    assert load_run_config(tmp_path).model.name == _cfg().model.name


def test_a_new_run_of_another_config_into_the_folder_is_refused(tmp_path: Path) -> None:
    save_config(_cfg("optim.lr=0.001"), tmp_path / "config.json")
    before = (tmp_path / "config.json").read_text()
    with pytest.raises(ConfigError, match=r"already holds a run of another config \(optim.lr: 0.001 stored"):
        save_config(_cfg("optim.lr=0.01"), tmp_path / "config.json")
    assert (tmp_path / "config.json").read_text() == before


def test_resume_may_train_longer_but_not_change_the_recipe(tmp_path: Path) -> None:
    save_config(_cfg("trainer.max_epochs=2"), tmp_path / "config.json")
    longer = _cfg("trainer.max_epochs=5", "trainer.progress_bar=false")
    save_config(longer, tmp_path / "config.json", resume=True)
    assert load_run_config(tmp_path).trainer.max_epochs == 5
    with pytest.raises(ConfigError, match=r"change the recipe .*optim.lr: .* stored, 0\.5 given"):
        save_config(_cfg("trainer.max_epochs=5", "optim.lr=0.5"), tmp_path / "config.json", resume=True)
    assert load_run_config(tmp_path).optim.lr != 0.5


def test_a_damaged_stored_config_is_named(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"config\.json: not valid JSON"):
        save_config(_cfg(), tmp_path / "config.json")


def test_changed_keys_lists_leaves_on_both_sides() -> None:
    stored = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    given = {"a": {"b": 2, "c": [1, 2]}, "e": 3}
    assert changed_keys(stored, given) == {"a.b": (1, 2), "d": (1, None), "e": (None, 3)}
    assert json.dumps(changed_keys(stored, stored)) == "{}"
