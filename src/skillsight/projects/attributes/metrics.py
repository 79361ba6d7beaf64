"""Metrics of attribute prediction and feedback text (implemented here: no nltk / rouge packages).

* :func:`attribute_iou` -- CrossTrainer reports "attribute IoU@0.7" for open-vocabulary attribute sets.
  We could not find the paper's exact formula; we use the reading that fits an open vocabulary:
  a predicted attribute *matches* a ground-truth one when their similarity is >= 0.7 (text-embedding
  cosine; with a closed vocabulary and no similarity matrix, only identical attributes match), matches
  are one-to-one (greedy, most similar pair first), and per sample ``IoU = m / (|P| + |G| - m)``
  (``m`` matches). The score is the mean over samples (x100 in reports).
* :func:`multilabel_f1` -- micro and macro F1 over (N, K) boolean matrices.
* :func:`corpus_bleu` -- BLEU-4 (Papineni et al. 2002): clipped n-gram precisions pooled over the
  corpus, geometric mean, brevity penalty with the closest reference length; no smoothing.
* :func:`rouge_l` -- ROUGE-L (Lin 2004): LCS-based F-measure against the best reference.
* :func:`proficiency_accuracy` -- top-1 accuracy.
Text is lower-cased and split into ``[a-z0-9]+`` words (hyphens and apostrophes split words).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence

import numpy as np

from skillsight.exceptions import ConfigError

__all__ = [
    "attribute_iou",
    "corpus_bleu",
    "lcs_length",
    "multilabel_f1",
    "ngram_counts",
    "proficiency_accuracy",
    "rouge_l",
    "sample_iou",
    "words",
]

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-case ``[a-z0-9]+`` tokens."""
    return _WORD.findall(text.lower())


def sample_iou(
    pred: Sequence[int], gt: Sequence[int], similarity: np.ndarray | None = None, threshold: float = 0.7
) -> float:
    """IoU of two attribute-id sets with one-to-one matching at ``similarity >= threshold``.

    Both empty -> 1.0; exactly one empty -> 0.0.
    """
    p, g = sorted(set(pred)), sorted(set(gt))
    if not p and not g:
        return 1.0
    if not p or not g:
        return 0.0
    if similarity is None:
        m = len(set(p) & set(g))
    else:
        sim = similarity[np.ix_(p, g)]  # (|P|, |G|)
        pairs = sorted(
            ((float(sim[i, j]), i, j) for i in range(len(p)) for j in range(len(g))),
            key=lambda t: (-t[0], t[1], t[2]),
        )
        used_p, used_g, m = set(), set(), 0
        for s, i, j in pairs:
            if s < threshold:
                break
            if i not in used_p and j not in used_g:
                used_p.add(i)
                used_g.add(j)
                m += 1
    return m / (len(p) + len(g) - m)


def attribute_iou(
    preds: Sequence[Sequence[int]],
    gts: Sequence[Sequence[int]],
    similarity: np.ndarray | None = None,
    threshold: float = 0.7,
) -> float:
    """Mean :func:`sample_iou` over samples (in [0, 1])."""
    if len(preds) != len(gts) or not gts:
        raise ConfigError(f"attribute_iou needs equal, non-empty lists, got {len(preds)} and {len(gts)}")
    return float(np.mean([sample_iou(p, g, similarity, threshold) for p, g in zip(preds, gts)]))


def multilabel_f1(pred: np.ndarray, gt: np.ndarray) -> dict[str, float]:
    """Micro and macro F1 of (N, K) boolean predictions (macro over attributes present in gt or pred)."""
    pred, gt = np.asarray(pred, bool), np.asarray(gt, bool)
    if pred.shape != gt.shape or pred.ndim != 2:
        raise ConfigError(f"multilabel_f1 needs equal (N, K) arrays, got {pred.shape} and {gt.shape}")
    tp = (pred & gt).sum(axis=0).astype(float)  # (K,)
    fp = (pred & ~gt).sum(axis=0).astype(float)
    fn = (~pred & gt).sum(axis=0).astype(float)
    denom = 2 * tp + fp + fn
    micro = 2 * tp.sum() / denom.sum() if denom.sum() > 0 else 1.0
    used = denom > 0
    macro = float(np.mean(2 * tp[used] / denom[used])) if used.any() else 1.0
    return {"micro_f1": float(micro), "macro_f1": macro}


def ngram_counts(tokens: Sequence[str], n: int) -> Counter:
    """Counts of the contiguous n-token tuples of ``tokens`` (empty when fewer than n tokens)."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def corpus_bleu(hypotheses: Sequence[str], references: Sequence[Sequence[str]], max_n: int = 4) -> float:
    """Corpus BLEU-``max_n`` in [0, 1] (0 when any n-gram order has no match).

    Args:
        hypotheses: one generated text per sample.
        references: per sample, one or more reference texts.
    """
    if len(hypotheses) != len(references) or not hypotheses:
        raise ConfigError(
            f"corpus_bleu needs equal, non-empty lists, got {len(hypotheses)} and {len(references)}"
        )
    matched = np.zeros(max_n)
    total = np.zeros(max_n)
    hyp_len = ref_len = 0
    for hyp, refs in zip(hypotheses, references):
        h = words(hyp)
        rs = [words(r) for r in refs]
        if not rs:
            raise ConfigError("corpus_bleu: a sample has no reference")
        hyp_len += len(h)
        ref_len += min((abs(len(r) - len(h)), len(r)) for r in rs)[1]
        for n in range(1, max_n + 1):
            hc = ngram_counts(h, n)
            max_ref: Counter = Counter()
            for r in rs:
                max_ref |= ngram_counts(r, n)
            matched[n - 1] += sum(min(c, max_ref[g]) for g, c in hc.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    if hyp_len == 0 or (matched == 0).any():
        return 0.0
    log_p = float(np.mean(np.log(matched / total)))
    bp = 1.0 if hyp_len > ref_len else math.exp(1.0 - ref_len / hyp_len)
    return bp * math.exp(log_p)


def lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common subsequence (O(len(a) * len(b)) dynamic programme, one row kept)."""
    if not a or not b:
        return 0
    prev = np.zeros(len(b) + 1, dtype=np.int64)
    bb = np.asarray(b, dtype=object)
    for x in a:
        eq = bb == x  # (len(b),)
        cur = np.zeros_like(prev)
        for j in range(1, len(b) + 1):
            cur[j] = prev[j - 1] + 1 if eq[j - 1] else max(prev[j], cur[j - 1])
        prev = cur
    return int(prev[-1])


def rouge_l(hypothesis: str, references: Sequence[str] | str, beta: float = 1.0) -> float:
    """ROUGE-L F-measure in [0, 1] against the best-scoring reference.

    ``P = LCS / len(hyp)``, ``R = LCS / len(ref)``, ``F = (1 + b^2) P R / (R + b^2 P)`` (b = 1: F1, as
    the common rouge-score package reports).
    """
    refs = [references] if isinstance(references, str) else list(references)
    h = words(hypothesis)
    best = 0.0
    for ref in refs:
        r = words(ref)
        lcs = lcs_length(h, r)
        if lcs == 0:
            continue
        p, rec = lcs / len(h), lcs / len(r)
        best = max(best, (1 + beta**2) * p * rec / (rec + beta**2 * p))
    return best


def proficiency_accuracy(pred: Sequence[int], true: Sequence[int]) -> float:
    """Top-1 accuracy of class ids."""
    p, t = np.asarray(pred), np.asarray(true)
    if p.shape != t.shape or p.size == 0:
        raise ConfigError(f"proficiency_accuracy needs equal, non-empty arrays, got {p.shape} and {t.shape}")
    return float((p == t).mean())
