"""The powered synthetic benchmark of SkillSight's tables (``skillsight bench skillsight``).

One idea per module:

* :mod:`~skillsight.claims.plan`: what is trained (rows, recipes, seeds) on which dataset;
* :mod:`~skillsight.claims.dataset`: the synthetic dataset of a condition, generated once and reused;
* :mod:`~skillsight.claims.rows`: training a row on one seed and reading back its per-take predictions;
* :mod:`~skillsight.claims.tables`: rows aggregated over seeds and every claim as a paired difference;
* :mod:`~skillsight.claims.probes`: linear probes (ridge R², logistic accuracy) for the mechanism part;
* :mod:`~skillsight.claims.mechanism`: why a claim does or does not hold, measured;
* :mod:`~skillsight.claims.report`: printed tables, ``name=value ref=value ratio=value`` lines, JSON;
* :mod:`~skillsight.claims.bench`: the whole benchmark of one condition.
"""

__all__: list[str] = []
