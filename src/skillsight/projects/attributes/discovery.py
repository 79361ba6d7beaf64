"""Stage I: discover named skill attributes from expert commentary and label time windows with them.

Pipeline (CrossTrainer section 3.1, offline): candidate phrases per comment (rule-based chunking, or
a local LM when one is given: :mod:`skillsight.projects.attributes.llm`) -> phrase embeddings
(:mod:`skillsight.projects.attributes.embedding`) -> seeded spherical k-means weighted by phrase frequency ->
each cluster is an attribute named by its most central phrase. Each comment is then tied to the
attributes of its phrases and to a time window of ``window_s`` seconds centred on its ``video_time``.

Outputs: an :class:`AttributeVocabulary` (JSON) and :class:`WindowLabel` records (JSON, per take).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.projects.attributes.commentary import TakeCommentary
from skillsight.projects.attributes.embedding import Embedder, cosine_matrix, make_embedder
from skillsight.projects.attributes.phrases import extract_phrases
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "CLUSTER_METHODS",
    "AttributeVocabulary",
    "WindowLabel",
    "agglomerative",
    "discover_attributes",
    "label_windows",
    "load_window_labels",
    "save_window_labels",
    "spherical_kmeans",
]

PhraseExtractor = Callable[[str], list[str]]
#: "agglomerative" (average-linkage on cosine distance; default: no seed needed, keeps small but distinct
#: attributes apart) or "kmeans" (seeded, frequency-weighted spherical k-means).
CLUSTER_METHODS: tuple[str, ...] = ("agglomerative", "kmeans")


def agglomerative(x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Average-linkage clustering of unit rows on cosine distance, cut at ``k`` clusters.

    Returns:
        (assignments (N,) int64 in 0..k-1, numbered by first appearance; centroids (k, D) unit norm).
    """
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import pdist

    N = len(x)
    if not 1 <= k <= N:
        raise ConfigError(f"k must be in 1..{N} (number of phrases), got {k}")
    if N == 1:
        raw: np.ndarray = np.ones(1, dtype=np.int64)
    else:
        dist = np.clip(pdist(x, metric="cosine"), 0.0, 2.0)
        raw = fcluster(linkage(dist, method="average"), t=k, criterion="maxclust")
    _, first = np.unique(raw, return_index=True)
    order = {int(raw[i]): j for j, i in enumerate(sorted(first))}
    assign = np.array([order[int(r)] for r in raw], dtype=np.int64)
    cents = np.stack([x[assign == j].sum(axis=0) for j in range(len(order))])
    return assign, cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)


def spherical_kmeans(
    x: np.ndarray,
    k: int,
    seed: int = 0,
    weights: np.ndarray | None = None,
    n_init: int = 8,
    iters: int = 100,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted k-means on unit vectors (cosine), k-means++ seeding, best of ``n_init`` by inertia.

    Args:
        x: (N, D) unit-norm rows.
        k: clusters (1 <= k <= N).
        seed: seed of every random choice (the result is a pure function of the inputs and seed).
        weights: (N,) non-negative point weights (phrase counts); None -> ones.

    Returns:
        (assignments (N,) int64, centroids (k, D) unit norm).
    """
    N = len(x)
    if not 1 <= k <= N:
        raise ConfigError(f"k must be in 1..{N} (number of phrases), got {k}")
    w = np.ones(N) if weights is None else np.asarray(weights, dtype=float)
    rng = np.random.default_rng(seed)
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    for _ in range(n_init):
        centres = [int(rng.choice(N, p=w / w.sum()))]
        for _ in range(1, k):
            d = np.clip(1.0 - (x @ x[centres].T).max(axis=1), 0.0, None) * w  # (N,)
            centres.append(
                int(rng.choice(N, p=d / d.sum()))
                if d.sum() > 0
                else int(np.argmin(np.isin(np.arange(N), centres)))
            )
        c = x[centres].copy()  # (k, D)
        assign = np.full(N, -1)
        for _ in range(iters):
            new = np.argmax(x @ c.T, axis=1)
            if np.array_equal(new, assign):
                break
            assign = new
            for j in range(k):
                members = assign == j
                if members.any():
                    s = (x[members] * w[members, None]).sum(axis=0)
                    c[j] = s / max(np.linalg.norm(s), 1e-12)
        inertia = float((w * (1.0 - (x * c[assign]).sum(axis=1))).sum())
        if best is None or inertia < best[0] - 1e-12:
            best = (inertia, assign.copy(), c.copy())
    assert best is not None
    return best[1].astype(np.int64), best[2]


@dataclass
class AttributeVocabulary:
    """Discovered attributes.

    Attributes:
        names: attribute names (the most central phrase of each cluster), index = attribute id.
        members: per attribute, its phrases with their comment counts, most frequent first.
        embedder: embedder kind used ("hashed" / "minilm").
        min_similarity: a phrase joins an attribute only if its cosine to the centroid is at least this.
        seed: clustering seed.
    """

    names: list[str]
    members: list[list[tuple[str, int]]]
    embedder: str = "hashed"
    min_similarity: float = 0.35
    seed: int = 0
    _embedder: Embedder | None = field(default=None, repr=False, compare=False)
    _centroids: np.ndarray | None = field(default=None, repr=False, compare=False)

    def _ensure(self) -> tuple[Embedder, np.ndarray]:
        """The fitted embedder and (K, E) unit centroids, built on first use."""
        if self._embedder is None or self._centroids is None:
            phrases = [p for m in self.members for p, _ in m]
            counts = np.array([c for m in self.members for _, c in m], dtype=float)
            owner = np.array([i for i, m in enumerate(self.members) for _ in m])
            self._embedder = make_embedder(self.embedder).fit(phrases)
            x = self._embedder.encode(phrases)
            cents = np.stack(
                [(x[owner == i] * counts[owner == i, None]).sum(0) for i in range(len(self.names))]
            )
            self._centroids = cents / np.maximum(np.linalg.norm(cents, axis=1, keepdims=True), 1e-12)
        return self._embedder, self._centroids

    def assign(self, phrases: Sequence[str]) -> list[int | None]:
        """Attribute id of each phrase (None when no centroid is within ``min_similarity``)."""
        if not phrases:
            return []
        embedder, centroids = self._ensure()
        sim = cosine_matrix(embedder.encode(list(phrases)), centroids)  # (P, K)
        best = sim.argmax(axis=1)
        return [int(b) if sim[i, b] >= self.min_similarity else None for i, b in enumerate(best)]

    def similarity(self) -> np.ndarray:
        """(K, K) cosine similarity between attribute names' embeddings (for open-vocabulary IoU)."""
        embedder, _ = self._ensure()
        e = embedder.encode(self.names)
        return cosine_matrix(e, e)

    def to_json(self) -> dict:
        return {
            "names": self.names,
            "members": [[[p, c] for p, c in m] for m in self.members],
            "embedder": self.embedder,
            "min_similarity": self.min_similarity,
            "seed": self.seed,
        }

    @classmethod
    def from_json(cls, obj: dict, source: str | Path = "attribute vocabulary") -> AttributeVocabulary:
        for key in ("names", "members"):
            if key not in obj:
                raise DataFormatError(source, key, None, "missing field")
        if len(obj["names"]) != len(obj["members"]) or not obj["names"]:
            raise DataFormatError(
                source, "members", len(obj["members"]), f"expected {len(obj['names'])} lists"
            )
        return cls(
            list(obj["names"]),
            [[(str(p), int(c)) for p, c in m] for m in obj["members"]],
            str(obj.get("embedder", "hashed")),
            float(obj.get("min_similarity", 0.35)),
            int(obj.get("seed", 0)),
        )

    def save(self, path: str | Path) -> None:
        atomic_write_text(path, json.dumps(self.to_json(), indent=1))

    @classmethod
    def load(cls, path: str | Path) -> AttributeVocabulary:
        return cls.from_json(json.loads(Path(path).read_text(encoding="utf-8")), path)


def _entry_texts(commentary: Sequence[TakeCommentary], kinds: Sequence[str]) -> list[str]:
    return [e.text for tc in commentary for e in tc.entries if e.kind in kinds]


def discover_attributes(
    commentary: Sequence[TakeCommentary],
    num_attributes: int = 8,
    seed: int = 0,
    embedder: str = "hashed",
    kinds: Sequence[str] = ("tip",),
    min_count: int = 2,
    min_similarity: float = 0.35,
    method: str = "agglomerative",
    extractor: PhraseExtractor = extract_phrases,
) -> AttributeVocabulary:
    """Cluster candidate phrases of the commentary into ``num_attributes`` named attributes.

    Args:
        commentary: training commentary (never the evaluation takes').
        num_attributes: clusters K (reduced to the number of distinct phrases if fewer).
        seed: clustering seed (k-means).
        embedder: "hashed" (default, offline, deterministic) or "minilm" (extra).
        kinds: which comments to mine ("tip" = what to improve, as CrossTrainer; add "good" to also mine
            praise).
        min_count: phrases seen in fewer comments are dropped (unless that leaves fewer than K).
        min_similarity: stored in the vocabulary; threshold for assigning new phrases.
        method: one of :data:`CLUSTER_METHODS`.
        extractor: text -> phrases (rule-based by default; a local LM's via ``llm.lm_phrase_extractor``).

    Raises:
        ConfigError: no phrase could be extracted.
    """
    if method not in CLUSTER_METHODS:
        raise ConfigError(f"unknown clustering method {method!r}; valid: {list(CLUSTER_METHODS)}")
    counts: Counter[str] = Counter()
    for text in _entry_texts(commentary, kinds):
        counts.update(set(extractor(text)))
    if not counts:
        raise ConfigError(
            f"no candidate phrases in {len(commentary)} takes' commentary (kinds {list(kinds)})"
        )
    frequent = sorted((p for p, c in counts.items() if c >= min_count), key=lambda p: (-counts[p], p))
    if len(frequent) < num_attributes:
        frequent = sorted(counts, key=lambda p: (-counts[p], p))
    k = min(num_attributes, len(frequent))
    emb = make_embedder(embedder).fit(frequent)
    x = emb.encode(frequent)  # (P, D)
    w = np.array([counts[p] for p in frequent], dtype=float)
    assign, cents = spherical_kmeans(x, k, seed, w) if method == "kmeans" else agglomerative(x, k)
    sim = (x * cents[assign]).sum(axis=1)  # (P,) cosine to own centroid
    clusters = []
    for j in range(k):
        idx = np.flatnonzero(assign == j)
        if idx.size == 0:
            continue
        name_i = max(idx, key=lambda i: (round(float(sim[i]), 9), counts[frequent[i]], -i))
        members = sorted(((frequent[i], counts[frequent[i]]) for i in idx), key=lambda pc: (-pc[1], pc[0]))
        clusters.append((frequent[name_i], members))
    clusters.sort(key=lambda c: (-sum(n for _, n in c[1]), c[0]))  # most talked-about attribute first
    return AttributeVocabulary(
        [c[0] for c in clusters], [c[1] for c in clusters], embedder, min_similarity, seed
    )


@dataclass(frozen=True)
class WindowLabel:
    """Attributes one comment ties to one time window of one take (seconds from take start)."""

    take_uid: str
    scenario: str
    task_name: str
    kind: str
    start_s: float
    end_s: float
    attributes: tuple[int, ...]
    text: str


def label_windows(
    vocab: AttributeVocabulary,
    commentary: Sequence[TakeCommentary],
    window_s: float = 4.0,
    kinds: Sequence[str] = ("tip",),
    extractor: PhraseExtractor = extract_phrases,
) -> list[WindowLabel]:
    """One WindowLabel per comment of the given kinds (attributes may be empty if no phrase matched)."""
    if window_s <= 0:
        raise ConfigError(f"window_s must be > 0, got {window_s}")
    out = []
    for tc in commentary:
        for e in tc.entries:
            if e.kind not in kinds:
                continue
            ids = sorted({a for a in vocab.assign(extractor(e.text)) if a is not None})
            start = max(0.0, e.video_time_s - window_s / 2)
            out.append(
                WindowLabel(
                    tc.take_uid,
                    tc.scenario,
                    tc.task_name,
                    e.kind,
                    round(start, 3),
                    round(e.video_time_s + window_s / 2, 3),
                    tuple(ids),
                    e.text,
                )
            )
    return out


def save_window_labels(path: str | Path, labels: Sequence[WindowLabel], vocab: AttributeVocabulary) -> None:
    """JSON: ``{"attributes": names, "takes": {take_uid: [{start_s, end_s, attributes: [names], ...}]}}``."""
    takes: dict[str, list[dict]] = {}
    for lab in labels:
        d = asdict(lab)
        d["attributes"] = [vocab.names[a] for a in lab.attributes]
        takes.setdefault(lab.take_uid, []).append({k: v for k, v in d.items() if k != "take_uid"})
    atomic_write_text(path, json.dumps({"attributes": vocab.names, "takes": takes}, indent=1))


def load_window_labels(path: str | Path) -> tuple[list[str], list[WindowLabel]]:
    """Inverse of :func:`save_window_labels`: (attribute names, labels)."""
    obj = json.loads(Path(path).read_text(encoding="utf-8"))
    names = obj["attributes"]
    index = {n: i for i, n in enumerate(names)}
    out = []
    for uid, rows in obj["takes"].items():
        for j, r in enumerate(rows):
            bad = [a for a in r["attributes"] if a not in index]
            if bad:
                raise DataFormatError(path, f"takes.{uid}[{j}].attributes", bad[0], "not in the vocabulary")
            out.append(
                WindowLabel(
                    uid,
                    r["scenario"],
                    r["task_name"],
                    r["kind"],
                    float(r["start_s"]),
                    float(r["end_s"]),
                    tuple(index[a] for a in r["attributes"]),
                    r["text"],
                )
            )
    return names, out
