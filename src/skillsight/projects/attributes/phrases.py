"""Rule-based candidate skill-attribute phrases from expert commentary (no tagger, no model).

Stage I of CrossTrainer asks an LLM which skill attributes a comment says the performer should work on.
Offline, a chunker does the same job for the usual shapes of coaching sentences:

1. *cue chunks*: the words right after a cue that introduces the thing to improve ("your X",
   "work on X", "improve X", "poor X", "more X", "better X", "focus on X", "attention to X"), up to
   ``max_words`` content words, stopping at a function word or generic verb ("balance" in
   "Work on your balance during the shot");
2. when a sentence has no cue, *content runs*: maximal runs of content words (RAKE-style), so
   "it's generally preferable to steam the dumpling" still yields "generally preferable", "steam",
   "dumpling".

Words are lower-cased; hyphenated words ("hand-eye", "follow-through") stay one token; numbers and
one-letter tokens are dropped.
"""

from __future__ import annotations

import re

__all__ = ["CUES", "STOPWORDS", "extract_phrases", "split_sentences", "tokenize"]

_TOKEN = re.compile(r"[a-z]+(?:['\-][a-z]+)*")
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")

#: Function words and generic coaching verbs that end a phrase.
STOPWORDS: frozenset[str] = frozenset(
    """
a an the this that these those it its it's he she they them their his her him you your yours we our us i
me my is are was were be been being am do does did done have has had having will would can could should
may might must and or but nor so yet if then than as at by for from in into of off on onto out over to
up with within without about above after again throughout against along around before behind below
between beyond down during through under until while when where which who whom whose what why how here
there now just very too also only even still more most less least much many some any each every all both
few other such own same no not never always often again get gets got getting make makes made let lets
keep keeps kept try tries tried stop stops hold holds stay stays set sets bring brings finish finishes
look looks looked looking seem seems need needs needed needing show shows go goes going went come comes
take takes give gives put puts want wants see sees use uses break breaks suffer suffers work works
improve improves improving pay good nice great excellent well better poor bad okay ok like really quite
bit lot one way time times next instead
""".split()  # noqa: SIM905 (a word block reads better than a 230-item literal)
)

#: (cue word sequence) -> chunk starts after it. Longest cues first.
CUES: tuple[tuple[str, ...], ...] = (
    ("attention", "to", "your"),
    ("work", "on", "your"),
    ("focus", "on", "your"),
    ("attention", "to"),
    ("work", "on"),
    ("focus", "on"),
    ("improve", "your"),
    ("improve",),
    ("your",),
    ("poor",),
    ("more",),
    ("better",),
    ("lacks",),
    ("lack", "of"),
)


def tokenize(text: str) -> list[str]:
    """Lower-case word tokens (letters, inner hyphens/apostrophes)."""
    return _TOKEN.findall(text.lower())


def split_sentences(text: str) -> list[str]:
    """Split on sentence and clause punctuation (. ! ? ; :)."""
    return [s for s in (p.strip() for p in _SENTENCE.split(text)) if s]


def _content(tok: str) -> bool:
    return tok not in STOPWORDS and len(tok) > 1


def _cue_chunks(tokens: list[str], max_words: int) -> list[str]:
    chunks: list[str] = []
    i = 0
    while i < len(tokens):
        cue = next((c for c in CUES if tuple(tokens[i : i + len(c)]) == c), None)
        if cue is None:
            i += 1
            continue
        j = i + len(cue)
        words: list[str] = []
        while j < len(tokens) and len(words) < max_words and _content(tokens[j]):
            words.append(tokens[j])
            j += 1
        if words:
            chunks.append(" ".join(words))
        i = max(j, i + 1)
    return chunks


def _content_runs(tokens: list[str], max_words: int) -> list[str]:
    runs: list[str] = []
    run: list[str] = []
    for tok in [*tokens, ""]:
        if tok and _content(tok):
            run.append(tok)
            continue
        while run:
            runs.append(" ".join(run[:max_words]))
            run = run[max_words:]
    return runs


def extract_phrases(text: str, max_words: int = 3) -> list[str]:
    """Candidate attribute phrases of one comment, in order, without duplicates.

    Args:
        text: the comment (one or more sentences).
        max_words: longest phrase, in words.

    Returns:
        Phrases such as ``["balance"]`` for "Work on your balance during the shot; keep the weight
        centred over both feet." (the clause without a cue is used only when no clause has one).
    """
    clauses = [tokenize(s) for s in split_sentences(text)]
    cued = [p for toks in clauses for p in _cue_chunks(toks, max_words)]
    phrases = cued if cued else [p for toks in clauses for p in _content_runs(toks, max_words)]
    return list(dict.fromkeys(phrases))
