"""Ego-Exo4D proficiency benchmark files: round trip and scores against a hand-computed example."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from skillsight.data.records import SCENARIOS
from skillsight.evaluation.egoexo4d_format import (
    ProficiencyGroundTruth,
    ProficiencyPredictions,
    evaluate_files,
    evaluate_proficiency,
    mode_probabilities,
    read_ground_truth,
    read_predictions,
    single_model_predictions,
    write_ground_truth,
    write_predictions,
)
from skillsight.exceptions import DataFormatError

# Logits are log-probabilities, so each softmax is the probability vector written here and the means
# can be checked by hand.
EGO = [[0.8, 0.1, 0.05, 0.05], [0.1, 0.2, 0.3, 0.4], [0.1, 0.1, 0.1, 0.7]]
EXO = [
    [[0.1, 0.6, 0.2, 0.1], [0.1, 0.6, 0.2, 0.1], [0.4, 0.2, 0.2, 0.2], [0.4, 0.2, 0.2, 0.2]],
    [[0.1, 0.1, 0.7, 0.1]] * 4,
    [[0.5, 0.2, 0.2, 0.1]] * 4,
]
# The third take's uid mentions "music" but its scenario is Dance: assignment uses scenario_names only.
VIDEOS = ["take-a", "take-b", "dance-to-music-c"]
LABELS = [0, 2, 3]
SCENARIO_NAMES = ["Dance", "Music", "Dance"]
# By hand:
#   ego:      argmax [.8 .1 .05 .05]=0 (ok), [.1 .2 .3 .4]=3 (label 2, wrong), [.1 .1 .1 .7]=3 (ok)  -> 2/3
#   exo:      means [.25 .4 .2 .15]=1 (wrong), [.1 .1 .7 .1]=2 (ok), [.5 .2 .2 .1]=0 (wrong)       -> 1/3
#   combined: sums over ego + 4 views [1.8 1.7 .85 .65]=0 (ok), [.5 .6 3.1 .8]=2 (ok),
#             [2.1 .9 .9 1.1]=0 (wrong)                                                           -> 2/3
EXPECTED = {
    "ego": {"overall": 2 / 3, "per_scenario": {"Dance": 1.0, "Music": 0.0}},
    "exo": {"overall": 1 / 3, "per_scenario": {"Dance": 0.0, "Music": 1.0}},
    "combined": {"overall": 2 / 3, "per_scenario": {"Dance": 0.5, "Music": 1.0}},
}


def _example() -> tuple[ProficiencyPredictions, ProficiencyGroundTruth]:
    preds = ProficiencyPredictions(list(VIDEOS), np.log(np.array(EGO)), np.log(np.array(EXO)))
    return preds, ProficiencyGroundTruth(list(VIDEOS), np.array(LABELS), list(SCENARIO_NAMES))


def _assert_scores(scores: dict) -> None:
    assert scores["num_videos"] == 3
    for mode, expected in EXPECTED.items():
        assert scores[mode]["overall"] == pytest.approx(expected["overall"])
        assert scores[mode]["per_scenario"] == pytest.approx(expected["per_scenario"])


def test_scores_match_the_hand_computed_example() -> None:
    preds, gt = _example()
    _assert_scores(evaluate_proficiency(preds, gt))
    np.testing.assert_allclose(mode_probabilities(preds, "exo")[0], [0.25, 0.4, 0.2, 0.15])
    np.testing.assert_allclose(mode_probabilities(preds, "combined")[1], np.array([0.5, 0.6, 3.1, 0.8]) / 5)


def test_file_round_trip_in_the_official_layout(tmp_path: Path) -> None:
    preds, gt = _example()
    write_predictions(tmp_path / "pred.json", preds)
    write_ground_truth(tmp_path / "gt.json", gt)
    raw_pred = json.loads((tmp_path / "pred.json").read_text())
    raw_gt = json.loads((tmp_path / "gt.json").read_text())
    assert set(raw_pred) == {"videos", "ego_model_predictions", "exo_model_predictions"}
    assert np.array(raw_pred["exo_model_predictions"]).shape == (3, 4, 4)
    assert raw_gt == {"videos": VIDEOS, "gt_annotations": LABELS, "scenario_names": SCENARIO_NAMES}
    back = read_predictions(tmp_path / "pred.json")
    assert back.videos == VIDEOS and np.array_equal(back.ego_logits, preds.ego_logits)
    assert np.array_equal(back.exo_logits, preds.exo_logits)
    gt_back = read_ground_truth(tmp_path / "gt.json")
    assert gt_back.scenarios == SCENARIO_NAMES and gt_back.labels.tolist() == LABELS
    _assert_scores(evaluate_files(tmp_path / "gt.json", tmp_path / "pred.json"))


def _official_loop(labels, ego, exo, scenarios, mode):
    """The official script's per-video loop, restated from its behaviour (the reference for this test)."""

    def softmax(x):
        e = np.exp(x - np.max(x))
        return e / e.sum(axis=-1, keepdims=True)

    correct, per = 0, {}
    for y, e, xs, s in zip(labels, ego, exo, scenarios):
        if mode == "ego":
            p = e
        elif mode == "exo":
            p = np.mean([softmax(v) for v in xs], axis=0)
        else:
            p = np.mean([softmax(e)] + [softmax(v) for v in xs], axis=0)
        hit = int(np.argmax(softmax(p)) == y)
        correct += hit
        c, t = per.get(s, (0, 0))
        per[s] = (c + hit, t + 1)
    return correct / len(labels), {s: c / t for s, (c, t) in per.items()}


def test_vectorised_scores_equal_the_per_video_loop_on_random_logits() -> None:
    rng = np.random.default_rng(0)
    n = 60
    ego, exo = rng.normal(0, 2, (n, 4)), rng.normal(0, 2, (n, 4, 4))
    labels, scenarios = rng.integers(0, 4, n), list(rng.choice(SCENARIOS, n))
    scores = evaluate_proficiency(
        ProficiencyPredictions([f"t{i}" for i in range(n)], ego, exo),
        ProficiencyGroundTruth([f"t{i}" for i in range(n)], labels, scenarios),
    )
    for mode in ("ego", "exo", "combined"):
        overall, per = _official_loop(labels, ego, exo, scenarios, mode)
        assert scores[mode]["overall"] == pytest.approx(overall)
        assert scores[mode]["per_scenario"] == pytest.approx(per)


def test_scenarios_are_matched_exactly(tmp_path: Path) -> None:
    for bad in ("Dance Music", "dance", "Music ", "Bouldering"):
        data = {"videos": ["a"], "gt_annotations": [1], "scenario_names": [bad]}
        (tmp_path / "gt.json").write_text(json.dumps(data))
        with pytest.raises(DataFormatError, match="scenario_name"):
            read_ground_truth(tmp_path / "gt.json")


def test_bad_files_raise_precise_errors(tmp_path: Path) -> None:
    preds, gt = _example()
    three_views = ProficiencyPredictions(VIDEOS, preds.ego_logits, preds.exo_logits[:, :3])
    with pytest.raises(DataFormatError, match="exo_model_predictions"):
        write_predictions(tmp_path / "p.json", three_views)
    write_predictions(tmp_path / "p3.json", three_views, num_exo_views=None)  # any V when asked for
    bad_ego = preds.ego_logits.copy()
    bad_ego[1, 2] = np.nan
    with pytest.raises(DataFormatError, match="non-finite"):
        write_predictions(tmp_path / "p.json", ProficiencyPredictions(VIDEOS, bad_ego, preds.exo_logits))
    with pytest.raises(DataFormatError, match="differs from the ground truth"):
        evaluate_proficiency(ProficiencyPredictions(VIDEOS[::-1], preds.ego_logits, preds.exo_logits), gt)
    for labels in ([0, 2, 4], [0, 2, "Expert"], [0, 2, True]):
        (tmp_path / "gt.json").write_text(
            json.dumps({"videos": VIDEOS, "gt_annotations": labels, "scenario_names": SCENARIO_NAMES})
        )
        with pytest.raises(DataFormatError, match="gt_annotations"):
            read_ground_truth(tmp_path / "gt.json")
    (tmp_path / "gt.json").write_text(json.dumps({"videos": VIDEOS, "gt_annotations": LABELS}))
    with pytest.raises(DataFormatError, match="scenario_names"):
        read_ground_truth(tmp_path / "gt.json")


def test_single_model_predictions_score_the_same_in_every_mode() -> None:
    _, gt = _example()
    logits = np.log(np.array(EGO))
    preds = single_model_predictions(VIDEOS, logits)
    assert preds.exo_logits.shape == (3, 4, 4)
    scores = evaluate_proficiency(preds, gt)
    assert scores["ego"] == scores["exo"] == scores["combined"]
    assert scores["ego"]["overall"] == pytest.approx(2 / 3)
