"""Registered attention-baseline variants of the attention RNN (Li et al. 2019, Table 1).

Each baseline is the attention RNN with its attention step replaced, at the three sizes of the full
model (same backbones, fusion, GRU_task, head, loss and training recipe):

* ``attention_rnn_attention_pool``, ``attention_rnn_attention_pool_tiny``,
  ``test_attention_rnn_attention_pool``: Attention Pool (Girdhar & Ramanan 2017);
* ``attention_rnn_cbam``, ``attention_rnn_cbam_tiny``, ``test_attention_rnn_cbam``: CBAM (Woo et al. 2018);
* ``attention_rnn_visual_attention``, ``attention_rnn_visual_attention_tiny``,
  ``test_attention_rnn_visual_attention``: Visual Attention (Sharma et al. 2015);
* ``attention_rnn_sca_cnn``, ``attention_rnn_sca_cnn_tiny``, ``test_attention_rnn_sca_cnn``: SCA-CNN
  (Chen et al. 2017).

``create_model("attention_rnn_cbam_tiny")`` equals ``create_model("attention_rnn_tiny",
attention="cbam")``; the names exist so that a run folder, a benchmark row and the CLI
(``skillsight rank train --model attention_rnn_cbam_tiny``) name the method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from skillsight.models._factory import register_model
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.projects.ranking.models import (
    attention_rnn,
    attention_rnn_tiny,
    test_attention_rnn,
)

__all__ = ["BASELINE_ATTENTIONS", "baseline_model_names"]

#: attention value -> the paper it follows.
BASELINE_ATTENTIONS: dict[str, str] = {
    "attention_pool": "Attention Pool (Girdhar & Ramanan, NeurIPS 2017)",
    "cbam": "CBAM (Woo et al., ECCV 2018)",
    "visual_attention": "Visual Attention (Sharma et al., ICLR-W 2016)",
    "sca_cnn": "SCA-CNN (Chen et al., CVPR 2017)",
}

_SIZES: dict[str, tuple[Callable[..., DeclaredInputsModule], str]] = {
    "paper": (attention_rnn, "attention_rnn_{}"),
    "tiny": (attention_rnn_tiny, "attention_rnn_{}_tiny"),
    "test": (test_attention_rnn, "test_attention_rnn_{}"),
}


def baseline_model_names(size: str = "tiny") -> dict[str, str]:
    """attention value -> registry name of that baseline at ``size`` ("paper", "tiny" or "test")."""
    return {attention: _SIZES[size][1].format(attention) for attention in BASELINE_ATTENTIONS}


def _register(attention: str, size: str) -> None:
    base, pattern = _SIZES[size]

    def factory(**overrides: Any) -> DeclaredInputsModule:
        return base(**{"attention": attention, **overrides})

    name = pattern.format(attention)
    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = (
        f"{BASELINE_ATTENTIONS[attention]} in place of the spatial attention; {base.__name__} size."
    )
    register_model(name)(factory)


for _attention in BASELINE_ATTENTIONS:
    for _size in _SIZES:
        _register(_attention, _size)
