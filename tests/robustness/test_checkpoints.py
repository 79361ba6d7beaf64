"""Checkpoints under kills and full disks: the previous checkpoint always survives, a resumed run always
equals an uninterrupted one, and temporary files a kill leaves are cleaned safely.

Kills are simulated in process by copying the run folder at a step of a save (what a kill there would
leave on disk, temporary files included) and, once, by a real SIGKILL of a training subprocess (6 s of
the module's ~10 s on 2 idle cores). Damaged and foreign files: test_checkpoint_files.py.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from skillsight.exceptions import CheckpointError, RunWriteError
from skillsight.runs import atomic, sealed
from skillsight.runs.atomic import remove_stale_temp_files, temp_path_for
from skillsight.runs.checkpoint import load_model, save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO, read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV, STEPS_CSV
from skillsight.training.metrics_log import MetricsCsvLogger
from skillsight.training.tasks import SupervisedTask
from tests.robustness._toy_runs import (
    EPOCHS,
    REPO,
    Killed,
    assert_same_run,
    dead_temp_name,
    first_callback,
    fit_toy,
    folder_digest,
    toy,
)

# ----------------------------------------------------------------------------- kills during training


@pytest.fixture(scope="module")
def killed_in_epoch_1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """One uninterrupted run (the reference) and a copy of its folder at every step of every save of
    epoch 1: before and after each rename, after each metrics.csv write (duplicates dropped)."""
    root = tmp_path_factory.mktemp("kills")
    run, snapshots, seen = root / "reference", [], set()
    completed = {"last.ckpt": 0}  # epoch 1 runs between the first and the second completed checkpoint

    def snap(label: str) -> None:
        digest = folder_digest(run)
        if digest not in seen:
            seen.add(digest)
            target = root / f"kill{len(snapshots):02d}-{label}"
            shutil.copytree(run, target)
            snapshots.append(target)

    real_replace, real_flush = atomic._replace, MetricsCsvLogger.flush

    def replace(src: Any, dst: Any) -> None:
        name, in_epoch_1 = Path(dst).name, completed["last.ckpt"] == 1
        if in_epoch_1:
            snap(f"before-{name}")
        real_replace(src, dst)
        if name == "last.ckpt":
            completed["last.ckpt"] += 1
        if in_epoch_1:
            snap(f"after-{name}")

    def flush(self: MetricsCsvLogger) -> int:
        rows = real_flush(self)
        if completed["last.ckpt"] == 1:
            snap("after-metrics-flush")
        return rows

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(atomic, "_replace", replace)
        patch.setattr(MetricsCsvLogger, "flush", flush)
        fit_toy(run)
    return run, snapshots


def test_a_kill_at_any_step_of_an_epoch_resumes_to_the_uninterrupted_result(killed_in_epoch_1, tmp_path):
    reference, snapshots = killed_in_epoch_1
    labels = [s.name.split("-", 1)[1] for s in snapshots]
    assert {"before-last.ckpt", "after-last.ckpt", "before-model.safetensors", "after-model.json"} <= set(
        labels
    ), labels
    for snapshot in snapshots:
        state, _ = read_resume_checkpoint(snapshot / LAST_CHECKPOINT)  # never torn: old or new, whole
        assert state["epoch"] in (0, 1), snapshot.name
        run = shutil.copytree(snapshot, tmp_path / snapshot.name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a stale model.json copy is rewritten, with a warning
            fit_toy(run, resume=True)
        assert_same_run(reference, run)


def test_a_kill_right_after_a_checkpoint_keeps_that_epochs_metrics_rows(killed_in_epoch_1):
    _, snapshots = killed_in_epoch_1
    after = next(s for s in snapshots if s.name.endswith("after-last.ckpt"))
    _, fields = read_resume_checkpoint(after / LAST_CHECKPOINT)
    rows = (after / METRICS_CSV).read_text().splitlines()[1:]
    assert len(rows) == int(fields["metrics_rows"]) == 2, "epoch 0 and 1: one row each"
    assert [r.split(",")[0] for r in rows] == ["0", "1"]
    steps = (after / STEPS_CSV).read_text().splitlines()[1:]
    assert len(steps) == int(fields["steps_rows"]) == 4, "every 2nd of 8 optimiser steps"


def test_a_real_sigkill_while_writing_a_checkpoint_leaves_a_resumable_run(killed_in_epoch_1, tmp_path):
    """A subprocess is SIGKILLed after it wrote the temporary file of its epoch-1 checkpoint."""
    reference, _ = killed_in_epoch_1
    run = tmp_path / "run"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(REPO)!r})
        import torch
        torch.set_num_threads(1)
        from skillsight.runs import atomic
        from tests.robustness import _toy_runs as t
        real, seen = atomic._replace, []
        def replace(src, dst):
            if os.path.basename(dst) == "last.ckpt":
                seen.append(dst)
                if len(seen) == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
            real(src, dst)
        atomic._replace = replace
        torch.manual_seed(0)
        t.fit_toy(__import__("pathlib").Path({str(run)!r}))
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr[-2000:]
    stale = list((run / "checkpoints").glob(".last.ckpt.*.tmp"))
    assert len(stale) == 1, "the kill left the epoch-1 temporary file"
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 0
    with pytest.warns(UserWarning, match="interrupted save"):
        fit_toy(run, resume=True)
    assert not stale[0].exists(), "the dead process's temporary file was removed"
    assert_same_run(reference, run)


def test_a_full_disk_during_training_stops_it_and_keeps_the_previous_checkpoint(killed_in_epoch_1, tmp_path):
    reference, _ = killed_in_epoch_1
    run = tmp_path / "run"
    real_save, calls = sealed._save_file, []

    def save_file(tensors: Any, filename: str, metadata: Any = None) -> None:
        if ".last.ckpt." in filename:
            calls.append(filename)
            if len(calls) == 2:  # epoch 1's checkpoint: half written, then the disk is full
                Path(filename).write_bytes(b"\0" * 100)
                raise OSError(errno.ENOSPC, "No space left on device")
        real_save(tensors, filename, metadata=metadata)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sealed, "_save_file", save_file)
        with pytest.raises(RunWriteError, match=r"last\.ckpt: No space left on device \(errno 28\)") as err:
            fit_toy(run)
    assert "previous version is unchanged" in str(err.value)
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 0
    assert not list((run / "checkpoints").glob("*.tmp")), "the partial temporary file was removed"
    fit_toy(run, resume=True)  # after freeing space
    assert_same_run(reference, run)


def test_resuming_with_another_model_is_refused_naming_the_checkpoint(killed_in_epoch_1, tmp_path):
    reference, _ = killed_in_epoch_1
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    before = (run / METRICS_CSV).read_bytes()
    with pytest.raises(CheckpointError, match=r"last\.ckpt.*'model\.distill\.weight'.*another model"):
        fit_toy(run, EPOCHS + 1, resume=True, embed_dim=4)
    assert (run / METRICS_CSV).read_bytes() == before, "nothing was changed"


def test_an_exception_after_an_epoch_was_logged_still_writes_its_checkpoint(killed_in_epoch_1, tmp_path):
    from lightning.pytorch.callbacks import Callback

    reference, _ = killed_in_epoch_1

    class StopAtEpoch2(Callback):  # as Lightning's own stop after a SIGTERM, between two epochs
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 2:
                raise RuntimeError("stopped")

    with pytest.MonkeyPatch.context() as patch:
        first_callback(patch, StopAtEpoch2())
        with pytest.raises(RuntimeError, match="stopped"):
            fit_toy(tmp_path)
    assert read_resume_checkpoint(tmp_path / LAST_CHECKPOINT)[0]["epoch"] == 1
    fit_toy(tmp_path, resume=True)
    assert_same_run(reference, tmp_path)


def test_an_exception_before_an_epoch_was_logged_keeps_the_previous_checkpoint(killed_in_epoch_1, tmp_path):
    reference, _ = killed_in_epoch_1

    def failing_step(self: Any, scheduler: Any, metric: Any) -> None:  # runs before the epoch's row is logged
        if self.current_epoch == 1:
            raise RuntimeError("scheduler failed")
        scheduler.step()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SupervisedTask, "lr_scheduler_step", failing_step)
        with pytest.raises(RuntimeError, match="scheduler failed"):
            fit_toy(tmp_path)
    assert read_resume_checkpoint(tmp_path / LAST_CHECKPOINT)[0]["epoch"] == 0, "epoch 1 is redone"
    fit_toy(tmp_path, resume=True)
    assert_same_run(reference, tmp_path)


# ----------------------------------------------------------------------------- kills during one save


_STEPS = {"_save_file": sealed, "_fsync_file": atomic, "_replace": atomic, "fsync_dir": atomic}


def _kill_once(save: Callable[[], None], folder: Path, target: Path, kill_at: int) -> bool:
    """Run ``save``; before its step number ``kill_at`` copy ``folder`` to ``target`` and kill it.
    Returns False when the save completed (it has fewer steps)."""
    calls = {"n": 0}

    def hooked(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if calls["n"] == kill_at:
                shutil.copytree(folder, target.with_name(f"{target.name}-{name}"))
                if name == "_fsync_file":  # also killed halfway through writing the temporary file
                    for tmp in target.with_name(f"{target.name}-{name}").glob(".*.tmp"):
                        tmp.write_bytes(tmp.read_bytes()[: tmp.stat().st_size // 2])
                raise Killed
            calls["n"] += 1
            return real(*args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        for name, module in _STEPS.items():
            patch.setattr(module, name, hooked(name, getattr(module, name)))
        try:
            save()
        except Killed:
            return True
    return False


def _kill_at_each_step(save: Callable[[], None], folder: Path, out: Path) -> list[Path]:
    """Run ``save`` once per step of its writes from the same starting folder, killed before that step;
    returns copies of the folder as each kill left it, then one of the completed save."""
    initial = out / "initial"
    shutil.copytree(folder, initial)
    for kill_at in range(100):
        shutil.rmtree(folder)
        shutil.copytree(initial, folder)
        if not _kill_once(save, folder, out / f"step{kill_at:02d}", kill_at):
            shutil.copytree(folder, out / "step99-completed")
            return sorted(out.glob("step*"))
    raise AssertionError("the save never completed")


def test_a_kill_between_any_two_steps_of_a_model_save_leaves_the_old_or_the_new_model(tmp_path):
    old, new = toy(1), toy(2)
    folder = tmp_path / "run"
    save_model(old, folder / "model", metadata={"epoch": 3})
    snapshots = _kill_at_each_step(
        lambda: save_model(new, folder / "model", metadata={"epoch": 4}), folder, tmp_path / "kills"
    )
    # weights: write, fsync, rename, fsync folder; model.json: fsync, rename, fsync folder; completed
    assert len(snapshots) == 8, [s.name for s in snapshots]
    outcomes = []
    for snapshot in snapshots:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            loaded = load_model(snapshot / "model")
        epoch = loaded.checkpoint_metadata["epoch"]
        expected = {3: old, 4: new}[epoch].state_dict()
        assert all(torch.equal(v, expected[k]) for k, v in loaded.state_dict().items()), snapshot.name
        spec = json.loads((snapshot / "model.json").read_text())  # the copy agrees once loaded
        assert spec["metadata"]["epoch"] == epoch, snapshot.name
        outcomes.append(epoch)
    assert outcomes[0] == 3 and outcomes[-1] == 4 and outcomes == sorted(outcomes)


def test_a_kill_between_any_two_steps_of_a_resume_checkpoint_save_leaves_the_old_or_the_new_one(tmp_path):
    io = SafetensorsCheckpointIO()
    path = tmp_path / "checkpoints" / "last.ckpt"
    old = {"epoch": 3, "global_step": 40, "state_dict": {"w": torch.full((3,), 3.0)}, "loops": {1: (2, 3.5)}}
    new = {"epoch": 4, "global_step": 50, "state_dict": {"w": torch.full((3,), 4.0)}, "loops": {1: (2, 4.5)}}
    io.save_checkpoint(old, path)
    snapshots = _kill_at_each_step(lambda: io.save_checkpoint(new, path), path.parent, tmp_path / "kills")
    assert len(snapshots) == 5, [s.name for s in snapshots]
    for snapshot in snapshots:
        state, fields = read_resume_checkpoint(snapshot / "last.ckpt")
        expected = {3: old, 4: new}[state["epoch"]]
        assert state["global_step"] == expected["global_step"] and fields["epoch"] == str(expected["epoch"])
        assert (
            torch.equal(state["state_dict"]["w"], expected["state_dict"]["w"])
            and state["loops"] == expected["loops"]
        )


# ----------------------------------------------------------------------------- temporary files


def test_only_temporary_files_of_dead_processes_on_this_host_are_removed(tmp_path):
    dest = tmp_path / "last.ckpt"
    dead = dead_temp_name(dest)
    alive = temp_path_for(dest)  # this process: a write may be in progress
    parts = temp_path_for(dest).name.split(".")
    parts[-4] = "otherhost"
    other_host = dest.with_name(".".join(parts))
    others = [
        alive,
        other_host,
        tmp_path / "notes.tmp",
        tmp_path / ".last.ckpt.abcd1234.tmp",
        tmp_path / "x.ckpt",
    ]
    for path in [dead, *others]:
        path.write_bytes(b"partial")
    with pytest.warns(UserWarning, match=r"removed 1 temporary file.*interrupted save"):
        removed = remove_stale_temp_files(tmp_path)
    assert removed == [dead] and not dead.exists()
    assert all(path.exists() for path in others)


def test_a_save_removes_the_temporary_files_a_kill_left_and_writes_its_own_beside_the_destination(
    tmp_path, monkeypatch
):
    folder = tmp_path / "not" / "yet" / "there"
    used: list[str] = []
    real = sealed._save_file

    def recording(tensors: Any, filename: str, metadata: Any = None) -> None:
        used.append(filename)
        real(tensors, filename, metadata=metadata)

    monkeypatch.setattr(sealed, "_save_file", recording)
    save_model(toy(), folder / "model")
    assert [Path(f).parent for f in used] == [folder], (
        "the temporary file is created in the destination folder"
    )
    stale = dead_temp_name(folder / "model.safetensors")
    stale.write_bytes(b"torn")
    with pytest.warns(UserWarning, match="interrupted save"):
        save_model(toy(), folder / "model")
    assert not stale.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["model.json", "model.safetensors"]


# ----------------------------------------------------------------------------- full disk


def _fail_writes(monkeypatch: pytest.MonkeyPatch, when: Callable[[str], bool]) -> None:
    real = sealed._save_file

    def save_file(tensors: Any, filename: str, metadata: Any = None) -> None:
        if when(filename):
            Path(filename).write_bytes(b"\0" * 64)
            raise OSError(errno.ENOSPC, "No space left on device")
        real(tensors, filename, metadata=metadata)

    monkeypatch.setattr(sealed, "_save_file", save_file)


def test_a_full_disk_while_saving_a_model_keeps_the_previous_one_and_says_so(tmp_path, monkeypatch):
    old = toy(1)
    save_model(old, tmp_path / "model", metadata={"epoch": 1})
    _fail_writes(monkeypatch, lambda name: True)
    with pytest.raises(RunWriteError) as err:
        save_model(toy(2), tmp_path / "model", metadata={"epoch": 2})
    assert str(tmp_path / "model.safetensors") in str(err.value)
    assert "No space left on device (errno 28)" in str(err.value) and "previous version is unchanged" in str(
        err.value
    )
    loaded = load_model(tmp_path / "model")
    assert loaded.checkpoint_metadata["epoch"] == 1
    assert all(torch.equal(v, old.state_dict()[k]) for k, v in loaded.state_dict().items())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.safetensors"]


def test_a_full_disk_after_the_weights_but_before_model_json_still_loads_the_new_model(tmp_path, monkeypatch):
    save_model(toy(1), tmp_path / "model", metadata={"epoch": 1})
    real = atomic.atomic_write_bytes

    def full(path: Any, data: bytes) -> None:
        if Path(path).name == "model.json":
            raise RunWriteError(path, OSError(errno.ENOSPC, "No space left on device"))
        real(path, data)

    monkeypatch.setattr("skillsight.runs.atomic.atomic_write_bytes", full)
    with pytest.raises(RunWriteError, match=r"model\.json.*model\.safetensors already holds the new weights"):
        save_model(toy(2), tmp_path / "model", metadata={"epoch": 2})
    monkeypatch.undo()
    with pytest.warns(UserWarning, match=r"model\.json belongs to the previous weights"):
        loaded = load_model(tmp_path / "model")
    assert loaded.checkpoint_metadata["epoch"] == 2  # the weights file's own spec, never a mix
    assert json.loads((tmp_path / "model.json").read_text())["metadata"]["epoch"] == 2, (
        "the copy was repaired"
    )


def test_a_full_disk_while_appending_metrics_is_a_clear_error(tmp_path, monkeypatch):
    logger = MetricsCsvLogger(tmp_path / "metrics.csv")
    logger.epoch_phase = True
    logger.log_metrics({"loss": 1.0, "epoch": 0}, step=1)
    assert logger.flush()["metrics_rows"] == "1"
    logger.log_metrics({"loss": 0.5, "epoch": 1}, step=2)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(
        RunWriteError, match=r"metrics\.csv: No space left \(errno 28\); its first 1 rows are intact"
    ):
        logger.flush()
    monkeypatch.undo()
    assert logger.flush()["metrics_rows"] == "2"  # rewritten whole once there is space
    assert (tmp_path / "metrics.csv").read_text().splitlines() == ["epoch,step,loss", "0,1,1.0", "1,2,0.5"]
