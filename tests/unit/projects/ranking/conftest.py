"""Fixtures shared by the ranking tests: one tiny synthetic pairwise set per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillsight.projects.ranking.synthetic import SyntheticPairsSet, write_synthetic_pairs


@pytest.fixture(scope="session")
def tiny_pairs(tmp_path_factory: pytest.TempPathFactory) -> SyntheticPairsSet:
    """8 videos of 12 frames at 32 px (the test_attention_rnn input size), EPIC-Skills layout."""
    root: Path = tmp_path_factory.mktemp("synthetic_pairs")
    return write_synthetic_pairs(root, n_videos=8, n_frames=12, size=32, min_skill_gap=0.1, seed=3)
