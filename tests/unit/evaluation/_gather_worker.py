"""Run by torchrun (2 gloo processes) from test_distributed.py: gathers per-take predictions and teacher
features over uneven shares and writes what rank 0 got to the JSON file named by argv[1]."""

from __future__ import annotations

import json
import sys

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

from skillsight.evaluation.distributed import gather_take_predictions, rank_and_world, shard
from skillsight.evaluation.evaluate import TakePredictions
from skillsight.training.sharded_features import sharded_teacher_features


class _Clips(torch.utils.data.Dataset):
    """Clip i is a 3-vector filled with i."""

    def __len__(self) -> int:
        return 5

    def __getitem__(self, i: int) -> dict:
        return {"x": torch.full((3,), float(i))}


class _Teacher(nn.Module):
    input_names = ("x",)

    def forward(self, x: torch.Tensor) -> dict:
        return {"features": torch.cat([x, x.sum(-1, keepdim=True)], -1)}


def _predictions(uids: list[str]) -> TakePredictions | None:
    if not uids:
        return None
    n = len(uids)
    return TakePredictions(
        take_uids=uids,
        scenarios=[f"s{u}" for u in uids],
        labels=np.array([int(u[1:]) % 4 for u in uids]),
        logits=np.array([[float(u[1:]), 0.0] for u in uids]),
        num_clips=np.full(n, 10),
        class_names=["a", "b"],
    )


def main() -> None:
    dist.init_process_group("gloo")
    rank, world = rank_and_world()
    out = {}
    for n_takes in (3, 1):  # uneven shares; with 1 take, rank 1 has none
        expected = [f"t{i}" for i in range(n_takes)]
        merged = gather_take_predictions(_predictions(shard(expected, rank, world)), expected)
        out[str(n_takes)] = {"uids": merged.take_uids, "logits": merged.logits[:, 0].tolist()}
    features = sharded_teacher_features(_Teacher(), _Clips(), batch_size=2, show_progress=False, device="cpu")
    out["features"] = features.tolist()
    try:
        gather_take_predictions(_predictions(["t0"]), ["t0"])  # both ranks claim t0
    except RuntimeError as err:
        out["duplicate_error"] = str(err)
    if rank == 0:
        with open(sys.argv[1], "w") as f:
            json.dump(out, f)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
