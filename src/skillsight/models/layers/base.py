"""The contract every registered model follows."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from skillsight.exceptions import DataFormatError

__all__ = ["DeclaredInputsModule"]


class DeclaredInputsModule(nn.Module):
    """An ``nn.Module`` that declares the inputs it consumes.

    ``input_names`` decides what a dataset decodes (a gaze-only model never decodes video), the
    ONNX example inputs, which sensors the power model switches on and the streaming buffer.
    Subclasses implement ``forward(**inputs) -> dict[str, Tensor]`` and ``example_inputs``.
    """

    #: names of the keyword tensors ``forward`` takes, e.g. ("gaze", "gaze_mask", "scenario"). A class
    #: default; models whose inputs depend on constructor arguments set it on the instance.
    input_names: tuple[str, ...] = ()
    #: sensors that must be on to produce the inputs at inference ("rgb", "eye_tracker", "imu", ...).
    sensors: tuple[str, ...] = ()
    # Set on the instance by skillsight.models.create_model (registry name, constructor arguments, the
    # module that registered it) and by skillsight.runs.checkpoint.load_model (the spec's metadata).
    model_name: str
    model_args: dict[str, Any]
    #: set by load_model: model_args with weights folders as found now (stored: run-relative copies)
    resolved_model_args: dict[str, Any] | None = None
    model_module: str
    checkpoint_metadata: dict[str, Any]

    def deployed(self) -> tuple[DeclaredInputsModule, str | None]:
        """The module as a device would run it, and what differs from this one (None: nothing).

        A model trained on cached outputs of a frozen extractor returns a variant that runs the
        extractor, so that power and latency estimates count it.
        """
        return self, None

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random inputs of the right shapes and dtypes, keyed by ``input_names``."""
        raise NotImplementedError(f"{type(self).__name__} must implement example_inputs()")

    def check_input_names(self, inputs: dict[str, torch.Tensor]) -> None:
        """Raise DataFormatError naming the unknown and missing inputs unless they are exactly
        ``input_names``."""
        unknown = sorted(set(inputs) - set(self.input_names))
        missing = [name for name in self.input_names if name not in inputs]
        if unknown or missing:
            raise DataFormatError(
                type(self).__name__,
                ",".join(unknown + missing),
                sorted(inputs),
                f"inputs must be exactly {self.input_names}",
            )

    def check_shape(self, name: str, tensor: torch.Tensor, shape: tuple[int, ...]) -> torch.Tensor:
        """``tensor`` if its shape is ``shape``, else DataFormatError naming the input and both shapes."""
        if tuple(tensor.shape) != shape:
            raise DataFormatError(type(self).__name__, name, tuple(tensor.shape), f"expected shape {shape}")
        return tensor
