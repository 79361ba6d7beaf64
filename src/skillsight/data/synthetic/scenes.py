"""Scenes and latent skill attributes of the synthetic egocentric skill dataset.

World frame: metres, z up, the performer stands at the origin facing +x (so +y is their left).
Each scenario has its own layout (where the task target is, how far ahead the performer scans, where the
effector -- hands, or feet in soccer -- works), its own colours (so the scenario is visible in video) and
its own sub-tasks (Ego-Exo4D ``task_name``), which change the action rhythm and the target's place (so the
sub-task is visible in gaze and video, for the SkillSight student's action head).

Latent attributes (CrossTrainer-style names) drive behaviour; each is in [0, 1], higher = more skilled.
``ATTRIBUTE_MODALITY`` says where an attribute shows: "gaze" (eye movements only), "video" (rendered
pixels only) or "both" (head/body motion, seen by the trajectory and by the moving camera).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS

__all__ = [
    "ATTRIBUTES",
    "ATTRIBUTE_MODALITY",
    "SCENES",
    "SceneSpec",
    "TaskSpec",
    "sample_attributes",
]

ATTRIBUTES: tuple[str, ...] = (
    "anticipation",
    "focus",
    "hand-eye coordination",
    "head stability",
    "balance",
    "hand positioning",
    "follow-through",
    "technique",
)

ATTRIBUTE_MODALITY: dict[str, str] = {
    "anticipation": "gaze",  # quiet-eye onset before each action; scanning far ahead (greater depth)
    "focus": "gaze",  # quiet-eye hold after each action; fewer skipped quiet-eye periods; steadier fixations
    "hand-eye coordination": "gaze",  # fewer glances at the hands/feet
    "head stability": "both",  # high-frequency head jitter (trajectory + camera shake in ego video)
    "balance": "both",  # slow body sway (trajectory + ego video + exo views)
    "hand positioning": "video",  # hands wander from their working position
    "follow-through": "video",  # tool/ball path: jitter and an unfinished motion after each action
    "technique": "video",  # tool/ball appearance: saturated colour and fine stripes vs dull and coarse
}

#: sd of the per-take performance offset shared by all attributes, and of each attribute's own noise,
#: at difficulty 1 (both scale linearly with difficulty).
TAKE_NOISE_SD = 0.10
ATTRIBUTE_NOISE_SD = 0.20


@dataclass(frozen=True)
class TaskSpec:
    """A sub-task: name (Ego-Exo4D-style ``task_name``), action period and target offset."""

    name: str
    period_s: float  # mean time between actions (shots, strokes, steps)
    target_offset_m: tuple[float, float, float]  # added to the scene's target position
    path_radius_m: float  # radius of the tool/ball loop between actions


@dataclass(frozen=True)
class SceneSpec:
    """Layout and look of one scenario (positions in world metres, colours RGB 0..255)."""

    name: str
    tasks: tuple[TaskSpec, ...]
    eye_height_m: float
    target_m: tuple[float, float, float]
    target_radius_m: float
    ahead_m: tuple[float, float, float]  # centre of the far region scanned ahead
    ahead_spread_m: float
    effector_m: tuple[float, float, float]  # centre of the hands (feet in soccer), relative to the body
    effector_gap_m: float  # left-right distance between the two effectors
    object_radius_m: float  # drawn larger than life so its look survives 64 px frames
    event_bob_m: float  # vertical head motion at each action (a jump in basketball)
    floor_rgb: tuple[tuple[int, int, int], tuple[int, int, int]]
    floor_tile_m: float
    wall_rgb: tuple[tuple[int, int, int], tuple[int, int, int]]
    wall_stripes: int
    target_rgb: tuple[int, int, int]
    object_rgb: tuple[int, int, int]
    prop_rgb: tuple[int, int, int]  # distractor objects


SCENES: dict[str, SceneSpec] = {
    "Basketball": SceneSpec(
        "Basketball",
        (
            TaskSpec("Basketball Drills - Mikan Layup", 2.4, (-1.6, 0.5, 0.0), 0.22),
            TaskSpec("Basketball Drills - Reverse Layup", 3.0, (-1.6, -0.5, 0.0), 0.28),
            TaskSpec("Basketball Drills - Mid-Range Jump Shooting", 3.6, (0.8, 0.0, 0.0), 0.16),
        ),
        1.70,
        (4.2, 0.0, 3.05),
        0.30,
        (9.0, 0.0, 1.5),
        3.0,
        (0.35, 0.0, 1.05),
        0.36,
        0.16,
        0.12,
        ((196, 142, 84), (170, 112, 62)),
        0.9,
        ((70, 90, 150), (40, 55, 110)),
        6,
        (235, 80, 30),
        (230, 110, 30),
        (240, 240, 240),
    ),
    "Cooking": SceneSpec(
        "Cooking",
        (
            TaskSpec("Cooking Tomato & Eggs", 2.0, (0.0, 0.15, 0.0), 0.10),
            TaskSpec("Making Sesame-Ginger Asian Salad", 2.6, (0.05, -0.25, 0.0), 0.14),
            TaskSpec("Cooking Noodles", 3.2, (0.15, 0.0, 0.05), 0.08),
        ),
        1.62,
        (0.55, 0.0, 0.95),
        0.12,
        (1.3, 0.0, 1.2),
        0.7,
        (0.32, 0.0, 0.98),
        0.30,
        0.10,
        0.02,
        ((225, 225, 220), (150, 150, 150)),
        0.3,
        ((235, 215, 140), (200, 170, 90)),
        10,
        (60, 60, 70),
        (200, 200, 210),
        (200, 40, 40),
    ),
    "Dance": SceneSpec(
        "Dance",
        (
            TaskSpec("Performing the basic choreography", 1.8, (0.0, 0.4, 0.0), 0.35),
            TaskSpec("Performing the advanced choreography", 2.6, (0.0, -0.4, 0.0), 0.45),
        ),
        1.65,
        (2.6, 0.0, 1.55),
        0.30,
        (5.5, 0.0, 1.6),
        2.0,
        (0.30, 0.0, 1.15),
        0.50,
        0.12,
        0.10,
        ((40, 30, 45), (75, 60, 85)),
        1.2,
        ((120, 40, 120), (60, 20, 70)),
        4,
        (170, 90, 230),
        (255, 220, 60),
        (80, 200, 230),
    ),
    "Music": SceneSpec(
        "Music",
        (
            TaskSpec("Playing Piano", 1.6, (-0.05, 0.0, -0.40), 0.10),
            TaskSpec("Playing Violin", 2.2, (-0.25, 0.25, 0.15), 0.18),
            TaskSpec("Playing Guitar", 2.8, (-0.20, -0.20, -0.25), 0.14),
        ),
        1.30,
        (0.65, 0.0, 1.25),
        0.12,
        (2.2, 0.0, 1.4),
        0.9,
        (0.35, 0.0, 0.95),
        0.30,
        0.10,
        0.02,
        ((90, 50, 30), (120, 70, 40)),
        0.5,
        ((200, 190, 170), (150, 140, 120)),
        12,
        (250, 250, 245),
        (60, 30, 20),
        (40, 120, 60),
    ),
    "Rock Climbing": SceneSpec(
        "Rock Climbing",
        (
            TaskSpec("Rock Climbing - Slab Route", 3.0, (0.0, 0.3, -0.2), 0.12),
            TaskSpec("Rock Climbing - Overhang Route", 3.8, (-0.1, -0.3, 0.3), 0.20),
        ),
        1.65,
        (0.50, 0.0, 2.35),
        0.10,
        (0.6, 0.0, 3.6),
        1.0,
        (0.40, 0.0, 1.90),
        0.55,
        0.10,
        0.04,
        ((120, 110, 100), (95, 85, 80)),
        0.6,
        ((160, 160, 170), (110, 115, 125)),
        16,
        (40, 200, 90),
        (245, 245, 245),
        (230, 200, 40),
    ),
    "Soccer": SceneSpec(
        "Soccer",
        (
            TaskSpec("Soccer Drills - Dribbling", 1.6, (-2.0, 0.0, 0.0), 0.30),
            TaskSpec("Soccer Drills - Inside Trap and Outside Play", 2.4, (-1.0, 1.5, 0.0), 0.25),
            TaskSpec("Soccer Drills - Penalty Kick", 3.4, (1.5, 0.0, 0.2), 0.15),
        ),
        1.72,
        (7.0, 0.0, 0.9),
        0.60,
        (14.0, 0.0, 1.0),
        5.0,
        (0.45, 0.0, 0.12),
        0.25,
        0.18,
        0.06,
        ((60, 160, 60), (45, 130, 45)),
        1.5,
        ((150, 200, 240), (120, 170, 220)),
        3,
        (250, 250, 250),
        (250, 250, 250),
        (250, 120, 20),
    ),
}
assert tuple(sorted(SCENES)) == tuple(sorted(SCENARIOS))


def sample_attributes(level: int, rng: np.random.Generator, difficulty: float) -> dict[str, float]:
    """Draw a take's latent attribute strengths.

    Each attribute = clip(level / 3 + take_offset + own_noise, 0, 1), with sds ``TAKE_NOISE_SD`` and
    ``ATTRIBUTE_NOISE_SD`` times ``difficulty``. The shared offset makes a take good or bad overall; the
    per-attribute noise is why seeing more attributes (both modalities) classifies better than one.

    Args:
        level: proficiency class id (0 = Novice .. 3 = Late Expert).
        rng: the take's generator.
        difficulty: noise scale (0 = every take of a level identical in its attributes).
    """
    if not 0 <= level < len(PROFICIENCY_LABELS):
        raise ValueError(f"level must be in 0..{len(PROFICIENCY_LABELS) - 1}, got {level}")
    skill = level / (len(PROFICIENCY_LABELS) - 1)
    offset = rng.normal(0.0, TAKE_NOISE_SD * difficulty)
    own = rng.normal(0.0, ATTRIBUTE_NOISE_SD * difficulty, size=len(ATTRIBUTES))
    values = np.clip(skill + offset + own, 0.0, 1.0)
    return {name: float(round(v, 4)) for name, v in zip(ATTRIBUTES, values)}
