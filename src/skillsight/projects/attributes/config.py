"""The attribute method's training config (``skillsight attributes train --config PRESET|FILE --set ...``):
which takes and backbones (``data``), the attribute mapper (``mapper``), the proficiency probe
(``probe``), and the one loop's ``trainer`` settings shared by both fits.

Both are full-batch fits (every labelled second, or every labelled take, in one batch): ``steps``
optimiser steps over the whole set, i.e. the hand-written loop's epochs, as one pass of the one loop
(``trainer.max_epochs`` is 1; each step's loss goes to ``steps.csv``).

Preset ``attributes_tiny``: the CPU demo (``timesformer_video_tiny`` features, a 32-wide mapper, AdamW
3e-3 for 100 steps; the probe AdamW 1e-2 for 300 steps; weight decay 1e-3 for both).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from skillsight.config import OptimConfig, TrainerConfig, bounded, register_method

__all__ = ["ATTRIBUTE_PRESETS", "AttributeDataConfig", "AttributesConfig", "MapperConfig", "ProbeConfig"]


@dataclass
class AttributeDataConfig:
    """The dataset, the discovered vocabulary, the frozen backbones that give the per-second features.

    ``train_scenarios`` empty: every scenario (else the zero-shot protocol: train on these only).
    ``scenario_norm``: z-score features per scenario with its own statistics.
    """

    root: str = ""
    attributes_dir: str = ""
    backbones: list[str] = field(default_factory=lambda: ["timesformer_video_tiny"])
    train_scenarios: list[str] = field(default_factory=list)
    scenario_norm: bool = False
    feature_batch_size: int = field(default=16, metadata=bounded(ge=1))


@dataclass
class MapperConfig:
    """The video(+gaze)-to-attribute mapper (2-layer GELU MLP, multi-label BCE) and its fit."""

    hidden_dim: int = field(default=32, metadata=bounded(ge=1))
    dropout: float = field(default=0.1, metadata=bounded(ge=0, lt=1))
    take_context: bool = True  # append the take's mean feature to every second
    threshold: float = field(default=0.5, metadata=bounded(gt=0, lt=1))
    balance: bool = False  # positives weighted by (1 - f) / f (capped at 20); inflates probabilities
    steps: int = field(default=100, metadata=bounded(ge=1))  # full-batch optimiser steps
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=3e-3, weight_decay=1e-3))  # AdamW


@dataclass
class ProbeConfig:
    """The proficiency probe (a linear layer on the mapper's mean hidden layer per take) and its fit."""

    steps: int = field(default=300, metadata=bounded(ge=1))  # full-batch optimiser steps
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=1e-2, weight_decay=1e-3))  # AdamW


@dataclass
class AttributesConfig:
    """Everything ``attributes train`` needs (written to the run's ``config.json``)."""

    name: str = "attributes"
    data: AttributeDataConfig = field(default_factory=AttributeDataConfig)
    mapper: MapperConfig = field(default_factory=MapperConfig)
    probe: ProbeConfig = field(default_factory=ProbeConfig)
    trainer: TrainerConfig = field(
        default_factory=lambda: TrainerConfig(max_epochs=1, progress_bar=False, log_every_n_steps=10)
    )


ATTRIBUTE_PRESETS = register_method("attributes", AttributesConfig)


@ATTRIBUTE_PRESETS.register("attributes_tiny")
def _tiny() -> AttributesConfig:
    return AttributesConfig()
