"""Paired ranking claims: per-pair outcomes, the pooled difference and McNemar on the same pairs."""

from __future__ import annotations

import numpy as np
import pytest

from skillsight.exceptions import DataFormatError
from skillsight.projects.ranking.claims import RunScores, pair_outcomes, ranking_claim


def test_pair_outcomes_counts_ties_as_wrong_and_names_missing_videos() -> None:
    scores = {"a": 2.0, "b": 1.0, "c": 1.0}
    np.testing.assert_array_equal(
        pair_outcomes(scores, [["a", "b"], ["b", "a"], ["b", "c"]]), [1.0, 0.0, 0.0]
    )
    with pytest.raises(DataFormatError, match="zz"):
        pair_outcomes(scores, [["a", "zz"]])
    with pytest.raises(DataFormatError, match="at least one pair"):
        pair_outcomes(scores, [])


def _run(label: str, n_pairs: int, right_a: int, right_b: int) -> RunScores:
    """A run of ``n_pairs`` pairs (v2i better than v2i+1); A orders the first ``right_a``, B ``right_b``."""
    pairs = [[f"v{2 * i}", f"v{2 * i + 1}"] for i in range(n_pairs)]

    def scores(right: int) -> dict[str, float]:
        out = {}
        for i, (better, worse) in enumerate(pairs):
            out[better], out[worse] = (1.0, 0.0) if i < right else (0.0, 1.0)
        return out

    return RunScores(label, scores(right_a), scores(right_b), pairs)


def test_a_clear_gain_holds_and_its_difference_is_the_mean_of_the_runs() -> None:
    runs = [_run("seed0_fold1", 40, 36, 20), _run("seed0_fold2", 30, 27, 15)]
    claim = ranking_claim(runs, "full", "no_attention")
    assert claim.difference.difference == pytest.approx(np.mean([16 / 40, 12 / 30]))
    assert claim.difference.holds and claim.difference.n_runs == 2 and claim.difference.n_units == 70
    # every pair B gets right A gets right too: the discordant pairs are all A's
    assert (claim.mcnemar.only_a_right, claim.mcnemar.only_b_right) == (28, 0)
    assert claim.mcnemar.p_value < 1e-6
    line = claim.summary()
    assert line.startswith("full-no_attention diff=+0.400") and "holds" in line and "mcnemar=28:0" in line
    assert claim.to_dict()["verdict"] == "holds" and claim.to_dict()["mcnemar_only_a_right"] == 28


def test_identical_rankers_show_nothing() -> None:
    claim = ranking_claim([_run("s0f1", 20, 12, 12), _run("s1f1", 20, 9, 9)], "x", "y")
    assert claim.difference.difference == 0.0 and claim.difference.verdict == "not shown"
    assert claim.mcnemar.p_value == 1.0


def test_no_runs_is_refused() -> None:
    with pytest.raises(ValueError, match="no seed x fold runs"):
        ranking_claim([], "a", "b")
