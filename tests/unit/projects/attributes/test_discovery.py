"""Phrase chunking, embeddings, clustering determinism, discovery on synthetic commentary, label files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from skillsight.exceptions import ConfigError, MissingDependencyError
from skillsight.projects.attributes.discovery import (
    AttributeVocabulary,
    agglomerative,
    discover_attributes,
    label_windows,
    load_window_labels,
    save_window_labels,
    spherical_kmeans,
)
from skillsight.projects.attributes.embedding import HashedNgramEmbedder, make_embedder
from skillsight.projects.attributes.phrases import extract_phrases
from skillsight.projects.attributes.synthetic import ATTRIBUTE_PHRASES


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
        ("Work on your balance during the shot; keep the weight centred over both feet.", ["balance"]),
        (
            "This cut shows poor hand placement; bring the hands back to the ready position.",
            ["hand placement"],
        ),
        ("Pay attention to your head stability on this move: stop bobbing the head.", ["head stability"]),
        ("Keep your elbow in when shooting.", ["elbow"]),
        (
            "When making dumplings it's generally preferable to steam the dumpling.",
            ["making dumplings", "generally preferable", "steam", "dumpling"],
        ),
        ("", []),
    ],
)
def test_extract_phrases(text: str, phrases: list[str]) -> None:
    assert extract_phrases(text) == phrases


def test_hashed_embedder_is_deterministic_and_groups_variants() -> None:
    phrases = ["head stability", "stable head", "balance", "body balance"]
    a = HashedNgramEmbedder().fit(phrases).encode(phrases)
    b = HashedNgramEmbedder().fit(list(phrases)).encode(phrases)
    assert np.array_equal(a, b)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0)
    sim = a @ a.T
    assert sim[0, 1] > sim[0, 2] and sim[2, 3] > sim[1, 3]


def test_minilm_without_the_extra_says_what_to_install() -> None:
    try:
        import sentence_transformers  # noqa: F401

        pytest.skip("sentence-transformers is installed here")
    except ImportError:
        pass
    with pytest.raises(MissingDependencyError, match=r"skillsight\[attributes\]"):
        make_embedder("minilm")


def _points(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(4, 16))
    x = np.concatenate([c + 0.3 * rng.normal(size=(10, 16)) for c in centres])
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_kmeans_deterministic_under_seed() -> None:
    x = _points()
    a1, c1 = spherical_kmeans(x, 4, seed=5)
    a2, c2 = spherical_kmeans(x, 4, seed=5)
    assert np.array_equal(a1, a2) and np.array_equal(c1, c2)
    # the four blobs are recovered (up to label permutation)
    assert all(len(set(a1[i * 10 : (i + 1) * 10])) == 1 for i in range(4)) and len(set(a1)) == 4
    with pytest.raises(ConfigError):
        spherical_kmeans(x, 0)


def test_agglomerative_recovers_blobs_with_stable_numbering() -> None:
    x = _points(1)
    assign, cents = agglomerative(x, 4)
    assert assign[:10].tolist() == [0] * 10 and len(set(assign)) == 4
    assert np.allclose(np.linalg.norm(cents, axis=1), 1.0)


@pytest.mark.parametrize("method", ["agglomerative", "kmeans"])
def test_discovery_deterministic(synthetic_commentary, method: str) -> None:
    v1 = discover_attributes(synthetic_commentary, 8, seed=3, method=method)
    v2 = discover_attributes(synthetic_commentary, 8, seed=3, method=method)
    assert v1.to_json() == v2.to_json()


def test_discovery_recovers_the_latent_attributes(synthetic_commentary) -> None:
    vocab = discover_attributes(synthetic_commentary, 8, seed=0)
    assert len(vocab.names) == 8
    # each discovered attribute's phrases are surface forms of exactly one latent attribute
    owners = []
    for members in vocab.members:
        latent = {a for p, _ in members for a, forms in ATTRIBUTE_PHRASES.items() if p in forms}
        assert len(latent) == 1, members
        owners.append(latent.pop())
    assert sorted(owners) == sorted(ATTRIBUTE_PHRASES)
    # the name is one of the cluster's phrases
    assert all(name in [p for p, _ in m] for name, m in zip(vocab.names, vocab.members))


def test_vocabulary_and_window_labels_round_trip(tmp_path: Path, synthetic_commentary) -> None:
    vocab = discover_attributes(synthetic_commentary, 8, seed=0)
    vocab.save(tmp_path / "attributes.json")
    again = AttributeVocabulary.load(tmp_path / "attributes.json")
    assert again.to_json() == vocab.to_json()
    labels = label_windows(again, synthetic_commentary[:10], window_s=4.0)
    assert len(labels) == sum(len(tc.tips) for tc in synthetic_commentary[:10])
    assert all(lab.attributes for lab in labels)  # every synthetic tip is tied to an attribute
    lab = labels[0]
    entry = synthetic_commentary[0].tips[0]
    assert lab.start_s == pytest.approx(max(0.0, entry.video_time_s - 2.0)) and lab.end_s == pytest.approx(
        entry.video_time_s + 2.0
    )
    save_window_labels(tmp_path / "labels.json", labels, vocab)
    names, back = load_window_labels(tmp_path / "labels.json")
    assert names == vocab.names and back == labels


def test_assign_new_phrases(synthetic_commentary) -> None:
    vocab = discover_attributes(synthetic_commentary, 8, seed=0)
    ids = vocab.assign(["body balance", "head steadiness", "quantum chromodynamics"])
    assert vocab.names[ids[0]] in {p for p, _ in vocab.members[ids[0]]}
    assert "balance" in vocab.names[ids[0]] and "head" in vocab.names[ids[1]]
    assert ids[2] is None


def test_no_phrases_is_an_error() -> None:
    from skillsight.projects.attributes.commentary import TakeCommentary

    with pytest.raises(ConfigError, match="no candidate phrases"):
        discover_attributes([TakeCommentary("u", "t", "Cooking", "x", [])])
