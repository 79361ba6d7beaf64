"""Every module of the ranking wing that registers models; importing this module registers them all.

The pipeline and the CLI build models by name, so they import this first (a fresh
``skillsight rank train --model attention_rnn`` must find the name without any other import).
"""

from __future__ import annotations

import skillsight.projects.ranking.baseline_variants
import skillsight.projects.ranking.models
import skillsight.projects.ranking.tsn

__all__ = ["RANKING_MODEL_MODULES"]

#: the modules whose import registers ranking models.
RANKING_MODEL_MODULES: tuple[str, ...] = (
    skillsight.projects.ranking.models.__name__,
    skillsight.projects.ranking.baseline_variants.__name__,
    "skillsight.projects.ranking.tsn",
)
