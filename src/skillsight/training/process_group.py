"""The process group of a run launched as several processes, started before training when the launcher
already started every process (torchrun, SLURM's srun), so that work done before ``trainer.fit`` (the
distillation teacher's features) and evaluation after it can be split across ranks.

Lightning starts its process group inside ``trainer.fit`` and uses one that already exists as is, so
starting it earlier changes nothing in training. The ranks, world size and main address are those
Lightning itself would read (its TorchElastic and SLURM environments, torchrun first as in Lightning).
Lightning's own launcher (``trainer.devices=N`` without torchrun) starts the other processes only inside
``trainer.fit``: there is nothing to join before it, each process does the pre-training work itself,
and only the evaluation after training is split.
"""

from __future__ import annotations

import os
from datetime import timedelta

import torch
import torch.distributed as dist
from lightning.fabric.plugins.environments import (
    ClusterEnvironment,
    SLURMEnvironment,
    TorchElasticEnvironment,
)

__all__ = ["is_launch_rank_zero", "launched_environment", "start_process_group"]


def launched_environment() -> ClusterEnvironment | None:
    """The launcher's environment when it started more than one process (torchrun, then SLURM), else None."""
    for env_type in (TorchElasticEnvironment, SLURMEnvironment):
        if env_type.detect():
            env = env_type()
            if env.world_size() > 1:
                return env
    return None


def start_process_group(accelerator: str = "auto", timeout_s: float = 1800.0) -> bool:
    """Join the launcher's processes in the default process group if it is not started yet; returns
    whether a multi-process group exists afterwards.

    GPU runs get NCCL for CUDA tensors and gloo for CPU objects (``cpu:gloo,cuda:nccl``: gathering
    per-take predictions is an object collective), each rank on the GPU of its local rank; CPU runs get
    gloo.
    """
    if dist.is_initialized():
        return dist.get_world_size() > 1
    env = launched_environment()
    if env is None:
        return False
    backend = "gloo"
    if accelerator != "cpu" and torch.cuda.is_available():
        torch.cuda.set_device(env.local_rank() % torch.cuda.device_count())
        backend = "cpu:gloo,cuda:nccl"
    # As Lightning does: the env:// rendezvous (it joins torchrun's agent store instead of hosting one).
    os.environ["MASTER_ADDR"] = env.main_address
    os.environ["MASTER_PORT"] = str(env.main_port)
    dist.init_process_group(
        backend,
        rank=env.global_rank(),
        world_size=env.world_size(),
        timeout=timedelta(seconds=timeout_s),
    )
    return True


def is_launch_rank_zero() -> bool:
    """Whether this process is global rank 0, before or after the process group exists.

    Without a group: torchrun's ``RANK``, else SLURM's ``SLURM_PROCID`` under srun, else Lightning's
    launcher, which gives its child processes a ``LOCAL_RANK`` (and ``NODE_RANK`` on other nodes).
    """
    if dist.is_initialized():
        return dist.get_rank() == 0
    env = launched_environment()
    if env is not None:
        return env.global_rank() == 0
    return all(int(os.environ.get(name, "0") or 0) == 0 for name in ("LOCAL_RANK", "NODE_RANK", "GROUP_RANK"))
