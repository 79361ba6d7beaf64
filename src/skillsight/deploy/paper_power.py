"""The power figures SkillSight's Table 1 reports per method (mW), to print beside our estimates.

The paper does not state its N, B or T, so the two numbers compare assumptions as much as models; our
report prints every assumption it was computed under. A model the paper gives no power for (the naive
end-to-end teacher of its ablation, the test models, other projects' models) is said to have none.
"""

from __future__ import annotations

__all__ = ["NO_PAPER_POWER", "PAPER_POWER_MW", "paper_power_for", "paper_power_line"]

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

#: registered-model name prefix -> why the paper has no power figure for it (rows it reports otherwise).
NO_PAPER_POWER: dict[str, str] = {
    "naive_teacher": "SkillSight reports the naive end-to-end teacher in its teacher ablation, accuracy only",
}


def paper_power_for(model_name: str) -> tuple[str, float] | None:
    """(method, mW) of the paper row a registered model stands for, or None (e.g. test_* models)."""
    matches = [k for k in PAPER_POWER_MW if model_name.startswith(k)]
    return PAPER_POWER_MW[max(matches, key=len)] if matches else None


def paper_power_line(model_name: str, ours_mw: float) -> str:
    """The line ``skillsight power`` prints under its report: the paper's figure beside ours, or why none.

    Args:
        model_name: the registered model name.
        ours_mw: our estimate's total power (mW).
    """
    paper = paper_power_for(model_name)
    if paper is not None:
        method, mw = paper
        return (
            f"paper figure: {method} {mw} mW (SkillSight Table 1; its N, B and T are not published) "
            f"vs ours {ours_mw:.1f} mW"
        )
    reasons = [k for k in NO_PAPER_POWER if model_name.startswith(k)]
    if reasons:
        why = NO_PAPER_POWER[max(reasons, key=len)]
    else:
        why = f"SkillSight Table 1 has no row for {model_name}"
    return f"paper figure: none ({why}); ours {ours_mw:.1f} mW"
