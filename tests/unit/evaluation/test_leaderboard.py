"""The Ego-Exo4D leaderboard file from per-take predictions, scored as the official script does."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.evaluation.egoexo4d_format import (
    ProficiencyGroundTruth,
    evaluate_proficiency,
    read_predictions,
    write_predictions,
)
from skillsight.evaluation.leaderboard import leaderboard_predictions, read_take_list
from skillsight.evaluation.predictions_file import (
    TakePredictions,
    read_predictions_csv,
    write_predictions_csv,
)
from skillsight.exceptions import ConfigError, DataFormatError


def _preds(names: list[str], seed: int, labelled: bool = False) -> TakePredictions:
    rng = np.random.default_rng(seed)
    n = len(names)
    return TakePredictions(
        take_uids=[f"uid-{name}" for name in names],
        scenarios=["Dance"] * n,
        labels=rng.integers(0, 4, n) if labelled else -np.ones(n, dtype=np.int64),
        logits=rng.normal(size=(n, 4)).astype(np.float32).astype(np.float64),
        num_clips=np.full(n, 10),
        class_names=["Novice", "Early Expert", "Intermediate Expert", "Late Expert"],
        take_names=list(names),
    )


def _official_scores(entry: dict, labels: dict[str, int]) -> dict[str, float]:
    """What the official script computes, written out independently: softmax per view, means, argmax."""

    def softmax(x: np.ndarray) -> np.ndarray:
        e = np.exp(x - x.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    ego = softmax(np.asarray(entry["ego_model_predictions"]))  # (N, 4)
    exo = softmax(np.asarray(entry["exo_model_predictions"]))  # (N, 4, 4)
    truth = np.asarray([labels[v] for v in entry["videos"]])
    return {
        "ego": float((ego.argmax(-1) == truth).mean()),
        "exo": float((exo.mean(1).argmax(-1) == truth).mean()),
        "combined": float((np.concatenate([ego[:, None], exo], 1).mean(1).argmax(-1) == truth).mean()),
    }


def test_predictions_csv_round_trips_logits_exactly(tmp_path: Path) -> None:
    preds = _preds(["a_1", "b_2", "c_3"], 0)
    back = read_predictions_csv(write_predictions_csv(tmp_path / "p.csv", preds))
    np.testing.assert_array_equal(back.logits, preds.logits)  # shortest round-trip text: bit-exact
    assert back.take_names == preds.take_names and back.labels.tolist() == [-1, -1, -1]
    assert back.class_names == preds.class_names


@pytest.mark.parametrize("num_exo_runs", [0, 1, 4])
def test_the_file_scores_as_the_official_script_does(num_exo_runs: int, tmp_path: Path) -> None:
    names = [f"uniandes_dance_{i:03d}_5" for i in range(40)]
    ego = _preds(names, 0)
    exos = [_preds(names[::-1], 10 + k) for k in range(num_exo_runs)]  # another row order: matched by name
    order = list(np.random.default_rng(1).permutation(names))  # the official list's order
    entry = leaderboard_predictions(order, ego, exos)
    path = write_predictions(tmp_path / "submission.json", entry)
    data = json.loads(path.read_text())
    assert sorted(data) == ["ego_model_predictions", "exo_model_predictions", "videos"]
    assert data["videos"] == order
    assert np.asarray(data["ego_model_predictions"]).shape == (40, 4)
    assert np.asarray(data["exo_model_predictions"]).shape == (40, 4, 4)
    row = {n: i for i, n in enumerate(names)}
    first = order[0]
    assert data["ego_model_predictions"][0] == ego.logits[row[first]].tolist()
    if num_exo_runs == 0:
        assert data["exo_model_predictions"][0] == [ego.logits[row[first]].tolist()] * 4
    labels = {n: int(v) for n, v in zip(names, np.random.default_rng(2).integers(0, 4, 40))}
    ours = evaluate_proficiency(
        read_predictions(path),
        ProficiencyGroundTruth(order, np.asarray([labels[n] for n in order]), ["Dance"] * 40),
    )
    official = _official_scores(data, labels)
    for mode in ("ego", "exo", "combined"):
        assert ours[mode]["overall"] == pytest.approx(official[mode])
    if num_exo_runs == 0:  # a single-model entry: all three scores are that model's top-1
        assert official["ego"] == official["exo"] == official["combined"]


def test_a_listed_take_without_a_prediction_is_named(tmp_path: Path) -> None:
    ego = _preds(["a_1", "b_2"], 0)
    with pytest.raises(
        DataFormatError, match="no prediction for 1 of the 3 listed takes: uniandes_dance_015_5"
    ):
        leaderboard_predictions(
            ["a_1", "uniandes_dance_015_5", "b_2"], ego, sources=["runs/x/predictions_test.csv"]
        )
    with pytest.raises(ConfigError, match="0, 1 or 4 exo runs"):
        leaderboard_predictions(["a_1"], ego, [ego, ego])
    assert leaderboard_predictions(["uid-a_1"], ego).videos == ["uid-a_1"]  # uids are accepted too


def test_take_lists_official_json_text_and_errors(tmp_path: Path) -> None:
    official = tmp_path / "test_takes.json"
    official.write_text(json.dumps(["uniandes_dance_015_5", "iiith_soccer_022_3"]))
    assert read_take_list(official) == ["uniandes_dance_015_5", "iiith_soccer_022_3"]
    text = tmp_path / "takes.txt"
    text.write_text("# test takes\nuniandes_dance_015_5\n\niiith_soccer_022_3\n")
    assert read_take_list(text) == ["uniandes_dance_015_5", "iiith_soccer_022_3"]
    for content, match in (
        ("[1, 2]", "take name"),
        ("[]", "empty"),
        ('["a", "a"]', "more than once"),
        ("[1,", "JSON"),
    ):
        official.write_text(content)
        with pytest.raises(DataFormatError, match=match):
            read_take_list(official)
