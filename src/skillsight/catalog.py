"""Every registered model of the toolkit, spine and projects, for listing and building by name.

The spine's models register lazily through :func:`skillsight.models.create_model`; each project's
models register when its ``models`` module is imported. This module (above both) imports them all,
for the CLI's listings and the model-contract tests.
"""

from __future__ import annotations

from skillsight.models import list_models

__all__ = ["all_model_names", "load_all_models"]


def load_all_models() -> None:
    """Import every project's model module (the spine's models load on first use)."""
    # Imported for their side effect: each module registers its model families.
    import skillsight.projects.attributes.mapper
    import skillsight.projects.gaze_estimation.models
    import skillsight.projects.msb.models
    import skillsight.projects.ranking.model_zoo
    import skillsight.projects.soccer.models  # noqa: F401  (the imports share one unused name)


def all_model_names() -> list[str]:
    """Names of every registered model, spine and projects, sorted."""
    load_all_models()
    return list_models()
