"""Video(+gaze)-to-attribute mapper (CrossTrainer stage I, offline).

Frozen features of any registered backbone at 1 per second -> 2-layer GELU MLP -> multi-label
attribute logits. Proficiency is a linear probe on the mapper's hidden layer (the attribute-trained
representation), averaged over a take's seconds.

Features: for each take, ``floor(duration_s)`` clips (at least one), one starting near every second
(:class:`~skillsight.data.datasets.SkillClipDataset` test mode), each as long as the backbone's example
input (its frame count sampled at that many frames per second, i.e. about one second of video). The
backbone's output ``"features"`` (or ``"distill_embedding"`` / ``"embedding"``) is the feature; several
backbones are concatenated (e.g. a video and a gaze model). A backbone is a registered model name
(random init unless the user has weights) or a checkpoint path saved by ``save_model``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from skillsight.data.datasets import SkillClipDataset
from skillsight.data.records import Take
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models import register_model
from skillsight.models.layers.base import DeclaredInputsModule

__all__ = [
    "FEATURE_KEYS",
    "AttributeMapper",
    "ProficiencyProbe",
    "TakeFeatures",
    "extract_features",
    "load_backbone",
]

FEATURE_KEYS: tuple[str, ...] = ("features", "distill_embedding", "embedding")


@dataclass
class TakeFeatures:
    """Per-second features of one take: ``times_s`` (S,) clip centres, ``features`` (S, D) float32."""

    take_uid: str
    times_s: np.ndarray
    features: np.ndarray


def load_backbone(spec: str | DeclaredInputsModule, seed: int = 0, **model_kwargs) -> DeclaredInputsModule:
    """A frozen backbone in eval mode: a module, a checkpoint path, or a registered model name.

    A registered name is built with ``torch`` seeded by ``seed`` (in a forked RNG, so the caller's random
    state is untouched): the same name gives the same random-init weights in every process. Runs still save
    the backbone they used (see :func:`skillsight.projects.attributes.pipeline.train`) so evaluation never
    depends on this.
    """
    if isinstance(spec, nn.Module):
        model = spec
    elif Path(str(spec)).with_suffix(".json").is_file():
        from skillsight.runs.checkpoint import load_model

        model = load_model(spec)
    else:
        from skillsight.models import create_model

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            model = create_model(str(spec), **model_kwargs)
    for p in model.parameters():
        p.requires_grad_(False)
    return model.eval()


def _pick_features(out: dict, name: str) -> torch.Tensor:
    for key in FEATURE_KEYS:
        if key in out and out[key].dim() == 2:
            return out[key]
    raise ConfigError(
        f"backbone {name} returns {sorted(out)}; none of {list(FEATURE_KEYS)} to use as features"
    )


@torch.no_grad()
def _one_backbone(
    model: DeclaredInputsModule, takes: Sequence[Take], batch_size: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    name = getattr(model, "model_name", type(model).__name__)
    ex = model.example_inputs(1)
    inputs = tuple(model.input_names)
    T = next(v.shape[1] for k, v in ex.items() if v.dim() >= 2 and k != "scenario")
    frame_px = int(ex["video"].shape[-1]) if "video" in ex else 448
    crop_px = int(ex["crops"].shape[-1]) if "crops" in ex else 224
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for take in takes:
        if take.duration_sec is None:
            raise DataFormatError(
                take.take_uid, "duration_sec", None, f"take {take.take_name} has no duration"
            )
        n_sec = max(1, int(np.floor(take.duration_sec)))
        ds = SkillClipDataset(
            [take],
            inputs,
            mode="test",
            num_clips=n_sec,
            num_frames=int(T),
            sample_fps=float(T),
            frame_size_px=frame_px,
            crop_px=min(crop_px, frame_px),
            crop_out_px=crop_px,
            allow_unlabelled=True,
        )
        feats, times = [], []
        for start in range(0, len(ds), batch_size):
            items = [ds[i] for i in range(start, min(start + batch_size, len(ds)))]
            batch = {k: torch.stack([it[k] for it in items]) for k in inputs}
            feats.append(_pick_features(model(**batch), name).float().numpy())
            for i in range(start, start + len(items)):
                _, _, idx, fps = ds.clip_plan(i)
                times.append(0.5 * (idx[0] + idx[-1] + 1) / fps)
        out[take.take_uid] = (np.asarray(times), np.concatenate(feats))
    return out


def extract_features(
    takes: Sequence[Take], backbones: Sequence[str | DeclaredInputsModule], batch_size: int = 16
) -> dict[str, TakeFeatures]:
    """Per-second features of every take, backbones concatenated along D.

    Returns:
        take_uid -> TakeFeatures with (S, sum of backbone dims) features.
    """
    if not backbones:
        raise ConfigError("extract_features needs at least one backbone")
    per = [_one_backbone(load_backbone(b), takes, batch_size) for b in backbones]
    result = {}
    for take in takes:
        times = per[0][take.take_uid][0]
        feats = np.concatenate([p[take.take_uid][1] for p in per], axis=1).astype(np.float32)  # (S, D)
        result[take.take_uid] = TakeFeatures(take.take_uid, times, feats)
    return result


class AttributeMapper(DeclaredInputsModule):
    """(B, D) standardised features -> Linear -> GELU -> Linear -> (B, K) attribute logits.

    Its input ``x`` is a backbone's per-second features (no sensor of its own).

    Args:
        in_dim: feature size D.
        num_attributes: K.
        hidden_dim: width of the hidden (representation) layer.
    """

    input_names = ("x",)
    sensors = ("rgb",)  # x: frozen-backbone features of the egocentric video
    mean: torch.Tensor  # (D,) buffer: training feature mean
    std: torch.Tensor  # (D,) buffer: training feature std

    def __init__(self, in_dim: int, num_attributes: int, hidden_dim: int = 128, dropout: float = 0.1) -> None:
        super().__init__()
        self.in_dim = in_dim
        self.register_buffer("mean", torch.zeros(in_dim))
        self.register_buffer("std", torch.ones(in_dim))
        self.fc1 = nn.Linear(in_dim, hidden_dim)
        self.act = nn.GELU()
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden_dim, num_attributes)

    def representation(self, x: torch.Tensor) -> torch.Tensor:
        """(B, D) -> (B, H) hidden layer after GELU."""
        return self.act(self.fc1((x - self.mean) / self.std))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.representation(x)  # (B, H)
        return {"logits": self.fc2(self.drop(h)), "hidden": h}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        return {"x": torch.randn(batch_size, self.in_dim)}


class ProficiencyProbe(DeclaredInputsModule):
    """Linear probe (multinomial logistic regression) on (B, H) take representations ``h`` -> (B, C) logits.

    Its parameters are ``weight`` and ``bias`` (the state-dict names of the ``nn.Linear`` earlier run
    folders saved), so those folders load.
    """

    input_names = ("h",)
    sensors = ("rgb",)  # h: the mapper's representation of video features

    def __init__(self, hidden_dim: int, num_classes: int = 4) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(num_classes, hidden_dim))  # (C, H)
        self.bias = nn.Parameter(torch.empty(num_classes))  # (C,)
        layer = nn.Linear(hidden_dim, num_classes)  # torch's Linear initialisation, as before
        with torch.no_grad():
            self.weight.copy_(layer.weight)
            self.bias.copy_(layer.bias)

    def forward(self, h: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": nn.functional.linear(h, self.weight, self.bias)}

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        return {"h": torch.randn(batch_size, self.weight.shape[1])}


# Registered so the one training loop saves and reloads them like every model (skillsight.runs.checkpoint).
register_model("attribute_mapper")(AttributeMapper)
register_model("proficiency_probe")(ProficiencyProbe)


@register_model("test_attribute_mapper")
def test_attribute_mapper() -> AttributeMapper:
    """Tiny mapper for the model contract tests: 16 features, 4 attributes, 8 hidden units."""
    return AttributeMapper(in_dim=16, num_attributes=4, hidden_dim=8)


@register_model("test_proficiency_probe")
def test_proficiency_probe() -> ProficiencyProbe:
    """Tiny probe for the model contract tests: 8 hidden units, 4 proficiency levels."""
    return ProficiencyProbe(hidden_dim=8, num_classes=4)
