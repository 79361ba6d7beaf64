"""Stage II: turn predicted attributes into feedback text.

Offline default: *retrieve and rank* expert tips from the training commentary. A tip is a candidate
for an attribute when discovery tied the tip to it. Candidates are ranked by

    2 * same scenario + 1 * same task + 0.5 / (number of attributes of the tip) + 0.1 * log(1 + count)

(scenario-aware: a coach's own-sport tip first; in zero-shot there is none and tips of other sports
are used), ties broken by text. One tip per predicted attribute, most confident attribute first.
Sentences are never repeated: a tip is skipped when any of its sentences equals or nearly equals
(word Jaccard >= 0.8) a sentence already given. The result is never empty: when no predicted
attribute has a usable tip, the most frequent tips of the scenario (else of all scenarios) are given.

With a local LM (``generate``), the attributes, their confidences and windows, and the retrieved tips go
into :func:`skillsight.projects.attributes.llm.feedback_prompt`; its parsed answer replaces the retrieved text
(de-duplicated the same way). An empty LM answer falls back to retrieval, and ``source`` says so.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from skillsight.exceptions import ConfigError
from skillsight.projects.attributes.discovery import WindowLabel
from skillsight.projects.attributes.llm import GenerateFn, feedback_prompt, parse_feedback
from skillsight.projects.attributes.metrics import words
from skillsight.projects.attributes.phrases import split_sentences

__all__ = ["AttributePrediction", "Feedback", "FeedbackItem", "Tip", "TipBank", "generate_feedback"]


@dataclass(frozen=True)
class Tip:
    """One expert tip: its text, attribute ids, where it was said and how often (merged duplicates)."""

    text: str
    attributes: tuple[int, ...]
    scenario: str
    task_name: str
    count: int


class TipBank:
    """Expert tips of the training commentary with their attributes (same texts merged per scenario/task)."""

    def __init__(self, labels: Sequence[WindowLabel]) -> None:
        counts: Counter = Counter()
        for lab in labels:
            if lab.kind == "tip" and lab.text.strip():
                counts[(lab.text.strip(), lab.attributes, lab.scenario, lab.task_name)] += 1
        self.tips = [
            Tip(t, a, s, k, c) for (t, a, s, k), c in sorted(counts.items(), key=lambda kv: kv[0][0])
        ]

    def __len__(self) -> int:
        return len(self.tips)


@dataclass(frozen=True)
class AttributePrediction:
    """A predicted attribute: id, confidence in [0, 1] and the windows (start_s, end_s) it refers to."""

    attribute: int
    confidence: float
    windows: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class FeedbackItem:
    """One feedback sentence, the attribute it addresses (None: generic), confidence in [0, 1] and the
    (start_s, end_s) windows it is about."""

    attribute: str | None
    confidence: float | None
    windows: tuple[tuple[float, float], ...]
    text: str


@dataclass
class Feedback:
    """Feedback for one take: its items in order and how they were produced ("retrieval" or an LLM)."""

    items: list[FeedbackItem] = field(default_factory=list)
    source: str = "retrieval"

    @property
    def text(self) -> str:
        """All tips joined (what BLEU / ROUGE compare with the expert commentary)."""
        return " ".join(i.text for i in self.items)

    def format(self) -> str:
        """One line per tip: ``[start-end s] attribute (confidence): tip``."""
        lines = []
        for it in self.items:
            win = ", ".join(f"{s:.1f}-{e:.1f} s" for s, e in it.windows) or "whole take"
            head = f"{it.attribute} ({it.confidence:.2f})" if it.attribute is not None else "general"
            lines.append(f"- [{win}] {head}: {it.text}")
        return "\n".join(lines)


def _near(a: str, b: str) -> bool:
    wa, wb = set(words(a)), set(words(b))
    return wa == wb or (bool(wa | wb) and len(wa & wb) / len(wa | wb) >= 0.8)


class _Used:
    def __init__(self) -> None:
        self.sentences: list[str] = []

    def fresh(self, text: str) -> bool:
        return all(not _near(s, u) for s in split_sentences(text) for u in self.sentences)

    def add(self, text: str) -> None:
        self.sentences += split_sentences(text)


def _score(tip: Tip, attribute: int, scenario: str, task_name: str) -> tuple:
    s = 2.0 * (tip.scenario == scenario) + 1.0 * (bool(task_name) and tip.task_name == task_name)
    s += 0.5 / max(len(tip.attributes), 1) + 0.1 * math.log1p(tip.count)
    return (-round(s, 9), tip.text)


def generate_feedback(
    bank: TipBank,
    predictions: Sequence[AttributePrediction],
    names: Sequence[str],
    scenario: str,
    task_name: str = "",
    max_tips: int = 3,
    generate: GenerateFn | None = None,
) -> Feedback:
    """Feedback for one take.

    Args:
        bank: tips of the training commentary.
        predictions: predicted attributes (any order; sorted by confidence here).
        names: attribute names (vocabulary order).
        scenario, task_name: the take's scenario and task (for ranking).
        max_tips: most tips given.
        generate: optional local LM ``prompt -> text``.

    Raises:
        ConfigError: the tip bank is empty (nothing to retrieve from) or ``max_tips`` < 1.
    """
    if len(bank) == 0:
        raise ConfigError("the tip bank is empty: no training commentary with tips")
    if max_tips < 1:
        raise ConfigError(f"max_tips must be >= 1, got {max_tips}")
    used = _Used()
    items: list[FeedbackItem] = []
    for pred in sorted(predictions, key=lambda p: (-p.confidence, p.attribute)):
        if len(items) >= max_tips:
            break
        cands = sorted(
            (t for t in bank.tips if pred.attribute in t.attributes),
            key=lambda t: _score(t, pred.attribute, scenario, task_name),
        )
        tip = next((t for t in cands if used.fresh(t.text)), None)
        if tip is not None:
            used.add(tip.text)
            items.append(FeedbackItem(names[pred.attribute], float(pred.confidence), pred.windows, tip.text))
    if not items:
        pool = [t for t in bank.tips if t.scenario == scenario] or bank.tips
        for tip in sorted(pool, key=lambda t: (-t.count, t.text)):
            if len(items) >= max_tips:
                break
            if used.fresh(tip.text):
                used.add(tip.text)
                items.append(FeedbackItem(None, None, (), tip.text))
    fb = Feedback(items, "retrieval")
    if generate is not None and predictions:
        attrs = [
            (names[p.attribute], float(p.confidence), p.windows[0] if p.windows else (0.0, 0.0))
            for p in sorted(predictions, key=lambda p: -p.confidence)[:max_tips]
        ]
        lm_used = _Used()
        lm_tips = []
        for t in parse_feedback(
            generate(feedback_prompt(scenario, attrs, [i.text for i in items], max_tips)), max_tips
        ):
            if lm_used.fresh(t):
                lm_used.add(t)
                lm_tips.append(t)
        if lm_tips:
            meta = items + [FeedbackItem(None, None, (), "")] * len(lm_tips)
            fb = Feedback(
                [FeedbackItem(m.attribute, m.confidence, m.windows, t) for m, t in zip(meta, lm_tips)], "lm"
            )
        else:
            fb.source = "retrieval (lm answer empty)"
    return fb
