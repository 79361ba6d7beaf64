"""Where inference runs: this process's GPU when there is one, else the CPU.

Under several processes each rank takes the GPU its process group set (Lightning and
:func:`skillsight.training.process_group.start_process_group` set the device of each local rank), else
the GPU of its local rank (``LOCAL_RANK`` from torchrun or Lightning's launcher, ``SLURM_LOCALID``
under srun), so 8 ranks on one node use 8 GPUs.
:class:`OnDevice` moves a model there and wraps it so that callers keep passing CPU batches and get
CPU outputs back (take averaging, metrics and files stay on the CPU).
"""

from __future__ import annotations

import os
from typing import Any

import torch
from torch import nn

__all__ = ["OnDevice", "inference_device"]


def inference_device(prefer: str = "auto") -> torch.device:
    """The device of this process: ``cuda:<LOCAL_RANK mod GPUs>`` for ``prefer`` "auto"/"gpu" when CUDA
    is available, else the CPU (``prefer="cpu"`` always gives the CPU).

    Raises:
        ValueError: ``prefer`` is not one of auto, gpu, cpu.
    """
    if prefer not in ("auto", "gpu", "cpu"):
        raise ValueError(f"device preference {prefer!r} is not one of auto, gpu, cpu")
    if prefer == "cpu" or not torch.cuda.is_available():
        return torch.device("cpu")
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.device("cuda", torch.cuda.current_device())  # set per rank with the group
    local_rank = int(os.environ.get("LOCAL_RANK", os.environ.get("SLURM_LOCALID", "0")))
    return torch.device("cuda", local_rank % torch.cuda.device_count())


def _to(value: Any, device: torch.device) -> Any:
    if isinstance(value, torch.Tensor):
        return value.to(device, non_blocking=True)
    if isinstance(value, dict):
        return {k: _to(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to(v, device) for v in value)
    return value


class OnDevice(nn.Module):
    """``model`` on ``device``: inputs are moved there, tensor outputs come back on the CPU.

    Keeps the wrapped model's ``input_names`` (what batch fields it reads), so it stands in for the
    model wherever those are looked up.
    """

    def __init__(self, model: nn.Module, device: torch.device) -> None:
        super().__init__()
        self.model = model.to(device)
        self.device = device
        self.input_names = tuple(getattr(model, "input_names", ()))

    def forward(self, **inputs: Any) -> Any:
        out = self.model(**_to(inputs, self.device))
        return _to(out, torch.device("cpu")) if self.device.type != "cpu" else out
