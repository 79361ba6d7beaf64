"""PriviGaze losses (the PriviGaze paper and its model card).

``L = 1.0 L_task + 1.0 L_angular + 0.5 L_contrast + 0.1 L_mmd + 0.5 L_logit``

Reductions, the same for every term: per-angle terms are *summed* over the two angles (pitch,
yaw), as L2CS-Net sums its pitch and yaw losses; per-sample terms are *averaged* over the batch.
Angles are in degrees inside the losses (L2CS's MSE is on degrees).

- ``L_task``: cross-entropy on the true bin + MSE between the softmax expectation and the true angle.
- ``L_angular``: L1 between predicted and true (pitch, yaw), degrees (an L1 companion to the MSE,
  robust to outliers; the 3D angle itself is the metric, not a loss: acos has an infinite
  gradient at zero error).
- ``L_contrast``: InfoNCE; a student feature's positive is the teacher feature of the same
  sample, the other samples of the batch are negatives (cosine similarity / temperature).
- ``L_mmd``: squared maximum mean discrepancy (biased estimator) between the batches of
  L2-normalised student and teacher features, sum of Gaussian kernels of several bandwidths.
- ``L_logit``: ``T^2 KL(softmax(teacher/T) || softmax(student/T))`` on the bin logits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

from skillsight.projects.gaze_estimation.angles import AngleBins

__all__ = [
    "LossWeights",
    "angular_l1_loss",
    "binned_task_loss",
    "distillation_loss",
    "info_nce_loss",
    "logit_kl_loss",
    "mmd_loss",
    "teacher_loss",
]


@dataclass(frozen=True)
class LossWeights:
    """Weights of the PriviGaze loss terms (the paper's defaults)."""

    task: float = 1.0
    angular: float = 1.0
    contrast: float = 0.5
    mmd: float = 0.1
    logit: float = 0.5
    #: L2CS's alpha inside the task term: CE + alpha * MSE (degrees^2). L2CS uses 1.
    task_mse_alpha: float = 1.0

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


def binned_task_loss(
    logits: torch.Tensor, target_deg: torch.Tensor, bins: AngleBins, alpha: float = 1.0
) -> torch.Tensor:
    """L2CS loss: CE on the bin + alpha * MSE (degrees^2) of the softmax expectation, summed over angles.

    Args:
        logits: (B, 2, num_bins) pitch and yaw bin logits.
        target_deg: (B, 2) true (pitch, yaw) in degrees.
        bins: the angle bins the logits refer to.
        alpha: weight of the MSE inside the term (L2CS: 1).
    """
    B, A, K = logits.shape
    target_bins = bins.encode_torch(target_deg)  # (B, 2)
    ce = F.cross_entropy(logits.reshape(B * A, K), target_bins.reshape(B * A), reduction="none").reshape(B, A)
    expectation = bins.expectation_deg_torch(logits)  # (B, 2)
    mse = (expectation - target_deg) ** 2  # (B, 2)
    return (ce + alpha * mse).mean(dim=0).sum()


def angular_l1_loss(pred_deg: torch.Tensor, target_deg: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of |pitch error| + |yaw error|, degrees. pred/target (B, 2)."""
    return (pred_deg - target_deg).abs().sum(dim=1).mean()


def info_nce_loss(student: torch.Tensor, teacher: torch.Tensor, temperature: float = 0.1) -> torch.Tensor:
    """InfoNCE with in-batch negatives. student, teacher: (B, D) features of the same samples."""
    s = F.normalize(student, dim=-1)
    t = F.normalize(teacher, dim=-1)
    logits = s @ t.T / temperature  # (B, B)
    return F.cross_entropy(logits, torch.arange(s.shape[0], device=s.device))


def mmd_loss(x: torch.Tensor, y: torch.Tensor, bandwidths: Sequence[float] = (0.5, 1.0, 2.0)) -> torch.Tensor:
    """Biased squared MMD between L2-normalised (Bx, D) and (By, D) feature batches.

    ``k(a, b) = sum_s exp(-|a - b|^2 / (2 s^2))``; ``MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)``.
    """
    x = F.normalize(x, dim=-1)
    y = F.normalize(y, dim=-1)

    def kernel(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d2 = (a[:, None, :] - b[None, :, :]).pow(2).sum(-1)  # (Na, Nb)
        total = torch.zeros_like(d2)
        for s in bandwidths:
            total = total + torch.exp(-d2 / (2.0 * s * s))
        return total

    return kernel(x, x).mean() + kernel(y, y).mean() - 2.0 * kernel(x, y).mean()


def logit_kl_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 2.0
) -> torch.Tensor:
    """``T^2 KL(p_teacher || p_student)`` on softened bin logits (B, 2, K); batch mean, angle sum."""
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)
    log_p_t = F.log_softmax(teacher_logits / temperature, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(dim=-1)  # (B, 2)
    return temperature**2 * kl.mean(dim=0).sum()


def teacher_loss(
    out: dict[str, torch.Tensor],
    target_deg: torch.Tensor,
    bins: AngleBins,
    weights: LossWeights = LossWeights(),
) -> dict[str, torch.Tensor]:
    """Loss of a model trained on labels only (the teacher, or the student without distillation)."""
    task = binned_task_loss(out["logits"], target_deg, bins, weights.task_mse_alpha)
    angular = angular_l1_loss(out["pitchyaw_deg"], target_deg)
    return {"task": task, "angular": angular, "loss": weights.task * task + weights.angular * angular}


def distillation_loss(
    student_out: dict[str, torch.Tensor],
    teacher_out: dict[str, torch.Tensor],
    student_features_in_teacher_space: torch.Tensor,
    target_deg: torch.Tensor,
    bins: AngleBins,
    weights: LossWeights = LossWeights(),
    nce_temperature: float = 0.1,
    kd_temperature: float = 2.0,
) -> dict[str, torch.Tensor]:
    """All five terms and their weighted sum ``"loss"``.

    Args:
        student_out, teacher_out: model outputs (``logits`` (B, 2, K), ``pitchyaw_deg``, ``features``);
            the teacher's are treated as constants (detached here).
        student_features_in_teacher_space: (B, D_teacher) student features after the task's projection.
        target_deg: (B, 2) true (pitch, yaw) in degrees.
    """
    t_feat = teacher_out["features"].detach()
    terms = teacher_loss(student_out, target_deg, bins, weights)
    contrast = info_nce_loss(student_features_in_teacher_space, t_feat, nce_temperature)
    mmd = mmd_loss(student_features_in_teacher_space, t_feat)
    logit = logit_kl_loss(student_out["logits"], teacher_out["logits"].detach(), kd_temperature)
    total = terms["loss"] + weights.contrast * contrast + weights.mmd * mmd + weights.logit * logit
    return {**terms, "contrast": contrast, "mmd": mmd, "logit": logit, "loss": total}
