"""Fixtures of the attribute tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillsight.projects.attributes.synthetic import take_commentary
from tests.unit.projects.attributes._data import RELEASED_SAMPLE, fake_sidecar


@pytest.fixture(scope="session")
def synthetic_commentary():
    """120 takes of synthetic commentary (20 per scenario)."""
    return [take_commentary(fake_sidecar(i), seed=0) for i in range(120)]


@pytest.fixture
def released_file(tmp_path: Path) -> Path:
    path = tmp_path / "annotations" / "proficiency_demonstration_train.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"annotations": RELEASED_SAMPLE}))
    return path
