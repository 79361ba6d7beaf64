"""One writer per file kind of a synthetic take, from everything drawn for it (:class:`SimulatedTake`).

:func:`skillsight.data.synthetic.takes.generate_synthetic_dataset` draws a take once (all its random
numbers, in a fixed order) and then calls these writers, none of which draws anything:

- :func:`write_trajectory`: ``trajectory/closed_loop_trajectory.csv``, device poses at the head rate;
- :func:`write_gaze`: ``eye_gaze/general_eye_gaze.csv``, MPS vergence gaze at the gaze rate;
- :func:`write_gaze2d`: ``eye_gaze/general_eye_gaze_2d.csv``, the gaze projected on the upright RGB image;
- :func:`write_calibration`: ``device_calibration.json`` (what real takes keep in the VRS file);
- :func:`write_ego_video`: the ego MP4 (upright fisheye), with its microphone track when given;
- :func:`write_exo_videos`: the static exo views ``cam01..``.

Each file is written by the reader module's own writer (:mod:`skillsight.data.readers.aria`,
:mod:`~skillsight.data.readers.egoexo4d_annotations`, :mod:`~skillsight.data.readers.video`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skillsight.data.readers.aria import write_device_calibration_json, write_gaze_csv, write_trajectory_csv
from skillsight.data.readers.egoexo4d_annotations import write_gaze2d_csv
from skillsight.data.readers.video import write_video
from skillsight.data.synthetic.audio import AUDIO_RATE_HZ
from skillsight.data.synthetic.behaviour import TakeBehaviour
from skillsight.data.synthetic.render import (
    ego_pixel_rays,
    exo_camera_poses,
    pinhole_pixel_rays,
    render_view,
    scene_spheres,
)
from skillsight.data.synthetic.scenes import SceneSpec
from skillsight.gaze.geometry import combined_to_vergence, matrix_to_quat_xyzw
from skillsight.gaze.projection import project_gaze_to_rgb
from skillsight.gaze.tracks import DeviceCalibration, Gaze2DTrack, GazeTrack, Trajectory

__all__ = [
    "DEPTH_CAP_M",
    "EXO_HFOV_DEG",
    "SimulatedTake",
    "write_calibration",
    "write_ego_video",
    "write_exo_videos",
    "write_gaze",
    "write_gaze2d",
    "write_trajectory",
]

DEPTH_CAP_M = 4.0  # MPS March-2024 vergence files cap depth_m at 4 m
EXO_HFOV_DEG = 60.0  # horizontal field of view of the static exo cameras


@dataclass(frozen=True)
class SimulatedTake:
    """Everything drawn for one take; the writers only render and write it.

    Attributes:
        scene: the scenario's scene.
        behaviour: the simulated head, gaze and action timeline.
        calibration: the site's Aria device calibration.
        T_world_device: (M, 4, 4) device poses at the head rate.
        start_us: device-clock time of the first sample (microseconds).
        gaze_step: video frames per gaze sample (the gaze rate is the video rate / gaze_step).
        session_uid: the gaze CSV's ``session_uid``.
        audio: (S,) microphone samples at :data:`AUDIO_RATE_HZ`, or None (no audio track).
    """

    scene: SceneSpec
    behaviour: TakeBehaviour
    calibration: DeviceCalibration
    T_world_device: np.ndarray
    start_us: int
    gaze_step: int
    session_uid: str
    audio: np.ndarray | None

    @property
    def gaze_samples(self) -> slice:
        """The video frames that carry a gaze sample."""
        return slice(None, None, self.gaze_step)

    @property
    def gaze_us(self) -> np.ndarray:
        """(G,) int64 gaze sample times on the device clock (microseconds)."""
        frame_s = self.behaviour.frame_times_s[self.gaze_samples]
        return self.start_us + np.round(frame_s * 1e6).astype(np.int64)


def write_trajectory(take_dir: Path, take: SimulatedTake) -> None:
    """``trajectory/closed_loop_trajectory.csv``: the device poses, all of quality 1."""
    head_us = take.start_us + np.round(take.behaviour.head_times_s * 1e6).astype(np.int64)
    q_xyzw = matrix_to_quat_xyzw(take.T_world_device[:, :3, :3])  # (M, 4)
    write_trajectory_csv(
        take_dir / "trajectory" / "closed_loop_trajectory.csv",
        Trajectory(head_us, take.T_world_device[:, :3, 3], q_xyzw, np.ones(len(head_us))),
    )


def write_gaze(take_dir: Path, take: SimulatedTake) -> None:
    """``eye_gaze/general_eye_gaze.csv`` in the MPS March-2024 vergence layout (depth capped at 4 m)."""
    b, g, gaze_us = take.behaviour, take.gaze_samples, take.gaze_us
    yaw, pitch, depth = b.yaw_rad[g], b.pitch_rad[g], b.depth_m[g]
    left, right = combined_to_vergence(yaw, pitch, depth)
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
        session_uid=take.session_uid,
    )


def write_gaze2d(take_dir: Path, take: SimulatedTake) -> None:
    """``eye_gaze/general_eye_gaze_2d.csv``: the gaze point on the upright 1408 px RGB image."""
    point_cpf_m = take.behaviour.point_cpf_m[take.gaze_samples]
    xy = project_gaze_to_rgb(point_cpf_m, take.calibration, upright=True, upright_mode="rotate_image")
    track = Gaze2DTrack(take.gaze_us, xy, (1408, 1408))
    write_gaze2d_csv(take_dir / "eye_gaze/general_eye_gaze_2d.csv", track)


def write_calibration(take_dir: Path, take: SimulatedTake) -> None:
    """``device_calibration.json``: the Aria calibration JSON (CPF and RGB camera)."""
    write_device_calibration_json(take_dir / "device_calibration.json", take.calibration)


def write_ego_video(path: Path, take: SimulatedTake, frame_px: int, fps: int) -> None:
    """The ego camera's upright fisheye view of the scene (no body), with the take's audio if any."""
    b, calib = take.behaviour, take.calibration
    rays, valid = ego_pixel_rays(calib, frame_px)
    T_world_camera = take.T_world_device[b.frame_head_index] @ calib.T_device_camera  # (N, 4, 4)
    spheres = scene_spheres(take.scene, b, with_body=False)
    frames = render_view(
        take.scene, spheres, T_world_camera[:, :3, 3], T_world_camera[:, :3, :3], rays, frame_px, valid
    )
    write_video(path, frames, fps, audio=take.audio, audio_rate_hz=AUDIO_RATE_HZ)


def write_exo_videos(
    video_dir: Path, take: SimulatedTake, cameras: tuple[str, ...], frame_px: int, fps: int
) -> None:
    """``<cam>.mp4`` for each exo camera: a static pinhole view of the scene with the body."""
    b = take.behaviour
    spheres = scene_spheres(take.scene, b, with_body=True)
    rays = pinhole_pixel_rays(frame_px, EXO_HFOV_DEG)
    n = len(b.frame_times_s)
    for cam, pose in zip(cameras, exo_camera_poses(len(cameras))):
        frames = render_view(
            take.scene,
            spheres,
            np.broadcast_to(pose[:3, 3], (n, 3)),
            np.broadcast_to(pose[:3, :3], (n, 3, 3)),
            rays,
            frame_px,
        )
        write_video(video_dir / f"{cam}.mp4", frames, fps)
