"""Checkpoints under kills, full disks and damaged files: the previous checkpoint always survives, a
resumed run always equals an uninterrupted one, and every bad file is ONE clear error naming it.

Kills are simulated in process by copying the run folder at a step of a save (what a kill there would
leave on disk, temporary files included) and, once, by a real SIGKILL of a training subprocess.
Everything uses the toy classifier (4 batches per epoch); the module takes ~30 s on 2 cores.
"""

from __future__ import annotations

import errno
import hashlib
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

from skillsight.config import OptimConfig, TrainerConfig
from skillsight.exceptions import CheckpointError, RunWriteError
from skillsight.models import create_model
from skillsight.runs import atomic, sealed
from skillsight.runs.atomic import atomic_write_text, remove_stale_temp_files, temp_path_for
from skillsight.runs.checkpoint import MODEL_FORMAT, load_model, read_model_spec, save_model
from skillsight.runs.checkpoint_io import SafetensorsCheckpointIO, read_resume_checkpoint
from skillsight.training.loop import LAST_CHECKPOINT, METRICS_CSV, fit
from skillsight.training.metrics_log import MetricsCsvLogger
from skillsight.training.sampling import make_loader
from skillsight.training.tasks import SupervisedTask
from tests.unit.training._toy import ToyDataset

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 3


class _Killed(BaseException):
    """Stands for the process dying at this point (not an Exception: nothing may swallow it)."""


def _toy(seed: int = 7, **kwargs: Any) -> torch.nn.Module:
    torch.manual_seed(seed)
    return create_model("test_toy_gaze_classifier", dropout=0.3, **kwargs)


def _fit(run: Path, epochs: int = EPOCHS, resume: bool = False, **model_kwargs: Any) -> None:
    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True, seed=3)
    val = make_loader(ToyDataset(32, seed=1), batch_size=16, shuffle=False)
    task = SupervisedTask(_toy(**model_kwargs), OptimConfig(optimizer="adamw", lr=2e-2, milestones=[2]))
    cfg = TrainerConfig(max_epochs=epochs, progress_bar=False, log_every_n_steps=2, seed=5)
    fit(task, train, val, run, cfg, resume=resume)


def _assert_same_run(reference: Path, run: Path) -> None:
    a, fields_a = read_resume_checkpoint(reference / LAST_CHECKPOINT)
    b, fields_b = read_resume_checkpoint(run / LAST_CHECKPOINT)
    assert a["global_step"] == b["global_step"]
    for key, value in a["state_dict"].items():
        assert torch.equal(value, b["state_dict"][key]), f"{run.name}: weight {key} differs"
    assert a["optimizer_states"][0]["param_groups"] == b["optimizer_states"][0]["param_groups"]
    assert fields_a["metrics_rows"] == fields_b["metrics_rows"]
    assert (reference / METRICS_CSV).read_text() == (run / METRICS_CSV).read_text(), (
        f"{run.name}: metrics.csv"
    )
    best_a, best_b = load_model(reference / "model").state_dict(), load_model(run / "model").state_dict()
    assert all(torch.equal(best_a[k], best_b[k]) for k in best_a), f"{run.name}: best model differs"


def _folder_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + path.read_bytes())
    return digest.hexdigest()


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def _dead_temp_name(dest: Path) -> Path:
    """A temporary name for ``dest`` as written by a process of this host that no longer exists."""
    live = temp_path_for(dest).name.split(".")
    live[-3] = str(_dead_pid())  # .<name>.<host>.<pid>.<token>.tmp
    return dest.with_name(".".join(live))


# ----------------------------------------------------------------------------- kills during training


@pytest.fixture(scope="module")
def killed_in_epoch_1(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """One uninterrupted run (the reference) and a copy of its folder at every step of every save of
    epoch 1: before and after each rename, after each metrics.csv write (duplicates dropped)."""
    root = tmp_path_factory.mktemp("kills")
    run, snapshots, seen = root / "reference", [], set()
    completed = {"last.ckpt": 0}  # epoch 1 runs between the first and the second completed checkpoint

    def snap(label: str) -> None:
        digest = _folder_digest(run)
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
        _fit(run)
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
            _fit(run, resume=True)
        _assert_same_run(reference, run)


def test_a_kill_right_after_a_checkpoint_keeps_that_epochs_metrics_rows(killed_in_epoch_1):
    _, snapshots = killed_in_epoch_1
    after = next(s for s in snapshots if s.name.endswith("after-last.ckpt"))
    _, fields = read_resume_checkpoint(after / LAST_CHECKPOINT)
    rows = (after / METRICS_CSV).read_text().splitlines()[1:]
    assert len(rows) == int(fields["metrics_rows"]) == 4, (
        "epoch 0 and 1: a validation and a training row each"
    )
    assert [r.split(",")[0] for r in rows] == ["0", "0", "1", "1"]


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
        from tests.robustness import test_checkpoints as t
        real, seen = atomic._replace, []
        def replace(src, dst):
            if os.path.basename(dst) == "last.ckpt":
                seen.append(dst)
                if len(seen) == 2:
                    os.kill(os.getpid(), signal.SIGKILL)
            real(src, dst)
        atomic._replace = replace
        torch.manual_seed(0)
        t._fit(__import__("pathlib").Path({str(run)!r}))
        """
    )
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert child.returncode == -9, child.stderr[-2000:]
    stale = list((run / "checkpoints").glob(".last.ckpt.*.tmp"))
    assert len(stale) == 1, "the kill left the epoch-1 temporary file"
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 0
    with pytest.warns(UserWarning, match="interrupted save"):
        _fit(run, resume=True)
    assert not stale[0].exists(), "the dead process's temporary file was removed"
    _assert_same_run(reference, run)


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
            _fit(run)
    assert "previous version is unchanged" in str(err.value)
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 0
    assert not list((run / "checkpoints").glob("*.tmp")), "the partial temporary file was removed"
    _fit(run, resume=True)  # after freeing space
    _assert_same_run(reference, run)


def test_resuming_with_another_model_is_refused_naming_the_checkpoint(killed_in_epoch_1, tmp_path):
    reference, _ = killed_in_epoch_1
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    before = (run / METRICS_CSV).read_bytes()
    with pytest.raises(CheckpointError, match=r"last\.ckpt.*'model\.distill\.weight'.*another model"):
        _fit(run, EPOCHS + 1, resume=True, embed_dim=4)
    assert (run / METRICS_CSV).read_bytes() == before, "nothing was changed"


def _first_callback(patch: pytest.MonkeyPatch, callback: Any) -> None:
    """Make fit's Trainer run ``callback`` before its own callbacks."""
    from skillsight.training import loop

    real_trainer = loop.L.Trainer

    def trainer(*args: Any, **kwargs: Any) -> Any:
        return real_trainer(*args, **{**kwargs, "callbacks": [callback, *kwargs["callbacks"]]})

    patch.setattr(loop.L, "Trainer", trainer)


def test_an_exception_after_an_epoch_was_logged_still_writes_its_checkpoint(killed_in_epoch_1, tmp_path):
    from lightning.pytorch.callbacks import Callback

    reference, _ = killed_in_epoch_1

    class StopAtEpoch2(Callback):  # as Lightning's own stop after a SIGTERM, between two epochs
        def on_train_epoch_start(self, trainer, pl_module):
            if trainer.current_epoch == 2:
                raise RuntimeError("stopped")

    with pytest.MonkeyPatch.context() as patch:
        _first_callback(patch, StopAtEpoch2())
        with pytest.raises(RuntimeError, match="stopped"):
            _fit(tmp_path)
    assert read_resume_checkpoint(tmp_path / LAST_CHECKPOINT)[0]["epoch"] == 1
    _fit(tmp_path, resume=True)
    _assert_same_run(reference, tmp_path)


def test_an_exception_before_an_epoch_was_logged_keeps_the_previous_checkpoint(killed_in_epoch_1, tmp_path):
    reference, _ = killed_in_epoch_1

    def failing_step(self: Any, scheduler: Any, metric: Any) -> None:  # runs before the epoch's row is logged
        if self.current_epoch == 1:
            raise RuntimeError("scheduler failed")
        scheduler.step()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SupervisedTask, "lr_scheduler_step", failing_step)
        with pytest.raises(RuntimeError, match="scheduler failed"):
            _fit(tmp_path)
    assert read_resume_checkpoint(tmp_path / LAST_CHECKPOINT)[0]["epoch"] == 0, "epoch 1 is redone"
    _fit(tmp_path, resume=True)
    _assert_same_run(reference, tmp_path)


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
                raise _Killed
            calls["n"] += 1
            return real(*args, **kwargs)

        return call

    with pytest.MonkeyPatch.context() as patch:
        for name, module in _STEPS.items():
            patch.setattr(module, name, hooked(name, getattr(module, name)))
        try:
            save()
        except _Killed:
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
    old, new = _toy(1), _toy(2)
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
    dead = _dead_temp_name(dest)
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
    save_model(_toy(), folder / "model")
    assert [Path(f).parent for f in used] == [folder], (
        "the temporary file is created in the destination folder"
    )
    stale = _dead_temp_name(folder / "model.safetensors")
    stale.write_bytes(b"torn")
    with pytest.warns(UserWarning, match="interrupted save"):
        save_model(_toy(), folder / "model")
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
    old = _toy(1)
    save_model(old, tmp_path / "model", metadata={"epoch": 1})
    _fail_writes(monkeypatch, lambda name: True)
    with pytest.raises(RunWriteError) as err:
        save_model(_toy(2), tmp_path / "model", metadata={"epoch": 2})
    assert str(tmp_path / "model.safetensors") in str(err.value)
    assert "No space left on device (errno 28)" in str(err.value) and "previous version is unchanged" in str(
        err.value
    )
    loaded = load_model(tmp_path / "model")
    assert loaded.checkpoint_metadata["epoch"] == 1
    assert all(torch.equal(v, old.state_dict()[k]) for k, v in loaded.state_dict().items())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json", "model.safetensors"]


def test_a_full_disk_after_the_weights_but_before_model_json_still_loads_the_new_model(tmp_path, monkeypatch):
    save_model(_toy(1), tmp_path / "model", metadata={"epoch": 1})
    real = atomic.atomic_write_bytes

    def full(path: Any, data: bytes) -> None:
        if Path(path).name == "model.json":
            raise RunWriteError(path, OSError(errno.ENOSPC, "No space left on device"))
        real(path, data)

    monkeypatch.setattr("skillsight.runs.atomic.atomic_write_bytes", full)
    with pytest.raises(RunWriteError, match=r"model\.json.*model\.safetensors already holds the new weights"):
        save_model(_toy(2), tmp_path / "model", metadata={"epoch": 2})
    monkeypatch.undo()
    with pytest.warns(UserWarning, match=r"model\.json belongs to the previous weights"):
        loaded = load_model(tmp_path / "model")
    assert loaded.checkpoint_metadata["epoch"] == 2  # the weights file's own spec, never a mix
    assert json.loads((tmp_path / "model.json").read_text())["metadata"]["epoch"] == 2, (
        "the copy was repaired"
    )


def test_a_full_disk_while_appending_metrics_is_a_clear_error(tmp_path, monkeypatch):
    logger = MetricsCsvLogger(tmp_path / "metrics.csv")
    logger.log_metrics({"loss": 1.0, "epoch": 0}, step=1)
    assert logger.flush() == 1
    logger.log_metrics({"loss": 0.5, "epoch": 0}, step=2)
    monkeypatch.setattr(os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(errno.ENOSPC, "No space left")))
    with pytest.raises(
        RunWriteError, match=r"metrics\.csv: No space left \(errno 28\); its first 1 rows are intact"
    ):
        logger.flush()
    monkeypatch.undo()
    assert logger.flush() == 2  # rewritten whole once there is space
    assert (tmp_path / "metrics.csv").read_text().splitlines() == ["epoch,loss,step", "0,1.0,1", "0,0.5,2"]


# ----------------------------------------------------------------------------- damaged and foreign files


def _damage(path: Path, how: str, seed: int = 0) -> None:
    data = bytearray(path.read_bytes())
    gen = torch.Generator().manual_seed(seed)
    if how == "empty":
        data = bytearray()
    elif how == "truncated":
        data = data[: len(data) // 2]
    elif how == "random":
        data = bytearray(
            torch.randint(0, 256, (len(data),), generator=gen, dtype=torch.uint8).numpy().tobytes()
        )
    elif how == "50 flipped bits":
        for bit in torch.randperm(len(data) * 8, generator=gen)[:50].tolist():
            data[bit // 8] ^= 1 << (bit % 8)
    elif how == "text":
        data = bytearray("résumé of epoch 3\n".encode("latin-1"))
    elif how == "other json":
        data = bytearray(b'{"format": "something-else", "tree": {}}')
    path.write_bytes(bytes(data))


DAMAGE = ["empty", "truncated", "random", "50 flipped bits", "text", "other json"]


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_model_file_is_one_clear_error_naming_it(tmp_path, how):
    save_model(_toy(), tmp_path / "model")
    _damage(tmp_path / "model.safetensors", how)
    with pytest.raises(CheckpointError) as err:
        load_model(tmp_path / "model")
    assert str(tmp_path / "model.safetensors") in str(err.value)


@pytest.mark.parametrize("how", DAMAGE)
def test_a_damaged_resume_checkpoint_is_one_clear_error_and_changes_nothing(killed_in_epoch_1, tmp_path, how):
    reference, _ = killed_in_epoch_1
    run = tmp_path / "run"
    shutil.copytree(reference, run)
    _damage(run / LAST_CHECKPOINT, how)
    before = _folder_digest(run)
    with pytest.raises(CheckpointError) as err:
        _fit(run, EPOCHS + 1, resume=True)
    assert str(run / LAST_CHECKPOINT) in str(err.value)
    assert _folder_digest(run) == before, "a refused resume leaves the run folder as it was"


def test_every_single_bit_flip_in_a_checkpoint_is_detected(tmp_path):
    io = SafetensorsCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"epoch": 2, "state_dict": {"w": torch.randn(16), "b": torch.zeros(2)}}, path)
    data = path.read_bytes()
    gen = torch.Generator().manual_seed(1)
    for bit in torch.randperm(len(data) * 8, generator=gen)[:300].tolist():
        flipped = bytearray(data)
        flipped[bit // 8] ^= 1 << (bit % 8)
        path.write_bytes(bytes(flipped))
        with pytest.raises(CheckpointError, match=r"last\.ckpt"):
            read_resume_checkpoint(path)


def test_a_model_checkpoint_is_refused_as_a_resume_checkpoint_and_the_reverse(tmp_path):
    save_model(_toy(), tmp_path / "model")
    shutil.copy(tmp_path / "model.safetensors", tmp_path / "last.ckpt")
    with pytest.raises(
        CheckpointError, match=r"last\.ckpt.*not one this package wrote as skillsight-resume-v2"
    ):
        read_resume_checkpoint(tmp_path / "last.ckpt")
    SafetensorsCheckpointIO().save_checkpoint(
        {"epoch": 0, "state_dict": {}}, tmp_path / "other" / "model.safetensors"
    )
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*not model weights"):
        load_model(tmp_path / "other" / "model")


def test_another_models_weights_beside_this_model_json_are_refused(tmp_path):
    save_model(_toy(), tmp_path / "a" / "model")
    save_model(_toy(embed_dim=4), tmp_path / "b" / "model")
    shutil.copy(tmp_path / "b" / "model.safetensors", tmp_path / "a" / "model.safetensors")
    with pytest.raises(
        CheckpointError, match=r"a/model\.json.*another model.*model_args\.embed_dim is not set here and 4"
    ):
        load_model(tmp_path / "a" / "model")


def _edit_json(path: Path, edit: Callable[[dict], None]) -> None:
    spec = json.loads(path.read_text())
    edit(spec)
    path.write_text(json.dumps(spec))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (lambda s: s["model_args"].update(embed_dim=12), "model_args.embed_dim"),
        (lambda s: s["model_args"].update(bogus=1), "model_args.bogus"),
    ],
    ids=["changed dim", "unknown argument"],
)
def test_an_edited_model_json_is_refused_naming_it_and_the_key(tmp_path, edit, field):
    save_model(_toy(), tmp_path / "model")
    _edit_json(tmp_path / "model.json", edit)
    with pytest.raises(CheckpointError, match=rf"model\.json, '{field}': was edited") as err:
        load_model(tmp_path / "model")
    assert str(tmp_path / "model.json") in str(err.value)


def _first_format_model(folder: Path, **model_kwargs: Any) -> torch.nn.Module:
    """A checkpoint as the first format wrote it: weights without a spec, the spec only in model.json."""
    from safetensors.torch import save_file

    model = _toy(**model_kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(folder / "model.safetensors"))
    spec = {
        "model_name": model.model_name,
        "model_args": model.model_args,
        "model_module": None,
        "metadata": {},
    }
    (folder / "model.json").write_text(json.dumps(spec))
    return model


def test_first_format_model_checkpoints_still_load_and_their_bad_specs_are_clear_errors(tmp_path):
    model = _first_format_model(tmp_path / "ok")
    loaded = load_model(tmp_path / "ok" / "model")
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in loaded.state_dict().items())
    assert read_model_spec(tmp_path / "ok" / "model")["model_name"] == "test_toy_gaze_classifier"

    _first_format_model(tmp_path / "dim")
    _edit_json(tmp_path / "dim" / "model.json", lambda s: s["model_args"].update(embed_dim=12))
    with pytest.raises(
        CheckpointError, match=r"dim/model\.safetensors, 'distill\.weight'.*shape \[8, 16\] in the file"
    ):
        load_model(tmp_path / "dim" / "model")

    _first_format_model(tmp_path / "kwarg")
    _edit_json(tmp_path / "kwarg" / "model.json", lambda s: s["model_args"].update(bogus=1))
    with pytest.raises(CheckpointError, match=r"kwarg/model\.json, 'model_args'.*bogus"):
        load_model(tmp_path / "kwarg" / "model")

    _first_format_model(tmp_path / "garbage")
    (tmp_path / "garbage" / "model.json").write_bytes(b"\xff\xfe garbage")
    with pytest.raises(
        CheckpointError, match=r"garbage/model\.json: checkpoint spec is not valid UTF-8 JSON"
    ):
        load_model(tmp_path / "garbage" / "model")


def test_a_first_format_resume_checkpoint_resumes_with_a_warning(tmp_path):
    """Written as the first format did (JSON tree + tensors beside it); the next save writes the new one."""
    from safetensors.torch import save_file

    from skillsight.runs.checkpoint_io import encode_tree

    run = tmp_path / "run"
    _fit(run, 1)
    state, _ = read_resume_checkpoint(run / LAST_CHECKPOINT)
    tensors: dict[str, torch.Tensor] = {}
    tree = encode_tree(state, tensors)
    save_file(
        {k: v.contiguous().clone() for k, v in tensors.items()}, str(run / f"{LAST_CHECKPOINT}.safetensors")
    )
    (run / LAST_CHECKPOINT).write_text(json.dumps({"format": "skillsight-lightning-v1", "tree": tree}))
    with pytest.warns(UserWarning, match="first format.*cannot be verified"):
        _fit(run, 2, resume=True)
    assert read_resume_checkpoint(run / LAST_CHECKPOINT)[0]["epoch"] == 1
    assert not (run / f"{LAST_CHECKPOINT}.safetensors").exists()


# ----------------------------------------------------------------------------- NaN / inf weights


def _poisoned_run(folder: Path) -> Path:
    """A run folder (deploy helper) whose sealed, correctly checksummed weights hold NaN in one tensor."""
    from tests.unit.deploy._runs import make_run

    make_run(folder)
    spec = read_model_spec(folder / "model")
    state = dict(load_model(folder / "model").state_dict())
    name = list(state)[3]
    state[name] = state[name].clone()
    state[name].view(-1)[0] = float("nan")
    checksum = sealed.write_sealed(
        folder / "model.safetensors", state, MODEL_FORMAT, {"spec": json.dumps(spec)}
    )
    atomic_write_text(folder / "model.json", json.dumps({**spec, "checksum": checksum}))
    return folder


def test_saving_nan_weights_is_refused_and_writes_nothing(tmp_path):
    model = _toy()
    with torch.no_grad():
        model.head.bias[0] = float("inf")
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors, 'head\.bias': not saved: 1 of 2 values are NaN/inf"
    ):
        save_model(model, tmp_path / "model")
    assert not list(tmp_path.iterdir())


def _evaluate(run: Path) -> None:
    from skillsight.training.skill_run import evaluate_run

    evaluate_run(run)


def _export(run: Path) -> None:
    from skillsight.deploy.export import export_run

    export_run(run, run / "model.onnx")


def _stream(run: Path) -> None:
    from skillsight.deploy.inference import SkillEstimator

    SkillEstimator.from_run(run, backend="torch")


def _power(run: Path) -> None:
    from skillsight.cli.power import power_command

    power_command(str(run), window_s=8.0)


@pytest.mark.parametrize(
    "entry", [_evaluate, _export, _stream, _power], ids=["evaluate", "export", "stream", "power"]
)
def test_every_inference_path_refuses_nan_weights_naming_the_file_and_tensor(tmp_path, entry):
    run = _poisoned_run(tmp_path / "run")
    with pytest.raises(
        CheckpointError, match=r"model\.safetensors, '[\w.]+': 1 of \d+ values are NaN/inf"
    ) as err:
        entry(run)
    assert str(run / "model.safetensors") in str(err.value)


def test_evaluate_on_nan_weights_exits_2_with_one_line(tmp_path, capsys):
    from skillsight.cli.main import main

    run = _poisoned_run(tmp_path / "run")
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", str(run)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "NaN/inf" in err and "Traceback" not in err and "model.safetensors" in err


def test_an_epoch_with_nan_weights_never_becomes_the_best_model(tmp_path):
    from lightning.pytorch.callbacks import Callback

    class Poison(Callback):
        def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
            if trainer.current_epoch == 1 and batch_idx == 3:
                with torch.no_grad():
                    pl_module.model.head.weight.fill_(float("nan"))

    train = make_loader(ToyDataset(64, seed=0), batch_size=16, shuffle=True)
    task = SupervisedTask(_toy(), OptimConfig())
    cfg = TrainerConfig(max_epochs=2, progress_bar=False)
    with pytest.MonkeyPatch.context() as patch:
        _first_callback(patch, Poison())
        with pytest.warns(UserWarning, match=r"epoch 1: .*model\.safetensors, 'head\.weight': not saved"):
            fit(task, train, None, tmp_path, cfg, monitor="no/such/metric")  # every epoch would be "best"
    assert load_model(tmp_path / "model").checkpoint_metadata["epoch"] == 0
