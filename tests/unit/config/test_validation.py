"""Values are checked against their declared type, allowed set and range, for any config dataclass; cross-
field rules run once every override is in; a run folder's config.json names its method."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from skillsight.config import (
    RunConfig,
    apply_overrides,
    bounded,
    config_from_dict,
    get_method,
    load_config,
    method_of,
    register_method,
    validate,
)
from skillsight.exceptions import ConfigError
from skillsight.runs.run_config import load_run_config, save_config


@dataclass
class _Section:
    kind: Literal["a", "b"] = "a"
    size: tuple[int, int] = (2, 3)
    limit: int | None = None
    rate: float = field(default=0.5, metadata=bounded(gt=0, le=1))
    names: list[str] = field(default_factory=list)

    def check(self) -> None:
        if self.kind == "b" and self.limit is None:
            raise ConfigError("limit is needed with kind 'b'")


@dataclass
class _Root:
    name: str = "x"
    part: _Section = field(default_factory=_Section)


PRESETS = register_method("test_validation_root", _Root)
PRESETS.register("root_b")(lambda: _Root(part=_Section(kind="b", limit=3)))


def test_any_dataclass_root_takes_overrides_typed_by_its_annotations() -> None:
    cfg = apply_overrides(_Root(), ["part.size=[4, 5]", "part.limit=7", "part.rate=1e-1", "part.names=[p]"])
    assert cfg.part.size == (4, 5) and cfg.part.limit == 7 and cfg.part.rate == pytest.approx(0.1)
    assert cfg.part.names == ["p"] and apply_overrides(cfg, ["part.limit=null"]).part.limit is None


@pytest.mark.parametrize(
    "override, message",
    [
        ("part.kind=c", "part.kind: 'c' is not allowed; valid: 'a', 'b'"),
        ("part.size=[1]", "part.size: expected 2 values"),
        ("part.size=[1, x]", "part.size[1]: expected an integer, got 'x'"),
        ("part.rate=0", "part.rate: must be > 0, got 0.0"),
        ("part.rate=2", "part.rate: must be <= 1, got 2.0"),
        ("part.names=p", "part.names: expected a list"),
        ("part.nope=1", "unknown key 'part.nope'; valid: kind, limit, names, rate, size"),
        ("part=3", "part must be a mapping"),
    ],
)
def test_bad_values_name_the_key_the_value_and_what_is_allowed(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_config("root_b", [override], method="test_validation_root")


def test_cross_field_rules_run_once_all_overrides_are_in() -> None:
    cfg = load_config(
        "root_b",
        ["part.kind=a", "part.limit=null", "part.kind=b", "part.limit=2"],
        method="test_validation_root",
    )
    assert (cfg.part.kind, cfg.part.limit) == ("b", 2), "an invalid intermediate state is fine"
    with pytest.raises(ConfigError, match=r"part\.limit is needed with kind 'b'"):
        load_config("root_b", ["part.limit=null"], method="test_validation_root")
    with pytest.raises(ConfigError, match="'adam' is not allowed; valid: 'sgd', 'adamw'"):
        validate(config_from_dict({"optim": {"optimizer": "adam"}}, schema=RunConfig))


def test_presets_are_per_method_and_unknown_names_list_the_methods_presets() -> None:
    assert method_of(_Root()).name == "test_validation_root"
    assert "teacher_tiny" in get_method("skillsight").presets
    with pytest.raises(
        ConfigError, match="unknown test_validation_root preset 'teacher_tiny'; valid: root_b"
    ):
        load_config("teacher_tiny", method="test_validation_root")
    with pytest.raises(ConfigError, match="unknown config method 'nope'"):
        load_config("x", method="nope")


def test_run_folders_record_their_method_and_refuse_another_ones(tmp_path: Path) -> None:
    save_config(load_config("root_b", method="test_validation_root"), tmp_path / "config.json")
    assert json.loads((tmp_path / "config.json").read_text())["config_schema"] == "test_validation_root"
    assert load_run_config(tmp_path, method="test_validation_root") == load_config(
        "root_b", method="test_validation_root"
    )
    with pytest.raises(ConfigError, match="is a 'test_validation_root' run folder, not a 'skillsight' one"):
        load_run_config(tmp_path)
    with pytest.raises(ConfigError, match="is a 'test_validation_root' config, not a 'skillsight' one"):
        load_config(str(tmp_path / "config.json"))


def test_yaml_errors_name_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("trainer:\n  max_epochs: [1,\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML \(line \d+, column \d+\)"):
        load_config(str(path))


def test_trainer_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="'bf16' is not allowed; valid: '32', 'bf16-mixed', '16-mixed'"):
        load_config("student_tiny", ["trainer.precision=bf16"])
    with pytest.raises(ConfigError, match="precision='bf16-mixed' needs a GPU"):
        load_config("student_tiny", ["trainer.precision=bf16-mixed"])
    assert load_config("student_tiny", ["trainer.precision=32"]).trainer.precision == "32"
    with pytest.raises(ConfigError, match=r"trainer\.accumulate_grad_batches: must be >= 1, got 0"):
        load_config("student_tiny", ["trainer.accumulate_grad_batches=0"])
    with pytest.raises(ConfigError, match="'wandb' is not allowed; valid: 'csv', 'tensorboard'"):
        load_config("student_tiny", ["trainer.logger=wandb"])
