"""A small synthetic Ego-Exo4D-layout dataset shared by the functional tests (generated once)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def small_skill_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 takes per scenario and level (24 train / 24 val / 24 test), 10 s each, 32 px video."""
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("skill_data")
    generate_synthetic_dataset(root, seed=0, takes_per_level=3, duration_s=10, frame_px=32)
    return root
