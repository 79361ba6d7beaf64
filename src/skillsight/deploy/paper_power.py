"""The power figures SkillSight's Table 1 reports per method (mW), to print beside our estimates.

The paper does not state its N, B or T, so the two numbers compare assumptions as much as models; our
report prints every assumption it was computed under.
"""

from __future__ import annotations

__all__ = ["PAPER_POWER_MW", "paper_power_for"]

#: registered-model name prefix -> (method as the paper names it, mW). Longest prefix wins.
PAPER_POWER_MW: dict[str, tuple[str, float]] = {
    "skillsight_teacher": ("SkillSight-T", 943.0),
    "skillsight_student": ("SkillSight-S", 9.5),
    "gaze_only_baseline": ("Gaze-only", 9.5),
    "timesformer_video": ("TimeSformer", 697.5),
    "skillformer": ("SkillFormer", 697.5),
    "gaze_crop_video": ("EgoExoLearn", 141.4),
    "beholder_gaze_pool": ("Beholder", 132.4),
    "x3d_xs": ("X3D-XS", 88.0),
    "egodistill": ("EgoDistill", 16.5),
    "egotrigger": ("EgoTrigger", 9.9),
}


def paper_power_for(model_name: str) -> tuple[str, float] | None:
    """(method, mW) of the paper row a registered model stands for, or None (e.g. test_* models)."""
    matches = [k for k in PAPER_POWER_MW if model_name.startswith(k)]
    return PAPER_POWER_MW[max(matches, key=len)] if matches else None
