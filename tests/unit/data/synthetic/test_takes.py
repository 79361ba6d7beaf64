"""Synthetic skill data: generative model statistics, knobs, determinism and rendering."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import mannwhitneyu

from skillsight.data.synthetic.behaviour import AOI_NAMES, rotation_world_cpf, simulate_take
from skillsight.data.synthetic.render import ego_pixel_rays, render_view, scene_spheres
from skillsight.data.synthetic.scenes import ATTRIBUTE_MODALITY, ATTRIBUTES, SCENES, sample_attributes
from skillsight.data.synthetic.takes import (
    SyntheticConfig,
    generate_synthetic_dataset,
    plan_takes,
    synthetic_calibration,
)
from skillsight.exceptions import ConfigError
from skillsight.gaze.projection import project_gaze_to_rgb

TINY = dict(takes_per_level=3, duration_s=5.0, frame_px=32, workers=1, scenarios=("Cooking",))


def _takes(level: int, n: int, scenario: str = "Basketball", difficulty: float = 1.0):
    out = []
    for k in range(n):
        rng = np.random.default_rng([42, level, k])
        attributes = sample_attributes(level, rng, difficulty)
        out.append(simulate_take(SCENES[scenario], k % len(SCENES[scenario].tasks), attributes, rng, 16.0))
    return out


def test_attributes_follow_the_level_and_difficulty() -> None:
    rng = np.random.default_rng(0)
    assert set(sample_attributes(2, rng, 1.0)) == set(ATTRIBUTES) == set(ATTRIBUTE_MODALITY)
    assert all(v == pytest.approx(2 / 3, abs=1e-4) for v in sample_attributes(2, rng, 0.0).values())
    novice = np.mean([list(sample_attributes(0, rng, 1.0).values()) for _ in range(50)])
    expert = np.mean([list(sample_attributes(3, rng, 1.0).values()) for _ in range(50)])
    assert novice < 0.2 < 0.8 < expert
    with pytest.raises(ValueError):
        sample_attributes(4, rng, 1.0)


def test_experts_hold_the_target_longer_and_glance_at_their_hands_less() -> None:
    """Quiet eye and hand glances, tested across takes (Mann-Whitney U, one-sided)."""
    novices, experts = _takes(0, 12), _takes(3, 12)
    target = [[np.mean(b.gaze_aoi == AOI_NAMES.index("target")) for b in bs] for bs in (novices, experts)]
    hands = [[np.mean(b.gaze_aoi == AOI_NAMES.index("effector")) for b in bs] for bs in (novices, experts)]
    assert mannwhitneyu(target[1], target[0], alternative="greater").pvalue < 0.001
    assert mannwhitneyu(hands[1], hands[0], alternative="less").pvalue < 0.001


def test_experts_look_further_and_move_the_head_more_smoothly() -> None:
    novices, experts = _takes(0, 12, "Cooking"), _takes(3, 12, "Cooking")
    depth = [[np.median(np.log(b.depth_m)) for b in bs] for bs in (novices, experts)]
    assert mannwhitneyu(depth[1], depth[0], alternative="greater").pvalue < 0.01

    def jerk(b) -> float:  # second difference of the forward axis at the head rate
        return float(np.abs(np.diff(b.R_world_cpf[:, :, 2], n=2, axis=0)).mean())

    jerks = [[jerk(b) for b in bs] for bs in (novices, experts)]
    assert mannwhitneyu(jerks[1], jerks[0], alternative="less").pvalue < 0.001


def test_simulation_shapes_units_and_reproducibility() -> None:
    scene = SCENES["Soccer"]
    attributes = sample_attributes(1, np.random.default_rng(1), 1.0)
    a = simulate_take(scene, 2, attributes, np.random.default_rng(5), 8.0, rate_hz=10, head_rate_hz=50)
    b = simulate_take(scene, 2, attributes, np.random.default_rng(5), 8.0, rate_hz=10, head_rate_hz=50)
    n = 80
    assert a.frame_times_s.shape == (n,) and a.point_cpf_m.shape == (n, 3)
    assert a.effectors_world_m.shape == (n, 2, 3)
    assert a.R_world_cpf.shape == (len(a.head_times_s), 3, 3)
    np.testing.assert_allclose(a.head_times_s[a.frame_head_index], a.frame_times_s, atol=1e-12)
    np.testing.assert_array_equal(a.yaw_rad, b.yaw_rad)
    np.testing.assert_allclose(np.linalg.norm(a.point_cpf_m, axis=1), a.depth_m)
    assert np.all(np.abs(a.yaw_rad) < np.deg2rad(55)) and np.all(a.depth_m > 0.05)
    R = a.R_world_cpf
    RtR = np.einsum("mji,mjk->mik", R, R)
    np.testing.assert_allclose(RtR, np.broadcast_to(np.eye(3), R.shape), atol=1e-9)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-9)
    with pytest.raises(ValueError, match="multiple"):
        simulate_take(scene, 0, attributes, np.random.default_rng(0), 4.0, rate_hz=10, head_rate_hz=25)


def test_rotation_world_cpf_axes() -> None:
    R = rotation_world_cpf(np.array([0.0, np.pi / 2]), np.zeros(2), np.zeros(2))
    np.testing.assert_allclose(R[0], [[0, 0, 1], [1, 0, 0], [0, 1, 0]], atol=1e-12)  # left=+y, up=+z, fwd=+x
    np.testing.assert_allclose(R[1][:, 2], [0, 1, 0], atol=1e-12)


def test_rendered_gaze_lands_on_the_fixated_target() -> None:
    """The 2D gaze (Fisheye624 projection) and the ray-cast video agree on where the target is."""
    scene = SCENES["Basketball"]
    rng = np.random.default_rng(3)
    b = simulate_take(scene, 2, sample_attributes(3, rng, 0.0), rng, 8.0)
    calib = synthetic_calibration(np.random.default_rng(0))
    rays, valid = ego_pixel_rays(calib, 64)
    assert rays.shape == (64 * 64, 3) and valid.mean() > 0.9
    from skillsight.gaze.geometry import invert_poses

    T_world_cpf = np.zeros((len(b.head_times_s), 4, 4))
    T_world_cpf[:, :3, :3], T_world_cpf[:, :3, 3], T_world_cpf[:, 3, 3] = b.R_world_cpf, b.head_pos_world_m, 1
    T_world_camera = T_world_cpf @ invert_poses(calib.T_device_cpf) @ calib.T_device_camera
    T_world_camera = T_world_camera[b.frame_head_index]
    spheres = scene_spheres(scene, b, with_body=False)
    frames = render_view(scene, spheres, T_world_camera[:, :3, 3], T_world_camera[:, :3, :3], rays, 64, valid)
    assert frames.shape == (80, 64, 64, 3) and frames.dtype == np.uint8
    xy = project_gaze_to_rgb(b.point_cpf_m, calib, upright=True, upright_mode="rotate_image") * 64 / 1408
    on_target = np.flatnonzero(b.gaze_aoi == AOI_NAMES.index("target"))
    assert on_target.size > 20
    px = np.clip(np.rint(xy[on_target]).astype(int), 0, 63)
    colours = frames[on_target, px[:, 1], px[:, 0]].astype(float)  # (K, 3)
    target_rgb = np.asarray(scene.target_rgb, float)
    chroma = colours / colours.sum(1, keepdims=True) - target_rgb / target_rgb.sum()
    hue_match = np.linalg.norm(chroma, axis=1) < 0.12
    assert hue_match.mean() > 0.6


def test_config_validation_names_the_knob(tmp_path: Path) -> None:
    for kwargs, knob in [
        (dict(takes_per_level=2), "takes_per_level"),
        (dict(label_noise=1.0), "label_noise"),
        (dict(frame_px=33), "frame_px"),
        (dict(video_fps=15), "video_fps"),
        (dict(difficulty=-1.0), "difficulty"),
        (dict(scenarios=("Dancing",)), "scenarios"),
    ]:
        with pytest.raises(ConfigError, match=knob):
            generate_synthetic_dataset(tmp_path, **{**TINY, **kwargs})


def test_plan_is_balanced_and_names_hide_the_level() -> None:
    plans = plan_takes(SyntheticConfig(takes_per_level=6))
    assert len(plans) == 6 * 4 * 6 and len({p.take_uid for p in plans}) == len(plans)
    for level in range(4):
        cell = [p.split for p in plans if p.level == level and p.scenario_index == 0]
        assert (cell.count("train"), cell.count("val"), cell.count("test")) == (3, 1, 2)
    assert len({p.take_name for p in plans}) == len(plans)
    assert {p.ego_camera for p in plans} == {"aria01", "aria02"}


def _file_bytes(root: Path) -> dict[str, bytes]:
    files = [p for p in sorted(root.rglob("*")) if p.suffix in (".csv", ".json")]
    return {str(p.relative_to(root)): p.read_bytes() for p in files}


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    a = _file_bytes(generate_synthetic_dataset(tmp_path / "a", seed=7, **TINY))
    b = _file_bytes(generate_synthetic_dataset(tmp_path / "b", seed=7, **{**TINY, "workers": 2}))
    c = _file_bytes(generate_synthetic_dataset(tmp_path / "c", seed=8, **TINY))
    assert a == b and len(a) == 12 * 5 + 4 + 1
    assert a["takes.json"] != c["takes.json"]
    gaze_a = [v for k, v in a.items() if k.endswith("general_eye_gaze.csv")]
    gaze_c = [v for k, v in c.items() if k.endswith("general_eye_gaze.csv")]
    assert gaze_a != gaze_c


def test_label_noise_changes_annotations_not_the_latent_level(tmp_path: Path) -> None:
    root = generate_synthetic_dataset(tmp_path, label_noise=0.5, **{**TINY, "takes_per_level": 6})
    sidecars = [json.loads(p.read_text()) for p in sorted(root.glob("takes/*/synthetic_take.json"))]
    flipped = [s["annotated_label"] != s["true_label"] for s in sidecars]
    assert 0 < sum(flipped) < len(flipped)
    records = {}
    for split in ("train", "val", "test"):
        doc = json.loads((root / f"annotations/proficiency_demonstrator_{split}.json").read_text())
        records.update({r["take_uid"]: r["proficiency_score"] for r in doc["annotations"]})
    assert all(records[s["take_uid"]] == s["annotated_label"] for s in sidecars)
