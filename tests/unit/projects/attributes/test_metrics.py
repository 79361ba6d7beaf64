"""Metrics against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.metrics import (
    attribute_iou,
    corpus_bleu,
    lcs_length,
    multilabel_f1,
    proficiency_accuracy,
    rouge_l,
    sample_iou,
)


def test_bleu4_hand_computed() -> None:
    # precisions 5/6, 3/5, 2/4, 1/3; equal lengths -> no brevity penalty
    got = corpus_bleu(["the cat sat on the mat"], [["the cat sat on a mat"]])
    assert got == pytest.approx((5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25)
    assert got == pytest.approx(0.5372849659)


def test_bleu4_brevity_penalty_and_clipping() -> None:
    # every n-gram of the short hypothesis matches; BP = exp(1 - 6/4)
    assert corpus_bleu(["the cat sat on"], [["the cat sat on the mat"]]) == pytest.approx(math.exp(-0.5))
    # "the the the the" vs "the cat": unigram clipped to 1/4, no bigram match -> 0
    assert corpus_bleu(["the the the the"], [["the cat"]]) == 0.0


def test_bleu4_corpus_pools_counts_and_picks_closest_reference() -> None:
    hyps = ["a b c d", "a b c d e"]
    refs = [["a b c d"], ["x y", "a b c d e f"]]  # closest reference lengths 4 and 6 (|6-5| < |2-5|)
    # pooled: 1-grams 9/9, 2-grams 7/7, 3-grams 5/5, 4-grams 3/3; c = 9, r = 10
    assert corpus_bleu(hyps, refs) == pytest.approx(math.exp(1 - 10 / 9))


def test_rouge_l_hand_computed() -> None:
    assert lcs_length(["a", "b", "c", "d"], ["a", "c", "e"]) == 2
    assert rouge_l("a b c d", "a c e") == pytest.approx(4 / 7)  # P = 1/2, R = 2/3
    assert rouge_l("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(5 / 6)
    assert rouge_l("a b c d", ["x", "a c e", "a b"]) == pytest.approx(max(4 / 7, 2 / 3))  # best reference
    assert rouge_l("nothing shared", "at all") == 0.0
    # beta weights recall: F = (1 + b^2) P R / (R + b^2 P) with P = 1/2, R = 2/3, b = 2
    assert rouge_l("a b c d", "a c e", beta=2.0) == pytest.approx(5 * 0.5 * (2 / 3) / (2 / 3 + 4 * 0.5))


def test_iou_exact_and_similarity_matching() -> None:
    assert sample_iou([0, 1], [1, 2]) == pytest.approx(1 / 3)
    assert sample_iou([], []) == 1.0 and sample_iou([0], []) == 0.0
    sim = np.eye(3)
    sim[0, 2] = sim[2, 0] = 0.75
    assert sample_iou([0, 1], [1, 2], sim) == pytest.approx(1.0)  # 0 ~ 2 at >= 0.7
    sim[0, 2] = sim[2, 0] = 0.69
    assert sample_iou([0, 1], [1, 2], sim) == pytest.approx(1 / 3)
    # one-to-one: two predictions similar to one ground truth count once
    sim = np.ones((2, 2))
    assert sample_iou([0, 1], [0], sim) == pytest.approx(1 / 2)
    assert attribute_iou([[0], [0, 1]], [[0], [1]]) == pytest.approx((1 + 0.5) / 2)
    with pytest.raises(ConfigError):
        attribute_iou([[0]], [])


def test_multilabel_f1_hand_computed() -> None:
    gt = np.array([[1, 1], [0, 0]], bool)
    pred = np.array([[1, 0], [1, 1]], bool)
    out = multilabel_f1(pred, gt)
    assert out["micro_f1"] == pytest.approx(2 * 1 / (2 * 1 + 2 + 1))  # tp 1, fp 2, fn 1
    assert out["macro_f1"] == pytest.approx((2 / 3 + 0) / 2)


def test_proficiency_accuracy() -> None:
    assert proficiency_accuracy([0, 1, 2, 3], [0, 1, 1, 3]) == 0.75
