"""Synthetic egocentric skill dataset written in the real Ego-Exo4D on-disk layout.

``generate_synthetic_dataset(out)`` writes, for 6 scenarios x 4 proficiency levels x ``takes_per_level``
takes::

    out/takes.json
    out/annotations/proficiency_demonstrator_{train,val,test}.json
    out/synthetic_dataset.json                                    generator knobs and counts
    out/takes/<take_name>/frame_aligned_videos/downscaled/448/aria0X_214-1.mp4   ego (upright fisheye)
    out/takes/<take_name>/frame_aligned_videos/downscaled/448/cam0{1..4}.mp4     exo views (optional)
    out/takes/<take_name>/eye_gaze/general_eye_gaze.csv           MPS March-2024 vergence layout, 10 Hz
    out/takes/<take_name>/eye_gaze/general_eye_gaze_2d.csv        upright 1408 px pixels, 10 Hz
    out/takes/<take_name>/trajectory/closed_loop_trajectory.csv   5x the video rate (50 Hz at 10 fps)
    out/takes/<take_name>/device_calibration.json                 Aria calibration JSON (RGB camera)
    out/takes/<take_name>/synthetic_take.json                     latent level, attributes, action times

The generative model (what skill changes in gaze, head motion and pixels) is described in
:mod:`skillsight.data.synthetic.behaviour` and docs/synthetic_data.md. Everything is drawn from one
``numpy`` generator per take, seeded by ``(seed, scenario, level, index)``, so the same seed gives the same
CSV/JSON bytes whatever the order or number of worker processes.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from skillsight.data.readers.aria import (
    cad_T_cpf_sensor,
    cad_T_device_cpf,
    write_device_calibration_json,
    write_gaze_csv,
    write_trajectory_csv,
)
from skillsight.data.readers.egoexo4d_annotations import write_gaze2d_csv
from skillsight.data.readers.egoexo4d_takes import DOWNSCALED_DIR, annotation_path
from skillsight.data.readers.video import write_video
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.data.synthetic.audio import AUDIO_RATE_HZ, synthesize_take_audio
from skillsight.data.synthetic.behaviour import simulate_take
from skillsight.data.synthetic.difficulty import resolve_difficulty, weaken_cues
from skillsight.data.synthetic.render import (
    ego_pixel_rays,
    exo_camera_poses,
    pinhole_pixel_rays,
    render_view,
    scene_spheres,
)
from skillsight.data.synthetic.scenes import ATTRIBUTE_MODALITY, SCENES, sample_attributes
from skillsight.exceptions import ConfigError
from skillsight.gaze.geometry import combined_to_vergence, invert_poses, matrix_to_quat_xyzw
from skillsight.gaze.projection import project_gaze_to_rgb
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera, Gaze2DTrack, GazeTrack, Trajectory

__all__ = [
    "DEFAULT_CONFIG",
    "SyntheticConfig",
    "TakePlan",
    "generate_synthetic_dataset",
    "plan_takes",
    "synthetic_calibration",
]

GENERATOR_VERSION = 2  # 2: the ego MP4 carries a mono AAC microphone track (with_audio)
GAZE_RATE_HZ = 10.0
DEPTH_CAP_M = 4.0  # MPS March-2024 vergence files cap depth_m at 4 m
EXO_CAMERAS: tuple[str, ...] = ("cam01", "cam02", "cam03", "cam04")
UNIVERSITIES: tuple[str, ...] = ("cmu", "upenn", "iiith", "sfu", "uniandes", "georgiatech", "unc", "nus")
SPLIT_FRACTIONS = {"val": 0.17, "test": 0.33}  # the rest is train

# Aria RGB Fisheye624 intrinsics at 1408 px (an Aria Everyday Activities recording; Apache-2.0 sample data).
_ARIA_RGB_PARAMS = np.array([
    607.0129968791215, 718.517934788257, 703.0479291982975, 0.4049855059199108, -0.4960655170834019,
    0.2366889743579386, 0.9948191490966187, -1.573948083968366, 0.6086728193625544, -0.0003672190538065101,
    -0.0007413905358394097, -0.0005839984838196491, -0.0002193412417918993, 0.0001936268547567258,
    -0.0002042473404798113,
])  # fmt: skip


@dataclass(frozen=True)
class SyntheticConfig:
    """Generator knobs (see docs/synthetic_data.md).

    Attributes:
        takes_per_level: takes per (scenario, level); >= 3 so every split gets one.
        seed: master seed.
        difficulty: noise scale of the latent attributes (0 = every take of a level alike, 1 = default);
            the named levels of :mod:`skillsight.data.synthetic.difficulty` set it with the other two.
        label_noise: probability that a take's annotated label is replaced by a different random level.
        cue_strength: how far behaviour moves between novice and expert (1 = fully; the "hard" level 0.6).
        with_exo: also render the four exo views cam01..cam04.
        with_audio: write a microphone track (a contact sound at each action over background noise,
            :mod:`skillsight.data.synthetic.audio`) into the ego MP4, as real Aria takes carry audio. It
            is drawn from its own generator: gaze, trajectory and pixels do not depend on it.
        frame_px: side of the square videos (even).
        video_fps: video frame rate; a multiple of the 10 Hz gaze rate.
        duration_s: length of every take.
        workers: processes used to write takes (1 = in this process).
        scenarios: which scenarios to generate (default all six; a subset for quick tests).
    """

    takes_per_level: int = 6
    seed: int = 0
    difficulty: float = 1.0
    label_noise: float = 0.0
    with_exo: bool = False
    with_audio: bool = True
    frame_px: int = 64
    video_fps: int = 10
    duration_s: float = 16.0
    workers: int = 2
    scenarios: tuple[str, ...] = SCENARIOS
    cue_strength: float = 1.0

    def validate(self) -> None:
        """Raise ConfigError naming the first bad knob."""
        checks = [
            ("takes_per_level", self.takes_per_level >= 3, "must be >= 3 (one take per split at least)"),
            ("difficulty", 0.0 <= self.difficulty <= 10.0, "must be in [0, 10]"),
            ("label_noise", 0.0 <= self.label_noise < 1.0, "must be in [0, 1)"),
            ("cue_strength", 0.0 < self.cue_strength <= 1.0, "must be in (0, 1]"),
            ("frame_px", self.frame_px >= 16 and self.frame_px % 2 == 0, "must be an even number >= 16"),
            (
                "video_fps",
                self.video_fps >= 10 and self.video_fps % 10 == 0,
                "must be a multiple of 10 (gaze is 10 Hz)",
            ),
            ("duration_s", 4.0 <= self.duration_s <= 600.0, "must be in [4, 600] seconds"),
            ("workers", self.workers >= 1, "must be >= 1"),
            (
                "scenarios",
                len(self.scenarios) > 0 and all(s in SCENARIOS for s in self.scenarios),
                f"must be a non-empty subset of {list(SCENARIOS)}",
            ),
        ]
        for name, ok, why in checks:
            if not ok:
                raise ConfigError(f"synthetic dataset: {name}={getattr(self, name)!r} {why}")


DEFAULT_CONFIG = SyntheticConfig()


@dataclass(frozen=True)
class TakePlan:
    """Everything that identifies one take before simulation."""

    scenario_index: int
    level: int
    index: int
    split: str
    task_index: int
    university: str
    participant: str
    take_name: str
    take_uid: str
    ego_camera: str


def _split_of(position: int, n: int) -> str:
    n_test = max(1, round(n * SPLIT_FRACTIONS["test"]))
    n_val = max(1, round(n * SPLIT_FRACTIONS["val"]))
    if position < n - n_test - n_val:
        return "train"
    return "val" if position < n - n_test else "test"


def plan_takes(config: SyntheticConfig) -> list[TakePlan]:
    """Names, splits and sub-tasks of every take (balanced: each (scenario, level) cell is split alike)."""
    plans = []
    for si, scenario in enumerate(SCENARIOS):
        if scenario not in config.scenarios:
            continue
        scene = SCENES[scenario]
        slug = scenario.lower().replace(" ", "")
        n_cells = len(PROFICIENCY_LABELS) * config.takes_per_level
        serials = np.random.default_rng([config.seed, si, 98]).permutation(n_cells)  # names hide the level
        for level in range(len(PROFICIENCY_LABELS)):
            rng = np.random.default_rng([config.seed, si, level, 99])
            order = rng.permutation(config.takes_per_level)  # position in the split order per take
            for k in range(config.takes_per_level):
                uni_i = (si + k) % len(UNIVERSITIES)
                uid_rng = np.random.default_rng([config.seed, si, level, k, 7])
                serial = int(serials[level * config.takes_per_level + k])
                participant = f"{UNIVERSITIES[uni_i]}_{slug}_p{serial:03d}"
                plans.append(
                    TakePlan(
                        scenario_index=si,
                        level=level,
                        index=k,
                        split=_split_of(int(order[k]), config.takes_per_level),
                        task_index=k % len(scene.tasks),
                        university=UNIVERSITIES[uni_i],
                        participant=participant,
                        take_name=f"{UNIVERSITIES[uni_i]}_{slug}_{serial:03d}",
                        take_uid=str(uuid.UUID(bytes=uid_rng.bytes(16), version=4)),
                        ego_camera=f"aria0{1 + uni_i % 2}",
                    )
                )
    return plans


def synthetic_calibration(rng: np.random.Generator) -> DeviceCalibration:
    """An Aria calibration: CAD CPF, CAD RGB extrinsics turned by ~0.3 degrees, AEA intrinsics +-0.5 %."""
    T_device_cpf = cad_T_device_cpf("DVT-S", "camera-slam-left")
    T_device_camera = T_device_cpf @ cad_T_cpf_sensor("DVT-S", "camera-rgb")
    turn = Rotation.from_rotvec(rng.normal(0.0, np.deg2rad(0.3), 3)).as_matrix()
    T_device_camera[:3, :3] = turn @ T_device_camera[:3, :3]
    T_device_camera[:3, 3] += rng.normal(0.0, 0.0005, 3)
    params = _ARIA_RGB_PARAMS.copy()
    params[0] *= 1.0 + rng.normal(0.0, 0.005)
    params[1:3] += rng.normal(0.0, 2.0, 2)
    camera = Fisheye624Camera(params=params, width_px=1408, height_px=1408, label="camera-rgb")
    return DeviceCalibration(T_device_cpf=T_device_cpf, T_device_camera=T_device_camera, camera=camera)


def _poses(R: np.ndarray, t: np.ndarray) -> np.ndarray:
    T = np.zeros((*R.shape[:-2], 4, 4))
    T[..., :3, :3], T[..., :3, 3], T[..., 3, 3] = R, t, 1.0
    return T


def _write_take(root: Path, plan: TakePlan, config: SyntheticConfig) -> dict:
    """Simulate, render and write one take; return its takes.json entry plus annotation fields."""
    scenario = SCENARIOS[plan.scenario_index]
    scene = SCENES[scenario]
    rng = np.random.default_rng([config.seed, plan.scenario_index, plan.level, plan.index])
    attributes = sample_attributes(plan.level, rng, config.difficulty)  # the latent truth (sidecar)
    site = UNIVERSITIES.index(plan.university)
    calib = synthetic_calibration(np.random.default_rng([config.seed, site, 3]))  # one device per site
    fps = config.video_fps
    shown = weaken_cues(attributes, config.cue_strength)  # what drives behaviour
    b = simulate_take(scene, plan.task_index, shown, rng, config.duration_s, fps, 5.0 * fps)
    take_dir = root / "takes" / plan.take_name
    t0_us = int(1_000_000 * rng.integers(10, 10_000))
    step = config.video_fps // int(GAZE_RATE_HZ)  # frames per gaze sample

    # trajectory (device poses) and gaze
    T_world_cpf = _poses(b.R_world_cpf, b.head_pos_world_m)  # (M, 4, 4)
    T_world_device = T_world_cpf @ invert_poses(calib.T_device_cpf)
    head_us = t0_us + np.round(b.head_times_s * 1e6).astype(np.int64)
    quality = np.ones(len(head_us))
    q_xyzw = matrix_to_quat_xyzw(T_world_device[:, :3, :3])  # (M, 4)
    write_trajectory_csv(
        take_dir / "trajectory" / "closed_loop_trajectory.csv",
        Trajectory(head_us, T_world_device[:, :3, 3], q_xyzw, quality),
    )
    g = slice(None, None, step)
    gaze_us = t0_us + np.round(b.frame_times_s[g] * 1e6).astype(np.int64)
    yaw, pitch, depth = b.yaw_rad[g], b.pitch_rad[g], b.depth_m[g]
    left, right = combined_to_vergence(yaw, pitch, depth)
    session = str(uuid.UUID(bytes=rng.bytes(16), version=4))
    write_gaze_csv(
        take_dir / "eye_gaze" / "general_eye_gaze.csv",
        GazeTrack(
            gaze_us,
            yaw,
            pitch,
            np.minimum(depth, DEPTH_CAP_M),
            np.ones(len(gaze_us), bool),
            "vergence",
            left_yaw_rad=left,
            right_yaw_rad=right,
        ),
        layout="vergence",
        session_uid=session,
    )
    xy = project_gaze_to_rgb(b.point_cpf_m[g], calib, upright=True, upright_mode="rotate_image")
    write_gaze2d_csv(take_dir / "eye_gaze/general_eye_gaze_2d.csv", Gaze2DTrack(gaze_us, xy, (1408, 1408)))
    write_device_calibration_json(take_dir / "device_calibration.json", calib)

    # videos
    video_dir = take_dir / DOWNSCALED_DIR
    rays, valid = ego_pixel_rays(calib, config.frame_px)
    T_world_camera = T_world_device[b.frame_head_index] @ calib.T_device_camera  # (N, 4, 4)
    spheres = scene_spheres(scene, b, with_body=False)
    ego_name = f"{plan.ego_camera}_214-1.mp4"
    frames = render_view(
        scene, spheres, T_world_camera[:, :3, 3], T_world_camera[:, :3, :3], rays, config.frame_px, valid
    )
    audio = None
    if config.with_audio:  # own generator: the take's behaviour draws above are untouched
        audio_rng = np.random.default_rng([config.seed, plan.scenario_index, plan.level, plan.index, 11])
        audio = synthesize_take_audio(b.event_times_s, config.duration_s, audio_rng, AUDIO_RATE_HZ)
    write_video(video_dir / ego_name, frames, config.video_fps, audio=audio, audio_rate_hz=AUDIO_RATE_HZ)
    ego_stream = {"relative_path": f"frame_aligned_videos/{ego_name}", "stream_id": "214-1"}
    videos = {plan.ego_camera: {"rgb": ego_stream}}
    cameras = [{"cam_id": plan.ego_camera, "is_ego": True, "device_type": "aria"}]
    if config.with_exo:
        exo_spheres = scene_spheres(scene, b, with_body=True)
        exo_rays = pinhole_pixel_rays(config.frame_px, 60.0)
        n = len(b.frame_times_s)
        for cam, pose in zip(EXO_CAMERAS, exo_camera_poses(len(EXO_CAMERAS))):
            frames = render_view(
                scene,
                exo_spheres,
                np.broadcast_to(pose[:3, 3], (n, 3)),
                np.broadcast_to(pose[:3, :3], (n, 3, 3)),
                exo_rays,
                config.frame_px,
            )
            write_video(video_dir / f"{cam}.mp4", frames, config.video_fps)
            videos[cam] = {"0": {"relative_path": f"frame_aligned_videos/{cam}.mp4"}}
            cameras.append({"cam_id": cam, "is_ego": False, "device_type": "gopro"})

    # label noise and the sidecar with the latent truth
    annotated = plan.level
    if config.label_noise > 0 and rng.uniform() < config.label_noise:
        others = [lvl for lvl in range(len(PROFICIENCY_LABELS)) if lvl != plan.level]
        annotated = int(others[rng.integers(len(others))])
    task = scene.tasks[plan.task_index]
    sidecar = {
        "generator_version": GENERATOR_VERSION,
        "take_uid": plan.take_uid,
        "take_name": plan.take_name,
        "scenario": scenario,
        "task_name": task.name,
        "task_index": plan.task_index,
        "true_level": plan.level,
        "true_label": PROFICIENCY_LABELS[plan.level],
        "annotated_label": PROFICIENCY_LABELS[annotated],
        "attributes": attributes,
        "cue_strength": config.cue_strength,
        "attribute_modality": ATTRIBUTE_MODALITY,
        "action_times_s": [round(float(t), 4) for t in b.event_times_s],
        "start_timestamp_us": t0_us,
        "video_fps": config.video_fps,
        "gaze_rate_hz": GAZE_RATE_HZ,
        "trajectory_rate_hz": 5.0 * config.video_fps,
        "frame_px": config.frame_px,
        "duration_s": config.duration_s,
        "audio_rate_hz": AUDIO_RATE_HZ if config.with_audio else None,
        "aoi_fraction": {
            name: round(float(np.mean(b.gaze_aoi[g] == i)), 4)
            for i, name in enumerate(("target", "ahead", "prop", "effector", "object"))
        },
    }
    _write_json(take_dir / "synthetic_take.json", sidecar)
    take_entry = {
        "take_uid": plan.take_uid,
        "take_name": plan.take_name,
        "root_dir": f"takes/{plan.take_name}",
        "parent_task_name": scenario,
        "task_name": task.name,
        "task_id": 1000 * (plan.scenario_index + 1) + plan.task_index,
        "university_name": plan.university,
        "participant_uid": plan.participant,
        "duration_sec": config.duration_s,
        "has_trimmed_eye_gaze": True,
        "capture": {"cameras": cameras},
        "frame_aligned_videos": videos,
    }
    if config.with_exo:
        take_entry["best_exo"] = EXO_CAMERAS[0]
    video_paths = {"ego": f"{take_entry['root_dir']}/frame_aligned_videos/{ego_name}"}
    video_paths.update(
        {
            f"exo{i + 1}": f"{take_entry['root_dir']}/frame_aligned_videos/{cam}.mp4"
            for i, cam in enumerate(c["cam_id"] for c in cameras[1:])
        }
    )
    record = {
        "task_id": take_entry["task_id"],
        "task_name": task.name,
        "scenario_name": scenario,
        "university_id": plan.university,
        "origin_participant_id": plan.participant,
        "take_uid": plan.take_uid,
        "video_paths": video_paths,
        "proficiency_score": PROFICIENCY_LABELS[annotated],
    }
    return {"take": take_entry, "record": record, "split": plan.split}


def _write_json(path: Path, obj: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n", encoding="utf-8")


def _write_take_job(args: tuple[str, TakePlan, SyntheticConfig]) -> dict:
    root, plan, config = args
    return _write_take(Path(root), plan, config)


def generate_synthetic_dataset(
    out_dir: str | Path,
    *,
    takes_per_level: int = DEFAULT_CONFIG.takes_per_level,
    seed: int = DEFAULT_CONFIG.seed,
    difficulty: float | str = DEFAULT_CONFIG.difficulty,
    label_noise: float | None = None,
    with_exo: bool = DEFAULT_CONFIG.with_exo,
    with_audio: bool = DEFAULT_CONFIG.with_audio,
    frame_px: int = DEFAULT_CONFIG.frame_px,
    video_fps: int = DEFAULT_CONFIG.video_fps,
    duration_s: float = DEFAULT_CONFIG.duration_s,
    workers: int = DEFAULT_CONFIG.workers,
    scenarios: tuple[str, ...] = DEFAULT_CONFIG.scenarios,
    cue_strength: float | None = None,
) -> Path:
    """Write a complete synthetic Ego-Exo4D-layout proficiency dataset (see the module docstring).

    Args:
        out_dir: output root (created; existing take folders of the same names are overwritten).
        takes_per_level, seed, with_exo, with_audio, frame_px, video_fps, duration_s, workers, scenarios:
            see :class:`SyntheticConfig`.
        difficulty: a named level ("easy", "default", "hard"; :mod:`skillsight.data.synthetic.difficulty`)
            or the attribute-noise scale (a number: label noise 0 and full cues unless given).
        label_noise, cue_strength: override the level's values (None: the level's).

    Returns:
        ``out_dir`` as a Path (the root to pass to ``load_takes``).

    Raises:
        ConfigError: a knob is out of range.
    """
    level = resolve_difficulty(difficulty, label_noise, cue_strength)
    config = SyntheticConfig(
        takes_per_level=takes_per_level,
        seed=seed,
        difficulty=level.attribute_noise,
        label_noise=level.label_noise,
        with_exo=with_exo,
        with_audio=with_audio,
        frame_px=frame_px,
        video_fps=video_fps,
        duration_s=duration_s,
        workers=workers,
        scenarios=tuple(scenarios),
        cue_strength=level.cue_strength,
    )
    config.validate()
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    plans = plan_takes(config)
    jobs = [(str(root), plan, config) for plan in plans]
    if config.workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=config.workers) as pool:
            results = list(pool.map(_write_take_job, jobs, chunksize=4))
    else:
        results = [_write_take_job(job) for job in jobs]
    _write_json(root / "takes.json", [r["take"] for r in results])
    for split in ("train", "val", "test"):
        records = [r["record"] for r in results if r["split"] == split]
        _write_json(annotation_path(root, split), {"annotations": records})
    summary = {
        "generator": "skillsight.data.synthetic.takes",
        "generator_version": GENERATOR_VERSION,
        "config": {
            k: (list(v) if isinstance(v, tuple) else v) for k, v in vars(config).items() if k != "workers"
        },
        "n_takes": len(results),
        "takes_per_split": {s: sum(r["split"] == s for r in results) for s in ("train", "val", "test")},
        "labels": list(PROFICIENCY_LABELS),
        "scenarios": {s: [t.name for t in SCENES[s].tasks] for s in config.scenarios},
    }
    _write_json(root / "synthetic_dataset.json", summary)
    return root
