"""Named SkillSight run presets (``teacher_tiny``, ``student_paper``, ``teacher_paper_8gpu``, ...), one
module per method family (and one for the GPU variants of the paper recipes).

Each family module registers functions returning a fresh RunConfig into :data:`PRESETS`; importing
this package registers them all. Tiny presets are the CPU demo's recipes; paper presets follow the
papers (sources in the comments).
"""

from skillsight.config.presets import (  # noqa: F401  (importing a family module registers its presets)
    egodistill,
    egotrigger,
    gaze_video,
    hardware,
    skillsight,
    video_baselines,
    x3d,
)
from skillsight.config.presets.registry import PRESETS, preset

__all__ = ["PRESETS", "preset"]
