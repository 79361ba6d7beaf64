"""Synthetic face images whose eyes encode gaze, for PriviGaze tests and the CPU demo.

A parametric face is rendered analytically (vectorised numpy over the whole batch): a skin
ellipse on a background, two almond-shaped eyes with an iris and pupil, eyebrows, a nose and a
mouth. Per sample the generator draws a head pose, an eye-in-head rotation, lighting (gain,
left-right/top-bottom gradient, gamma), eyelid droop, defocus blur and sensor noise.

World rule (stated, not physical): gaze (pitch, yaw) = head (pitch, yaw) + eye-in-head (pitch, yaw).
Head pose shifts the inner features (eyes, nose, mouth) against the face outline; the eye-in-head
rotation shifts the iris inside the eye opening. Positive yaw moves features to the image's left,
positive pitch moves them up (a person facing the camera; the (pitch, yaw) convention of
:mod:`skillsight.projects.gaze_estimation.angles`).

The eye crops are rendered from the same analytic face on their own finer pixel grid, so the
teacher's privileged eye crops carry more detail than the eye region of the face image, as real
eye crops cut from a high-resolution camera frame do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillsight.exceptions import ConfigError

__all__ = ["EYE_CROP_GEOMETRY", "FaceArrays", "SyntheticFaceConfig", "generate_synthetic_faces"]

#: Eye crop geometry in face-normalised units (face image spans [-1, 1] on both axes):
#: the crop is centred on the eye centre and is ``EYE_CROP_GEOMETRY['width'] * face_scale`` wide.
EYE_CROP_GEOMETRY = {"width": 0.5, "aspect": 0.6}


@dataclass(frozen=True)
class SyntheticFaceConfig:
    """Ranges of the synthetic world (angles in degrees, sizes in pixels).

    Attributes:
        face_size: face image side (square, pixels). The paper uses 224; the CPU demo 64.
        eye_size: (height, width) of each eye crop in pixels.
        head_range_deg: head pitch/yaw uniform in [-r, r].
        eye_range_deg: eye-in-head pitch/yaw uniform in [-r, r].
        droop_max: largest eyelid droop (fraction of the eye opening covered from the top).
        blur_max_px: largest defocus blur sigma, in face-image pixels.
        noise_max: largest sensor noise standard deviation (image in [0, 1]).
        gamma_range: lighting gamma uniform in this range.
    """

    face_size: int = 64
    eye_size: tuple[int, int] = (32, 48)
    head_range_deg: float = 15.0
    eye_range_deg: float = 20.0
    droop_max: float = 0.5
    blur_max_px: float = 1.0
    noise_max: float = 0.04
    gamma_range: tuple[float, float] = (0.6, 1.6)

    def __post_init__(self) -> None:
        if self.face_size < 16:
            raise ConfigError(f"SyntheticFaceConfig.face_size must be >= 16, got {self.face_size}")
        if min(self.eye_size) < 8:
            raise ConfigError(f"SyntheticFaceConfig.eye_size must be >= 8 px, got {self.eye_size}")
        if not 0.0 <= self.droop_max < 1.0:
            raise ConfigError(f"SyntheticFaceConfig.droop_max must be in [0, 1), got {self.droop_max}")


@dataclass
class FaceArrays:
    """A face-gaze set held in memory.

    Attributes:
        face_rgb: (N, S, S, 3) uint8 RGB face images.
        left_eye: (N, h, w, 3) uint8 RGB crop of the subject's left eye (image right).
        right_eye: (N, h, w, 3) uint8 RGB crop of the subject's right eye (image left).
        pitchyaw_rad: (N, 2) float32 gaze (pitch, yaw).
        subject_ids: (N,) str subject of each sample (for grouped splits).
        head_pitchyaw_rad: (N, 2) float32 head pose where known (NaN otherwise).
        source: where the samples came from.
    """

    face_rgb: np.ndarray
    left_eye: np.ndarray
    right_eye: np.ndarray
    pitchyaw_rad: np.ndarray
    subject_ids: np.ndarray
    head_pitchyaw_rad: np.ndarray
    source: str = "synthetic"

    def __len__(self) -> int:
        return int(self.pitchyaw_rad.shape[0])

    def subset(self, index: np.ndarray) -> FaceArrays:
        """Rows ``index`` (int array or boolean mask) as a new FaceArrays."""
        return FaceArrays(
            self.face_rgb[index],
            self.left_eye[index],
            self.right_eye[index],
            self.pitchyaw_rad[index],
            self.subject_ids[index],
            self.head_pitchyaw_rad[index],
            self.source,
        )


def _draw_params(n: int, cfg: SyntheticFaceConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Per-sample parameters, each (n,) float64 (colours (n, 3))."""

    def u(lo: float, hi: float, shape: tuple[int, ...] = (n,)) -> np.ndarray:
        return rng.uniform(lo, hi, size=shape)

    head = np.radians(u(-cfg.head_range_deg, cfg.head_range_deg, (n, 2)))
    eye = np.radians(u(-cfg.eye_range_deg, cfg.eye_range_deg, (n, 2)))
    return {
        "head_pitch": head[:, 0],
        "head_yaw": head[:, 1],
        "eye_pitch": eye[:, 0],
        "eye_yaw": eye[:, 1],
        "cx": u(-0.08, 0.08),
        "cy": u(-0.06, 0.06),
        "scale": u(0.68, 0.82),
        "eye_sep": u(0.36, 0.44),
        "eye_w": u(0.15, 0.18),
        "eye_h": u(0.075, 0.09),
        "skin": u(0.45, 0.9, (n, 3)) * np.array([1.0, 0.8, 0.7]),
        "bg": u(0.0, 1.0, (n, 3)),
        "iris": u(0.1, 0.5, (n, 3)),
        "droop": u(0.0, cfg.droop_max),
        "gain": u(0.55, 1.25),
        "grad_x": u(-0.45, 0.45),
        "grad_y": u(-0.3, 0.3),
        "gamma": u(*cfg.gamma_range),
        "blur": u(0.0, cfg.blur_max_px),
        "noise": u(0.0, cfg.noise_max),
    }


def _ellipse(du: np.ndarray, dv: np.ndarray, ru: np.ndarray, rv: np.ndarray) -> np.ndarray:
    return (du / ru) ** 2 + (dv / rv) ** 2 < 1.0


def _render(p: dict[str, np.ndarray], u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Render faces at face-normalised coordinates. u, v: (n, H, W) (u right, v down) -> (n, H, W, 3)."""

    def c(key: str) -> np.ndarray:
        return p[key][:, None, None]

    s = c("scale")
    # Head pose moves the inner features against the outline (a rotated 3D head seen from the front).
    shift_u = -np.sin(c("head_yaw")) * 0.45 * s
    shift_v = -np.sin(c("head_pitch")) * 0.45 * s
    fu, fv = c("cx"), c("cy")
    img = np.broadcast_to(p["bg"][:, None, None, :], (*u.shape, 3)).copy()
    face = _ellipse(u - fu, v - fv, 0.78 * s, s)
    img[face] = np.broadcast_to(p["skin"][:, None, None, :], img.shape)[face]
    dark = np.broadcast_to((p["skin"] * 0.35)[:, None, None, :], img.shape)
    for part_u, part_v, ru, rv in (
        (0.0, 0.12, 0.06, 0.14),  # nose
        (0.0, 0.55, 0.26, 0.06),  # mouth
        (-0.40, -0.42, 0.17, 0.035),
        (0.40, -0.42, 0.17, 0.035),  # eyebrows
    ):
        mask = _ellipse(u - fu - shift_u - part_u * s, v - fv - shift_v - part_v * s, ru * s, rv * s) & face
        img[mask] = dark[mask]
    iris_u = -np.sin(c("eye_yaw")) * 0.9 * c("eye_w") * s
    iris_v = -np.sin(c("eye_pitch")) * 0.9 * c("eye_h") * s
    for side in (-1.0, 1.0):
        du = u - fu - shift_u - side * c("eye_sep") * s
        dv = v - fv - shift_v + 0.2 * s
        ew, eh = c("eye_w") * s, c("eye_h") * s
        eye = _ellipse(du, dv, ew, eh) & face
        img[eye] = 0.95
        r_iris = 0.85 * eh
        iris = eye & ((du - iris_u) ** 2 + (dv - iris_v) ** 2 < r_iris**2)
        img[iris] = np.broadcast_to(p["iris"][:, None, None, :], img.shape)[iris]
        pupil = eye & ((du - iris_u) ** 2 + (dv - iris_v) ** 2 < (0.4 * r_iris) ** 2)
        img[pupil] = 0.03
        lid = eye & (dv < -eh + 2.0 * eh * c("droop"))
        img[lid] = (np.broadcast_to(p["skin"][:, None, None, :], img.shape) * 0.8)[lid]
    light = c("gain") * (1.0 + c("grad_x") * u + c("grad_y") * v)
    img = np.clip(img * light[..., None], 0.0, 1.0) ** p["gamma"][:, None, None, None]
    return img


def _blur_and_noise(
    img: np.ndarray, sigma_px: np.ndarray, noise: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Per-sample Gaussian blur (FFT, periodic edges) and noise. img (n, H, W, 3) -> uint8."""
    _n, h, w, _ = img.shape
    fy = np.fft.fftfreq(h)[:, None]
    fx = np.fft.rfftfreq(w)[None, :]
    kernel = np.exp(-2.0 * np.pi**2 * sigma_px[:, None, None] ** 2 * (fx**2 + fy**2))  # (n, H, W//2+1)
    spec = np.fft.rfft2(img, axes=(1, 2)) * kernel[..., None]
    out = np.fft.irfft2(spec, s=(h, w), axes=(1, 2))
    out = out + rng.standard_normal(out.shape) * noise[:, None, None, None]
    return np.clip(np.round(out * 255.0), 0, 255).astype(np.uint8)


def generate_synthetic_faces(
    n: int, seed: int, config: SyntheticFaceConfig | None = None, chunk: int = 256, n_subjects: int = 20
) -> FaceArrays:
    """Render ``n`` synthetic faces with eye crops and gaze labels, deterministically from ``seed``.

    Args:
        n: number of samples.
        seed: random seed; the same (n, seed, config) gives identical arrays.
        config: ranges of the synthetic world (defaults: 64 px faces, 32x48 eye crops).
        chunk: samples rendered at once (bounds memory).
        n_subjects: samples are assigned round-robin to this many pseudo-subjects.

    Returns:
        FaceArrays with face_rgb (n, S, S, 3), left/right eye (n, h, w, 3) uint8 and pitchyaw_rad (n, 2).
    """
    cfg = config or SyntheticFaceConfig()
    if n < 1:
        raise ConfigError(f"generate_synthetic_faces needs n >= 1, got {n}")
    rng = np.random.default_rng(seed)
    p = _draw_params(n, cfg, rng)
    S = cfg.face_size
    eh_px, ew_px = cfg.eye_size
    grid = (np.arange(S) + 0.5) / S * 2.0 - 1.0  # pixel centres in [-1, 1]
    faces = np.empty((n, S, S, 3), np.uint8)
    eyes = {side: np.empty((n, eh_px, ew_px, 3), np.uint8) for side in ("left", "right")}
    for start in range(0, n, chunk):
        sl = slice(start, min(n, start + chunk))
        pc = {k: v[sl] for k, v in p.items()}
        m = sl.stop - sl.start
        u = np.broadcast_to(grid[None, None, :], (m, S, S))
        v = np.broadcast_to(grid[None, :, None], (m, S, S))
        faces[sl] = _blur_and_noise(_render(pc, u, v), pc["blur"], pc["noise"], rng)
        s = pc["scale"]
        crop_w = EYE_CROP_GEOMETRY["width"] * s  # face units
        crop_h = crop_w * eh_px / ew_px
        px_ratio = (ew_px / crop_w) / (S / 2.0)  # eye-crop pixels per face-image pixel, (m,)
        for side_name, side in (("right", -1.0), ("left", 1.0)):  # subject's right eye is on the image left
            cu = pc["cx"] - np.sin(pc["head_yaw"]) * 0.45 * s + side * pc["eye_sep"] * s
            cv = pc["cy"] - np.sin(pc["head_pitch"]) * 0.45 * s - 0.2 * s
            gu = ((np.arange(ew_px) + 0.5) / ew_px - 0.5)[None, None, :] * crop_w[:, None, None] + cu[
                :, None, None
            ]
            gv = ((np.arange(eh_px) + 0.5) / eh_px - 0.5)[None, :, None] * crop_h[:, None, None] + cv[
                :, None, None
            ]
            gu, gv = np.broadcast_arrays(gu, gv)
            eyes[side_name][sl] = _blur_and_noise(
                _render(pc, gu, gv), pc["blur"] * px_ratio, pc["noise"], rng
            )
    gaze = np.stack([p["head_pitch"] + p["eye_pitch"], p["head_yaw"] + p["eye_yaw"]], axis=1)
    head = np.stack([p["head_pitch"], p["head_yaw"]], axis=1)
    subjects = np.array([f"synth{int(i):03d}" for i in range(n_subjects)])[np.arange(n) % n_subjects]
    return FaceArrays(
        faces,
        eyes["left"],
        eyes["right"],
        gaze.astype(np.float32),
        subjects,
        head.astype(np.float32),
        source=f"synthetic(seed={seed})",
    )
