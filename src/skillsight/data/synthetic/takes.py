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
CSV/JSON bytes whatever the order or number of worker processes. A take is drawn once (``_simulate``) and
then written file by file by the writers of :mod:`skillsight.data.synthetic.take_files`.
"""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from skillsight.data.readers.aria import cad_T_cpf_sensor, cad_T_device_cpf
from skillsight.data.readers.egoexo4d_takes import DOWNSCALED_DIR, annotation_path
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS
from skillsight.data.synthetic.audio import AUDIO_RATE_HZ, synthesize_take_audio
from skillsight.data.synthetic.behaviour import simulate_take
from skillsight.data.synthetic.difficulty import resolve_difficulty, weaken_cues
from skillsight.data.synthetic.scenes import ATTRIBUTE_MODALITY, SCENES, sample_attributes
from skillsight.data.synthetic.take_files import (
    SimulatedTake,
    write_calibration,
    write_ego_video,
    write_exo_videos,
    write_gaze,
    write_gaze2d,
    write_trajectory,
)
from skillsight.exceptions import ConfigError
from skillsight.gaze.geometry import invert_poses
from skillsight.gaze.tracks import DeviceCalibration, Fisheye624Camera

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
    take, attributes, annotated = _simulate(plan, config)
    take_dir = root / "takes" / plan.take_name
    write_trajectory(take_dir, take)
    write_gaze(take_dir, take)
    write_gaze2d(take_dir, take)
    write_calibration(take_dir, take)
    video_dir = take_dir / DOWNSCALED_DIR
    write_ego_video(video_dir / _ego_video_name(plan), take, config.frame_px, config.video_fps)
    exo = EXO_CAMERAS if config.with_exo else ()
    if exo:
        write_exo_videos(video_dir, take, exo, config.frame_px, config.video_fps)
    _write_json(take_dir / "synthetic_take.json", _sidecar(plan, config, take, attributes, annotated))
    entry = _takes_json_entry(plan, config, exo)
    return {"take": entry, "record": _annotation_record(plan, entry, annotated), "split": plan.split}


def _simulate(plan: TakePlan, config: SyntheticConfig) -> tuple[SimulatedTake, dict[str, float], int]:
    """Every random draw of one take, in a fixed order: (the take, its latent attributes, annotated level).

    The take's generator is seeded by (seed, scenario, level, index) and draws the attributes, the
    behaviour, the start time, the gaze session uid and the label noise, in that order; the device
    calibration (one per site) and the audio have generators of their own.
    """
    scene = SCENES[SCENARIOS[plan.scenario_index]]
    rng = np.random.default_rng([config.seed, plan.scenario_index, plan.level, plan.index])
    attributes = sample_attributes(plan.level, rng, config.difficulty)  # the latent truth (sidecar)
    site = UNIVERSITIES.index(plan.university)
    calib = synthetic_calibration(np.random.default_rng([config.seed, site, 3]))  # one device per site
    fps = config.video_fps
    shown = weaken_cues(attributes, config.cue_strength)  # what drives behaviour
    b = simulate_take(scene, plan.task_index, shown, rng, config.duration_s, fps, 5.0 * fps)
    t0_us = int(1_000_000 * rng.integers(10, 10_000))
    session = str(uuid.UUID(bytes=rng.bytes(16), version=4))
    annotated = plan.level
    if config.label_noise > 0 and rng.uniform() < config.label_noise:
        others = [lvl for lvl in range(len(PROFICIENCY_LABELS)) if lvl != plan.level]
        annotated = int(others[rng.integers(len(others))])
    audio = None
    if config.with_audio:  # own generator: the take's behaviour draws above are untouched
        audio_rng = np.random.default_rng([config.seed, plan.scenario_index, plan.level, plan.index, 11])
        audio = synthesize_take_audio(b.event_times_s, config.duration_s, audio_rng, AUDIO_RATE_HZ)
    T_world_cpf = _poses(b.R_world_cpf, b.head_pos_world_m)  # (M, 4, 4)
    take = SimulatedTake(
        scene=scene,
        behaviour=b,
        calibration=calib,
        T_world_device=T_world_cpf @ invert_poses(calib.T_device_cpf),
        start_us=t0_us,
        gaze_step=config.video_fps // int(GAZE_RATE_HZ),  # frames per gaze sample
        session_uid=session,
        audio=audio,
    )
    return take, attributes, annotated


def _ego_video_name(plan: TakePlan) -> str:
    return f"{plan.ego_camera}_214-1.mp4"


def _sidecar(
    plan: TakePlan, config: SyntheticConfig, take: SimulatedTake, attributes: dict[str, float], annotated: int
) -> dict:
    """``synthetic_take.json``: the latent truth behind the take (level, attributes, action times, rates)."""
    b = take.behaviour
    scenario = SCENARIOS[plan.scenario_index]
    return {
        "generator_version": GENERATOR_VERSION,
        "take_uid": plan.take_uid,
        "take_name": plan.take_name,
        "scenario": scenario,
        "task_name": take.scene.tasks[plan.task_index].name,
        "task_index": plan.task_index,
        "true_level": plan.level,
        "true_label": PROFICIENCY_LABELS[plan.level],
        "annotated_label": PROFICIENCY_LABELS[annotated],
        "attributes": attributes,
        "cue_strength": config.cue_strength,
        "attribute_modality": ATTRIBUTE_MODALITY,
        "action_times_s": [round(float(t), 4) for t in b.event_times_s],
        "start_timestamp_us": take.start_us,
        "video_fps": config.video_fps,
        "gaze_rate_hz": GAZE_RATE_HZ,
        "trajectory_rate_hz": 5.0 * config.video_fps,
        "frame_px": config.frame_px,
        "duration_s": config.duration_s,
        "audio_rate_hz": AUDIO_RATE_HZ if config.with_audio else None,
        "aoi_fraction": {
            name: round(float(np.mean(b.gaze_aoi[take.gaze_samples] == i)), 4)
            for i, name in enumerate(("target", "ahead", "prop", "effector", "object"))
        },
    }


def _takes_json_entry(plan: TakePlan, config: SyntheticConfig, exo: tuple[str, ...]) -> dict:
    """The take's takes.json entry: names, task, participant, cameras and their frame-aligned videos."""
    scenario = SCENARIOS[plan.scenario_index]
    ego_stream = {"relative_path": f"frame_aligned_videos/{_ego_video_name(plan)}", "stream_id": "214-1"}
    videos: dict[str, dict] = {plan.ego_camera: {"rgb": ego_stream}}
    cameras = [{"cam_id": plan.ego_camera, "is_ego": True, "device_type": "aria"}]
    for cam in exo:
        videos[cam] = {"0": {"relative_path": f"frame_aligned_videos/{cam}.mp4"}}
        cameras.append({"cam_id": cam, "is_ego": False, "device_type": "gopro"})
    entry = {
        "take_uid": plan.take_uid,
        "take_name": plan.take_name,
        "root_dir": f"takes/{plan.take_name}",
        "parent_task_name": scenario,
        "task_name": SCENES[scenario].tasks[plan.task_index].name,
        "task_id": 1000 * (plan.scenario_index + 1) + plan.task_index,
        "university_name": plan.university,
        "participant_uid": plan.participant,
        "duration_sec": config.duration_s,
        "has_trimmed_eye_gaze": True,
        "capture": {"cameras": cameras},
        "frame_aligned_videos": videos,
    }
    if exo:
        entry["best_exo"] = exo[0]
    return entry


def _annotation_record(plan: TakePlan, entry: dict, annotated: int) -> dict:
    """The take's annotation record (``proficiency_demonstrator_<split>.json``), label maybe noisy."""
    video_paths = {"ego": f"{entry['root_dir']}/frame_aligned_videos/{_ego_video_name(plan)}"}
    exo = [c["cam_id"] for c in entry["capture"]["cameras"][1:]]
    video_paths.update(
        {f"exo{i + 1}": f"{entry['root_dir']}/frame_aligned_videos/{cam}.mp4" for i, cam in enumerate(exo)}
    )
    return {
        "task_id": entry["task_id"],
        "task_name": entry["task_name"],
        "scenario_name": entry["parent_task_name"],
        "university_id": plan.university,
        "origin_participant_id": plan.participant,
        "take_uid": plan.take_uid,
        "video_paths": video_paths,
        "proficiency_score": PROFICIENCY_LABELS[annotated],
    }


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
