"""The SkillSight models for MSB's 2D-gaze-only input: the student and the teacher's gaze branch.

MSB gives 2D gaze only, so the 2D-gaze student (``msb_student_2d*``) is the SkillSight student with 2
input channels: the 12 channels MSB lacks are absent, not zero-filled. Its act token predicts the stroke
(forehand / backhand), MSB's sub-task. The teacher (``msb_teacher_2d*``) is the SkillSight teacher with
the branch MSB's layout can feed, the gaze-dynamics encoder on the same 2 channels (one scenario).
"""

from __future__ import annotations

from typing import Any

from skillsight.models import register_model
from skillsight.models.skillsight_student import STUDENT_PRESETS, SkillSightStudent
from skillsight.models.skillsight_teacher import SkillSightTeacher

__all__ = ["MSB_STUDENT_PRESETS", "MSB_TEACHER_PRESETS"]

# x and y of 2D gaze are observed together, so gaze_mask says everything a per-channel mask would
_STUDENT_BASE = dict(gaze_channels=2, num_actions=2, num_steps=16, use_channel_mask=False)
MSB_STUDENT_PRESETS: dict[str, dict[str, Any]] = {
    "msb_student_2d": {**STUDENT_PRESETS["skillsight_student"], **_STUDENT_BASE},
    "msb_student_2d_tiny": {**STUDENT_PRESETS["skillsight_student_tiny"], **_STUDENT_BASE},
    "test_msb_student_2d": {**STUDENT_PRESETS["test_skillsight_student"], **_STUDENT_BASE, "num_steps": 8},
}
_TEACHER_BASE = dict(
    use_video=False, use_crops=False, use_gaze=True, gaze_channels=2, num_scenarios=1, use_channel_mask=False
)
MSB_TEACHER_PRESETS: dict[str, dict[str, Any]] = {
    "msb_teacher_2d": dict(
        _TEACHER_BASE,
        num_frames=16,
        embed_dim=768,
        gaze_layers=4,
        gaze_heads=8,
        ffn_dim=2048,
        fusion_hidden=768,
    ),
    "msb_teacher_2d_tiny": dict(
        _TEACHER_BASE, num_frames=16, embed_dim=64, gaze_layers=2, gaze_heads=4, ffn_dim=128, fusion_hidden=64
    ),
    "test_msb_teacher_2d": dict(
        _TEACHER_BASE,
        num_frames=4,
        embed_dim=32,
        gaze_layers=1,
        gaze_heads=4,
        ffn_dim=64,
        fusion_hidden=32,
        dropout=0.0,
    ),
}


def _register(name: str, cls: type, presets: dict[str, dict[str, Any]]) -> None:
    def factory(**kwargs: Any):
        return cls(**{**presets[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"{cls.__name__} preset {name!r} for MSB (2D gaze): {presets[name]}"
    register_model(name)(factory)


for _name in MSB_STUDENT_PRESETS:
    _register(_name, SkillSightStudent, MSB_STUDENT_PRESETS)
for _name in MSB_TEACHER_PRESETS:
    _register(_name, SkillSightTeacher, MSB_TEACHER_PRESETS)
