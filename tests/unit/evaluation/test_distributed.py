"""Evaluation over several processes: disjoint unpadded shares, a gather that refuses duplicates and
losses, the device wrapper, and a real 2-process gloo gather (torchrun) over uneven shares."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from skillsight.evaluation.device import OnDevice, inference_device
from skillsight.evaluation.distributed import (
    gather_take_predictions,
    is_rank_zero,
    merge_take_predictions,
    rank_and_world,
    shard,
)
from skillsight.evaluation.evaluate import TakePredictions
from skillsight.training.process_group import is_launch_rank_zero
from skillsight.training.sharded_features import sharded_teacher_features
from skillsight.training.skill_data import precompute_teacher_features
from tests._launch import Launch, free_port, torchrun_cmd
from tests.unit.evaluation._gather_worker import _Clips, _predictions, _Teacher


@pytest.mark.parametrize("n", [0, 1, 5, 8, 13])
@pytest.mark.parametrize("world", [1, 2, 3, 8])
def test_shards_are_disjoint_cover_everything_and_are_not_padded(n: int, world: int) -> None:
    items = list(range(n))
    shares = [shard(items, r, world) for r in range(world)]
    flat = [i for s in shares for i in s]
    assert sorted(flat) == items, "every item in exactly one share"
    assert max(len(s) for s in shares) - min(len(s) for s in shares) <= 1


def test_shard_refuses_a_rank_outside_the_world() -> None:
    with pytest.raises(ValueError, match="rank 2 is not in a world of 2"):
        shard([1, 2, 3], 2, 2)


def test_merge_sorts_by_take_and_keeps_rows_together() -> None:
    merged = merge_take_predictions(
        [_predictions(["t2", "t0"]), None, _predictions(["t1"])], ["t0", "t1", "t2"]
    )
    assert merged.take_uids == ["t0", "t1", "t2"]
    assert merged.scenarios == ["st0", "st1", "st2"]
    np.testing.assert_array_equal(merged.logits[:, 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(merged.labels, [0, 1, 2])


@pytest.mark.parametrize(
    ("parts", "expected", "message"),
    [
        ([["t0", "t1"], ["t1"]], ["t0", "t1"], "1 twice"),
        ([["t0"], []], ["t0", "t1"], "1 missing"),
        ([["t0", "t9"]], ["t0"], "1 unexpected"),
    ],
)
def test_merge_refuses_duplicates_losses_and_strangers(parts, expected, message) -> None:
    with pytest.raises(RuntimeError, match=message):
        merge_take_predictions([_predictions(p) for p in parts], expected)


def test_without_a_process_group_everything_is_one_process() -> None:
    assert rank_and_world() == (0, 1)
    assert is_rank_zero()
    preds = _predictions(["t1", "t0"])
    assert isinstance(preds, TakePredictions)
    assert gather_take_predictions(preds, ["t0", "t1"]).take_uids == ["t0", "t1"]


@pytest.mark.parametrize(
    ("env", "zero"),
    [({}, True), ({"LOCAL_RANK": "1"}, False), ({"NODE_RANK": "1", "LOCAL_RANK": "0"}, False)],
)
def test_launch_rank_zero_before_the_group_exists(monkeypatch: pytest.MonkeyPatch, env, zero) -> None:
    for name in ("LOCAL_RANK", "NODE_RANK", "GROUP_RANK", "RANK", "TORCHELASTIC_RUN_ID", "SLURM_NTASKS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert is_launch_rank_zero() is zero


def test_on_device_keeps_input_names_and_gives_the_same_outputs_on_cpu() -> None:
    teacher = _Teacher()
    wrapped = OnDevice(teacher, inference_device("cpu"))
    assert wrapped.input_names == ("x",)
    x = torch.randn(2, 3)
    torch.testing.assert_close(wrapped(x=x)["features"], teacher(x=x)["features"])
    with pytest.raises(ValueError, match="not one of auto, gpu, cpu"):
        inference_device("tpu")


def test_one_process_sharded_features_equal_the_plain_pass() -> None:
    plain = precompute_teacher_features(_Teacher(), _Clips(), batch_size=2, show_progress=False)
    sharded = sharded_teacher_features(_Teacher(), _Clips(), batch_size=2, show_progress=False, device="cpu")
    torch.testing.assert_close(sharded, plain)


@pytest.mark.slow  # three interpreters importing torch + lightning: 10-40 s on the loaded 2-core machine
def test_two_gloo_processes_gather_uneven_shares_once_each(tmp_path: Path) -> None:
    out = tmp_path / "gathered.json"
    cmd = torchrun_cmd(
        "--nnodes=1",
        "--nproc-per-node=2",
        "--master-addr=127.0.0.1",
        f"--master-port={free_port()}",
        str(Path(__file__).with_name("_gather_worker.py")),
        str(out),
    )
    launch = Launch(cmd, tmp_path / "torchrun.log")
    assert launch.wait(timeout_s=240) == 0, launch.output()[-3000:]
    got = json.loads(out.read_text())
    assert got["3"] == {"uids": ["t0", "t1", "t2"], "logits": [0.0, 1.0, 2.0]}
    assert got["1"] == {"uids": ["t0"], "logits": [0.0]}, "a rank without takes contributes nothing"
    expected = torch.cat([torch.arange(5.0)[:, None].expand(5, 3), 3 * torch.arange(5.0)[:, None]], -1)
    assert torch.equal(torch.tensor(got["features"]), expected), "rows in dataset order, each once"
    assert "1 twice" in got["duplicate_error"]
