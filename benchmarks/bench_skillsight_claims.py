"""SkillSight's tables on a powered synthetic dataset: every paper claim with a paired 95 % interval.

A thin wrapper over ``skillsight bench skillsight`` (the work is in :mod:`skillsight.claims`): 1224
synthetic takes (600 train / 216 validation / 408 test), 3 training seeds, every row of the paper's
Table 1 (methods), Table 3 (teacher ablations) and Table 4 (student ablations), and the claims
teacher > TimeSformer, teacher > gaze-only, student > gaze-only, student > student without
distillation and full teacher > each branch alone, each as the paired accuracy difference on the same
test takes with a bootstrap interval, per seed and pooled. Prints the tables and
``name=value ref=value ratio=value`` lines; writes ``<out>/<condition>/results.json`` with per-take
predictions. Run both conditions (the second on a generator seed nothing was tuned on):

    python benchmarks/bench_skillsight_claims.py                        # default difficulty, seed 0
    python benchmarks/bench_skillsight_claims.py --difficulty hard      # generator seed 1
    python benchmarks/bench_skillsight_claims.py --quick                # a few minutes, not a result
"""

from __future__ import annotations

import sys

from skillsight.cli.main import main

if __name__ == "__main__":
    main(["bench", "skillsight", *sys.argv[1:]])
