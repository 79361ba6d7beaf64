"""Named difficulty levels: what each sets, overrides, and what a hard dataset writes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from skillsight.cli.main import main
from skillsight.data.synthetic.difficulty import DIFFICULTY_LEVELS, resolve_difficulty, weaken_cues
from skillsight.data.synthetic.takes import generate_synthetic_dataset
from skillsight.exceptions import ConfigError


def test_levels_and_numbers_resolve_to_the_three_knobs() -> None:
    assert resolve_difficulty("hard") == DIFFICULTY_LEVELS["hard"]
    hard = DIFFICULTY_LEVELS["hard"]
    default = DIFFICULTY_LEVELS["default"]
    assert hard.label_noise > default.label_noise and hard.cue_strength < default.cue_strength
    assert hard.attribute_noise > default.attribute_noise
    assert resolve_difficulty(0.5) == resolve_difficulty("0.5") == type(hard)(0.5, 0.0, 1.0)
    assert resolve_difficulty(" Hard ", label_noise=0.0).label_noise == 0.0  # explicit values win
    with pytest.raises(ConfigError, match="brutal"):
        resolve_difficulty("brutal")


def test_weaker_cues_pull_behaviour_towards_the_middle_and_strength_one_is_exact() -> None:
    attrs = {"focus": 0.0, "balance": 1.0, "technique": 0.3}
    assert weaken_cues(attrs, 1.0) == attrs
    weak = weaken_cues(attrs, 0.6)
    assert weak == pytest.approx({"focus": 0.2, "balance": 0.8, "technique": 0.38})


def test_hard_dataset_records_its_knobs_noisy_labels_and_latent_attributes(tmp_path) -> None:
    root = generate_synthetic_dataset(tmp_path / "hard", difficulty="hard", takes_per_level=6, duration_s=5.0,
                                      frame_px=16, workers=1, scenarios=("Cooking", "Soccer"))  # fmt: skip
    config = json.loads((root / "synthetic_dataset.json").read_text())["config"]
    hard = DIFFICULTY_LEVELS["hard"]
    assert (config["difficulty"], config["label_noise"], config["cue_strength"]) == (
        hard.attribute_noise,
        hard.label_noise,
        hard.cue_strength,
    )
    sidecars = [json.loads(p.read_text()) for p in root.glob("takes/*/synthetic_take.json")]
    flipped = np.mean([s["true_label"] != s["annotated_label"] for s in sidecars])
    assert 0.02 < flipped < 0.4, f"{flipped:.2f} of 48 labels flipped at label noise {hard.label_noise}"
    assert all(s["cue_strength"] == hard.cue_strength for s in sidecars)


def test_cli_accepts_a_level_name_and_rejects_an_unknown_one(tmp_path, capsys) -> None:
    main(["data", "synth", str(tmp_path / "d"), "-n", "3", "--difficulty", "hard", "--size", "16",
          "--duration", "5", "-j", "1"])  # fmt: skip
    assert (
        json.loads((tmp_path / "d" / "synthetic_dataset.json").read_text())["config"]["cue_strength"] == 0.6
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["data", "synth", str(tmp_path / "e"), "--difficulty", "brutal"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "brutal" in err and "hard" in err and "Traceback" not in err
