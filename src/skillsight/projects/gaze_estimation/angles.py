"""Gaze angles for face-image gaze estimation: (pitch, yaw) <-> 3D vector, angular error, bins.

Convention (the PriviGaze paper's, also ETH-XGaze's): angles are ordered ``(pitch, yaw)``
everywhere, in radians unless a name says ``_deg``; the unit vector is
``x = cos(p) sin(y), y = sin(p), z = cos(p) cos(y)``. Pitch > 0 looks up; ``(0, 0)`` looks
straight along +z (at the camera for face datasets). Every function has a numpy version and a
torch version (suffix ``_torch``) that computes the same thing, so training losses and
numpy evaluation agree.

Binned regression (L2CS-Net): an angle range ``[lo, hi)`` is cut into ``num_bins`` equal bins;
the class of an angle is its bin, the continuous estimate is the softmax expectation of the
*bin centres* (L2CS's code uses the bin's lower edge, a half-bin bias; we use centres).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from skillsight.exceptions import ConfigError

__all__ = [
    "BINS_GAZE360",
    "BINS_MPIIFACEGAZE",
    "DATASET_BINS",
    "AngleBins",
    "angular_error_deg",
    "angular_error_deg_torch",
    "pitchyaw_to_vector",
    "pitchyaw_to_vector_torch",
    "vector_to_pitchyaw",
]


@dataclass(frozen=True)
class AngleBins:
    """Equal-width angle bins over ``[lo_deg, lo_deg + num_bins * width_deg)``.

    Attributes:
        num_bins: number of classes per angle.
        width_deg: bin width in degrees.
        lo_deg: lower edge of bin 0 in degrees.
    """

    num_bins: int
    width_deg: float
    lo_deg: float

    def __post_init__(self) -> None:
        if self.num_bins < 2:
            raise ConfigError(f"AngleBins.num_bins must be >= 2, got {self.num_bins}")
        if not self.width_deg > 0:
            raise ConfigError(f"AngleBins.width_deg must be > 0, got {self.width_deg}")

    @property
    def hi_deg(self) -> float:
        """Upper (exclusive) edge in degrees."""
        return self.lo_deg + self.num_bins * self.width_deg

    def centres_deg(self) -> np.ndarray:
        """(num_bins,) float64 bin centres in degrees."""
        return self.lo_deg + (np.arange(self.num_bins, dtype=np.float64) + 0.5) * self.width_deg

    def centres_deg_torch(self, device: torch.device | None = None) -> torch.Tensor:
        """(num_bins,) float32 bin centres in degrees as a tensor."""
        return torch.as_tensor(self.centres_deg(), dtype=torch.float32, device=device)

    def encode(self, angle_deg: np.ndarray) -> np.ndarray:
        """Bin index of each angle (int64, same shape); angles outside the range clip to the end bins."""
        idx = np.floor((np.asarray(angle_deg, dtype=np.float64) - self.lo_deg) / self.width_deg)
        return np.clip(idx, 0, self.num_bins - 1).astype(np.int64)

    def encode_torch(self, angle_deg: torch.Tensor) -> torch.Tensor:
        """Torch version of :meth:`encode` (int64)."""
        idx = torch.floor((angle_deg - self.lo_deg) / self.width_deg)
        return idx.clamp(0, self.num_bins - 1).long()

    def decode(self, index: np.ndarray) -> np.ndarray:
        """Centre (degrees) of each bin index."""
        index = np.asarray(index)
        if index.size and (index.min() < 0 or index.max() >= self.num_bins):
            raise ConfigError(
                f"bin index out of range [0, {self.num_bins}): min {index.min()}, max {index.max()}"
            )
        return self.lo_deg + (index.astype(np.float64) + 0.5) * self.width_deg

    def expectation_deg(self, logits: np.ndarray) -> np.ndarray:
        """Softmax expectation of bin centres. logits (..., num_bins) -> (...) degrees."""
        logits = np.asarray(logits, dtype=np.float64)
        z = logits - logits.max(axis=-1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=-1, keepdims=True)
        return p @ self.centres_deg()

    def expectation_deg_torch(self, logits: torch.Tensor) -> torch.Tensor:
        """Torch version of :meth:`expectation_deg` (differentiable)."""
        return torch.softmax(logits, dim=-1) @ self.centres_deg_torch(logits.device).to(logits.dtype)

    def to_dict(self) -> dict[str, float]:
        return {"num_bins": self.num_bins, "width_deg": self.width_deg, "lo_deg": self.lo_deg}


#: L2CS-Net defaults: Gaze360 90 bins of 4 degrees over [-180, 180); MPIIFaceGaze 28 of 3 over [-42, 42).
BINS_GAZE360 = AngleBins(num_bins=90, width_deg=4.0, lo_deg=-180.0)
BINS_MPIIFACEGAZE = AngleBins(num_bins=28, width_deg=3.0, lo_deg=-42.0)
#: per-dataset defaults (ETH-XGaze covers a wide range, so it uses the Gaze360 bins).
DATASET_BINS: dict[str, AngleBins] = {
    "gaze360": BINS_GAZE360,
    "ethxgaze": BINS_GAZE360,
    "mpiifacegaze": BINS_MPIIFACEGAZE,
    "synthetic": BINS_MPIIFACEGAZE,
}


def pitchyaw_to_vector(pitchyaw_rad: np.ndarray) -> np.ndarray:
    """(..., 2) (pitch, yaw) radians -> (..., 3) unit vectors."""
    py = np.asarray(pitchyaw_rad, dtype=np.float64)
    if py.shape[-1] != 2:
        raise ConfigError(f"pitchyaw_rad must end in 2 (pitch, yaw), got shape {py.shape}")
    p, y = py[..., 0], py[..., 1]
    return np.stack([np.cos(p) * np.sin(y), np.sin(p), np.cos(p) * np.cos(y)], axis=-1)


def vector_to_pitchyaw(vector: np.ndarray) -> np.ndarray:
    """(..., 3) vectors (any length > 0) -> (..., 2) (pitch, yaw) radians."""
    v = np.asarray(vector, dtype=np.float64)
    if v.shape[-1] != 3:
        raise ConfigError(f"vector must end in 3 (x, y, z), got shape {v.shape}")
    norm = np.linalg.norm(v, axis=-1)
    if np.any(norm == 0):
        raise ConfigError("vector_to_pitchyaw got a zero-length vector")
    v = v / norm[..., None]
    pitch = np.arcsin(np.clip(v[..., 1], -1.0, 1.0))
    yaw = np.arctan2(v[..., 0], v[..., 2])
    return np.stack([pitch, yaw], axis=-1)


def angular_error_deg(pred_pitchyaw_rad: np.ndarray, true_pitchyaw_rad: np.ndarray) -> np.ndarray:
    """Angle in degrees between the 3D gaze vectors of two (..., 2) (pitch, yaw) arrays -> (...)."""
    a = pitchyaw_to_vector(pred_pitchyaw_rad)
    b = pitchyaw_to_vector(true_pitchyaw_rad)
    cos = np.clip(np.sum(a * b, axis=-1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def pitchyaw_to_vector_torch(pitchyaw_rad: torch.Tensor) -> torch.Tensor:
    """Torch version of :func:`pitchyaw_to_vector`: (..., 2) -> (..., 3)."""
    p, y = pitchyaw_rad[..., 0], pitchyaw_rad[..., 1]
    return torch.stack([torch.cos(p) * torch.sin(y), torch.sin(p), torch.cos(p) * torch.cos(y)], dim=-1)


def angular_error_deg_torch(pred_pitchyaw_rad: torch.Tensor, true_pitchyaw_rad: torch.Tensor) -> torch.Tensor:
    """Torch version of :func:`angular_error_deg` (for metrics; not used as a loss: acos' gradient
    is infinite at 0)."""
    a = pitchyaw_to_vector_torch(pred_pitchyaw_rad)
    b = pitchyaw_to_vector_torch(true_pitchyaw_rad)
    cos = torch.sum(a * b, dim=-1).clamp(-1.0, 1.0)
    return torch.rad2deg(torch.acos(cos))
