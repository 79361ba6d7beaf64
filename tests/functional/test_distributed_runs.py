"""Several processes on this CPU machine (gloo): a 2-process run (Lightning's launcher) and a 2-"node" x
1-process run (two torchrun launchers meeting on 127.0.0.1) whose rank 1 is killed mid-training and
resumed. Each checks that every test take is predicted exactly once, that the metrics equal a
one-process evaluation of the same weights, that the crop-feature cache holds one entry per clip key
(no temporary files left), and the resumed run reaches the uninterrupted run's weights bit for bit.

Cost (the busy 2-core development machine): the 2-process run 1.5-3 min, the kill-and-resume 3-5 min
(most of it starting interpreters and importing torch + Lightning, three times per run).
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file

from skillsight.config import load_config
from skillsight.data.cache import FeatureCache
from skillsight.training.skill_data import load_skill_data
from skillsight.training.skill_run import evaluate_run
from tests._launch import Launch, free_port, torchrun_cmd, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]

EPOCHS = 4
TEST_CLIPS = 3
SETTINGS = [
    "model.name=test_skillsight_teacher",
    "model.args={crop_input: crop_features}",  # the frozen extractor's features go through the cache
    "data.num_frames=4",
    "data.frame_px=32",
    "data.crop_px=16",
    "data.batch_size=1",
    "data.eval_batch_size=4",
    "data.num_val_clips=2",
    f"data.num_test_clips={TEST_CLIPS}",
    "trainer.strategy=ddp",
    "trainer.progress_bar=false",
    f"trainer.max_epochs={EPOCHS}",
]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 train / 8 val / 8 test takes of 6 s (two scenarios), 32 px video."""
    from skillsight.data.synthetic.takes import generate_synthetic_dataset

    root = tmp_path_factory.mktemp("dist_data")
    return generate_synthetic_dataset(
        root, seed=0, takes_per_level=3, duration_s=6, frame_px=32, scenarios=("Soccer", "Cooking")
    )


def _train_args(data_root: Path, out: Path, *settings: str) -> list[str]:
    args = ["train", "teacher", "--config", "tiny", "--data", str(data_root), "--out", str(out)]
    for setting in [*SETTINGS, *settings]:
        args += ["--set", setting]
    return args


def _cli(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("skillsight")), *args]


@pytest.fixture(scope="module")
def two_process_run(data_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run over 2 processes started by Lightning's own launcher (trainer.devices=2)."""
    out = tmp_path_factory.mktemp("two_process") / "run"
    launch = Launch(
        _cli(*_train_args(data_root, out, "trainer.devices=2")),
        out.parent / "train.log",
        env={"MASTER_PORT": str(free_port())},
    )
    assert launch.wait(timeout_s=900) == 0, launch.output()[-4000:]
    assert launch.output().count("result: ") == 1, "rank 0 alone reports the result"
    return out


def _check_each_test_take_once(run: Path, data_root: Path) -> list[dict[str, str]]:
    cfg = load_config("teacher_tiny", [f"data.root={data_root}", *SETTINGS])
    test_uids = sorted(t.take_uid for t in load_skill_data(cfg.data).test)
    with (run / "predictions.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["take_uid"] for r in rows] == test_uids, "every test take exactly once, none added"
    assert {r["num_clips"] for r in rows} == {str(TEST_CLIPS)}, "all of a take's clips, none twice"
    assert json.loads((run / "metrics.json").read_text())["num_takes"] == len(test_uids)
    return rows


def _check_cache_one_entry_per_key(cache_root: Path, rows: list[dict[str, str]]) -> None:
    assert not list(cache_root.rglob("*.tmp")), "no temporary file left by a writer"
    cache = FeatureCache(cache_root)
    entries = list(cache_root.rglob("*.safetensors"))
    fields = [cache.stored_key_fields(p.stem) for p in entries]
    keys = [cache.key(f["take_uid"], f["clip_index"], f["crop_params"], f["extractor"]) for f in fields]
    assert keys == [p.stem for p in entries], "each entry is stored under the key of its own fields"
    test_uids = {r["take_uid"] for r in rows}
    test_clips = [(f["take_uid"], f["clip_index"]) for f in fields if f["take_uid"] in test_uids]
    assert len(test_clips) == len(set(test_clips)) == TEST_CLIPS * len(test_uids)


def _check_matches_one_process(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "one_process" / "run"
    shutil.copytree(run, copy)
    metrics = evaluate_run(copy, cache_root=run.parent / "cache", show_progress=False)
    assert json.loads(json.dumps(metrics)) == json.loads((run / "metrics.json").read_text())
    with (copy / "predictions.csv").open() as a, (run / "predictions.csv").open() as b:
        one, many = list(csv.DictReader(a)), list(csv.DictReader(b))
    for x, y in zip(one, many, strict=True):
        assert (x["take_uid"], x["predicted"], x["num_clips"]) == (
            y["take_uid"],
            y["predicted"],
            y["num_clips"],
        )
        for key in x:
            if key.startswith("p_"):  # other batch compositions: float rounding only
                assert abs(float(x[key]) - float(y[key])) <= 2e-6, (x["take_uid"], key)


def test_two_process_run_predicts_each_take_once_and_matches_one_process(
    two_process_run: Path, data_root: Path, tmp_path: Path
) -> None:
    rows = _check_each_test_take_once(two_process_run, data_root)
    _check_cache_one_entry_per_key(two_process_run.parent / "cache", rows)
    _check_matches_one_process(two_process_run, tmp_path)
    with (two_process_run / "logs" / "metrics.csv").open() as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == list(range(EPOCHS))


def _two_nodes(data_root: Path, out: Path, tag: str, *extra: str) -> list[Launch]:
    port = free_port()
    return [
        Launch(
            torchrun_cmd(
                "--nnodes=2",
                "--nproc-per-node=1",
                f"--node-rank={rank}",
                "--master-addr=127.0.0.1",
                f"--master-port={port}",
                "-m",
                "skillsight.cli.main",
                *_train_args(data_root, out, "trainer.num_nodes=2"),
                *extra,
            ),
            out.parent / f"{tag}_node{rank}.log",
        )
        for rank in (0, 1)
    ]


def test_two_nodes_torchrun_resume_after_a_killed_rank_reaches_the_uninterrupted_weights(
    two_process_run: Path, data_root: Path, tmp_path: Path
) -> None:
    out = tmp_path / "nodes" / "run"
    out.parent.mkdir()
    first = _two_nodes(data_root, out, "first")
    try:
        wait_for(out / "checkpoints" / "last.ckpt", 900, first)  # epoch 0 is complete
        workers = first[1].workers()
        assert workers, "node 1's launcher has a rank process"
        for pid in workers:  # rank 1 dies (SIGKILL: no checkpoint, no goodbye)
            os.kill(pid, signal.SIGKILL)
        epochs_at_kill = len((out / "logs" / "metrics.csv").read_text().splitlines()) - 1
        codes = [launch.wait(timeout_s=300) for launch in reversed(first)]
    finally:
        for launch in first:
            launch.kill()
    assert epochs_at_kill < EPOCHS, "the kill landed during training"
    assert all(code != 0 for code in codes), "both nodes stop when one rank dies (no hang)"
    assert not (out / "predictions.csv").exists()

    resumed = _two_nodes(data_root, out, "resumed", "--resume")
    codes = [launch.wait(timeout_s=900) for launch in resumed]
    assert codes == [0, 0], resumed[0].output()[-4000:] + resumed[1].output()[-2000:]

    with (out / "logs" / "metrics.csv").open() as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == list(range(EPOCHS)), "each epoch logged once"
    resumed_weights = load_file(str(out / "model.safetensors"))
    reference = load_file(str(two_process_run / "model.safetensors"))
    assert resumed_weights.keys() == reference.keys()
    assert all(resumed_weights[k].equal(reference[k]) for k in reference), "bit-exact after the resume"
    rows = _check_each_test_take_once(out, data_root)
    _check_cache_one_entry_per_key(out.parent / "cache", rows)
    assert (out / "metrics.json").read_text() == (two_process_run / "metrics.json").read_text()
