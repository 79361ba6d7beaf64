"""Test data: commentary in the released Ego-Exo4D schema and fake synthetic sidecars (no videos)."""

from __future__ import annotations

import numpy as np

from skillsight.data.records import SCENARIOS
from skillsight.data.synthetic.scenes import sample_attributes


def fake_sidecar(i: int, scenario: str | None = None) -> dict:
    rng = np.random.default_rng(i)
    return {
        "take_uid": f"uid-{i:03d}",
        "take_name": f"take_{i:03d}",
        "scenario": scenario or SCENARIOS[i % 6],
        "task_name": f"task {i % 2}",
        "attributes": sample_attributes(i % 4, rng, 1.0),
        "action_times_s": [float(t) for t in np.arange(1.0, 16.0, 2.5)],
        "duration_s": 16.0,
    }


RELEASED_SAMPLE = [
    {
        "task_id": 1005,
        "task_name": "Cooking Dumplings",
        "scenario_name": "Cooking",
        "university_id": "ego4d-sfu",
        "origin_participant_id": "p013",
        "take_uid": "0015e453-3227-41b0-bd64-03c134abe054",
        "video_paths": {"ego": "takes/sfu_cooking_013_3/frame_aligned_videos/aria01_214-1.mp4"},
        "good_executions": [
            {
                "video_time": 360.183583,
                "list": "['the water is just beginning to start a boil']",
                "expert_uid": "d2vast",
                "video_name": "sfu_cooking_013_3",
            }
        ],
        "tips_for_improvement": [
            {
                "video_time": 22.998856,
                "list": "[\"When making dumplings it's generally preferable to steam the dumpling "
                'or to pan-fry it."]',
                "expert_uid": "d2vast",
                "video_name": "sfu_cooking_013_3",
            },
            {
                "video_time": 5.5,
                "list": ["Keep your elbow in when shooting.", "Work on your balance."],
                "expert_uid": "x1",
                "video_name": "sfu_cooking_013_3",
            },
        ],
    }
]
