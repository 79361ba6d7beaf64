"""What a model loses when a take lacks an optional file: warnings shared by inspect, train and stream.

A take without 2D gaze and without a device calibration has no gaze point in the image: its gaze
crops are the frame centre and a teacher's gaze prior is off for it. A take without a trajectory is
read as a static head (the world frame is the device frame), so world gaze points and head-pose
channels carry no head motion. Neither skips the take (the model still runs), so they are said
out loud where the data is used: ``skillsight data inspect``, at the start of training, and in
``skillsight stream``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from skillsight.data.records import Take

__all__ = [
    "GAZE2D_INPUTS",
    "GAZE_INPUTS",
    "NO_TRAJECTORY",
    "input_warnings",
]

#: Inputs that read the gaze point in the image (crops, the teacher's gaze prior).
GAZE2D_INPUTS = frozenset({"gaze2d", "gaze2d_mask", "crops", "crop_features"})
#: Inputs computed from the gaze files (with the trajectory where there is one).
GAZE_INPUTS = frozenset({"gaze", "gaze_mask", "gaze_channel_mask", "head_motion", "head_motion_mask"})
#: What a missing trajectory means, in words (also printed by ``skillsight stream``).
NO_TRAJECTORY = (
    "the head is taken as static (world frame = device frame), so the world gaze point and the "
    "head-pose channels carry no head motion and estimates differ from those with the trajectory"
)


def _examples(takes: Sequence[Take]) -> str:
    names = ", ".join(t.take_name for t in takes[:3])
    return names + (f" and {len(takes) - 3} more" if len(takes) > 3 else "")


def input_warnings(takes: Sequence[Take], input_names: Iterable[str]) -> list[str]:
    """One line per kind of missing optional file that changes what a model with ``input_names`` sees.

    Returns:
        Lines such as ``"12 of 48 takes have neither 2D gaze nor ...: ... (e.g. take_a, take_b)"``;
        empty when nothing is missing or the model does not read it.
    """
    names = set(input_names)
    n = len(takes)
    lines = []
    if names & GAZE2D_INPUTS:
        blind = [t for t in takes if t.gaze2d_path is None and t.calibration_path is None]
        if blind:
            lines.append(
                f"{len(blind)} of {n} takes have neither 2D gaze (eye_gaze/*_eye_gaze_2d.csv) nor a device "
                "calibration to project the 3D gaze: their gaze crops are the frame centre and the gaze "
                f"prior is off for them ({_examples(blind)})"
            )
    if names & (GAZE_INPUTS | GAZE2D_INPUTS):
        static = [t for t in takes if t.trajectory_path is None]
        if static:
            lines.append(
                f"{len(static)} of {n} takes have no trajectory (trajectory/closed_loop_trajectory.csv): "
                f"{NO_TRAJECTORY} ({_examples(static)})"
            )
    return lines
