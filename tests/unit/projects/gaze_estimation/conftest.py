"""Keep these tests independent of (and fast despite) the other registered model families."""

import pytest

import skillsight.projects.gaze_estimation.models  # noqa: F401  (registers the PriviGaze models)
from skillsight.models import _factory


@pytest.fixture(autouse=True)
def _only_privigaze_models(monkeypatch):
    """create_model/load_model normally import every built-in model module first (heavy video
    backbones); these tests need only the PriviGaze models, registered by the import above."""
    monkeypatch.setattr(_factory, "_loaded", True)
