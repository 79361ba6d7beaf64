"""Expert-Novice Soccer: SkillSight's table (student, teacher, motion-only, gaze-only, majority) on CPU.

Both protocols (stratified 5-fold over samples, leave-one-player-out), lambda_dis chosen on inner
validation splits, mean/std over folds and 3 seeds; one ``name=VALUE ref=VALUE ratio=VALUE`` line
per figure, the reference being the paper's number. Run from the repository root:

    python benchmarks/bench_soccer.py                 # full (target: < 30 min on 2 cores)
    python benchmarks/bench_soccer.py --quick         # smoke run (< 3 min), not a result

Same as ``skillsight bench soccer [--quick]``. Outputs under runs/bench_soccer[_quick]/.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "expert-novice-soccer"


def main() -> None:
    from skillsight.cli.bench import app

    args = sys.argv[1:]
    if "--root" not in args:
        args += ["--root", str(ROOT)]
    app(args=["soccer", *args], standalone_mode=True)


if __name__ == "__main__":
    main()
