"""Dataset keys beyond the SkillSight set, each built by its own small module only when a model asks.

:class:`skillsight.data.datasets.SkillClipDataset` serves the keys of its table; the keys here
(``sparse_frames``, ``head_motion``/``head_motion_mask``, ``audio``) come from :data:`EXTRA_INPUTS`,
one :class:`ExtraInput` per builder. A builder gets the dataset (for its decoding and parsed gaze
files), the take and the clip's frame indices, and returns its tensors. Its options (how many sparse
frames, the head-motion rate, the audio rate) come from the dataset's ``input_options``, which a model
declares (``model.input_options``) so that the dataset decodes exactly what the model consumes.
"""

from __future__ import annotations

from skillsight.data.extra_inputs.audio_window import AUDIO_INPUT
from skillsight.data.extra_inputs.base import ExtraInput
from skillsight.data.extra_inputs.head_motion import HEAD_MOTION_INPUT
from skillsight.data.extra_inputs.sparse_frames import SPARSE_FRAMES_INPUT

__all__ = ["EXTRA_INPUTS", "EXTRA_KEYS", "ExtraInput", "extra_inputs_for"]

#: every extra builder, in the order their keys are built.
EXTRA_INPUTS: tuple[ExtraInput, ...] = (SPARSE_FRAMES_INPUT, HEAD_MOTION_INPUT, AUDIO_INPUT)
#: every key an extra builder provides.
EXTRA_KEYS: tuple[str, ...] = tuple(k for b in EXTRA_INPUTS for k in b.keys)


def extra_inputs_for(keys: frozenset[str] | set[str]) -> tuple[ExtraInput, ...]:
    """The builders needed for ``keys`` (each once)."""
    return tuple(b for b in EXTRA_INPUTS if set(b.keys) & set(keys))
