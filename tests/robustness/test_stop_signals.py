"""SIGTERM and Ctrl-C during training: a checkpoint where training stopped, a clear non-zero stop, and a
resume that continues bit for bit as the uninterrupted run (weights, optimiser, schedule, both metrics
tables, best model), whether the signal comes mid-epoch, inside a gradient accumulation, during
validation, from another process, or twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from lightning.pytorch.callbacks import Callback

from skillsight.exceptions import TrainingInterrupted
from skillsight.runs.checkpoint_io import read_resume_checkpoint
from tests.robustness._toy_runs import REPO, assert_same_run, first_callback, fit_toy

ACCUMULATE = 2  # 4 batches per epoch: optimiser steps after batches 2 and 4


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("signals") / "reference"
    fit_toy(run, accumulate=ACCUMULATE)
    return run


class SignalAt(Callback):
    """Sends ``signals`` to this process at the end of training batch ``batch`` of ``epoch`` (or, with
    ``validation``, of validation batch 0 of that epoch)."""

    def __init__(
        self,
        epoch: int,
        batch: int = 0,
        signals: tuple[int, ...] = (signal.SIGTERM,),
        validation: bool = False,
    ) -> None:
        self.epoch, self.batch, self.signals, self.validation = epoch, batch, signals, validation
        self.sent = False

    def _send(self, trainer: Any, batch_idx: int) -> None:
        if not self.sent and (trainer.current_epoch, batch_idx) == (self.epoch, self.batch):
            self.sent = True
            for sig in self.signals:
                os.kill(os.getpid(), sig)

    def on_train_batch_end(
        self, trainer: Any, pl_module: Any, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if not self.validation:
            self._send(trainer, batch_idx)

    def on_validation_batch_end(self, trainer: Any, *args: Any) -> None:
        if self.validation:
            self._send(trainer, int(args[-1]))


def _stopped(run: Path, callback: Callback) -> TrainingInterrupted:
    with pytest.MonkeyPatch.context() as patch:
        first_callback(patch, callback)
        with pytest.raises(TrainingInterrupted) as err:
            fit_toy(run, accumulate=ACCUMULATE)
    return err.value


def test_sigterm_inside_an_accumulation_stops_at_the_next_optimiser_step_and_resumes_exactly(
    reference: Path, tmp_path: Path
) -> None:
    err = _stopped(tmp_path, SignalAt(epoch=1, batch=0))  # after the first of two accumulated batches
    assert err.signal_name == "SIGTERM" and err.exit_code == 143
    assert "in epoch 1 after batch 2 of 4 (optimiser step 3)" in str(err) and "--resume" in str(err)
    state, fields = read_resume_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert state["global_step"] == 3 and int(fields["metrics_rows"]) == 1, "epoch 0's row only"
    fit_toy(tmp_path, resume=True, accumulate=ACCUMULATE)
    assert_same_run(reference, tmp_path)


def test_a_signal_during_validation_stops_after_that_epochs_checkpoint(
    reference: Path, tmp_path: Path
) -> None:
    err = _stopped(tmp_path, SignalAt(epoch=0, validation=True))
    assert "after epoch 0" in str(err)
    state, _ = read_resume_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert state["epoch"] == 0 and state["global_step"] == 2
    fit_toy(tmp_path, resume=True, accumulate=ACCUMULATE)
    assert_same_run(reference, tmp_path)


def test_a_second_ctrl_c_stops_at_once_keeping_the_last_complete_checkpoint(
    reference: Path, tmp_path: Path
) -> None:
    err = _stopped(tmp_path, SignalAt(epoch=1, batch=0, signals=(signal.SIGINT, signal.SIGINT)))
    assert err.signal_name == "SIGINT" and err.exit_code == 130 and "at once" in str(err)
    state, _ = read_resume_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert state["epoch"] == 0, "epoch 0's end-of-epoch checkpoint"
    fit_toy(tmp_path, resume=True, accumulate=ACCUMULATE)
    assert_same_run(reference, tmp_path)


def test_a_real_sigterm_from_another_process_mid_training(reference: Path, tmp_path: Path) -> None:
    """The parent sends SIGTERM when the child reports epoch 1's second batch; the child stops with
    exit code 143 and a message; the resumed run equals the uninterrupted one."""
    run = tmp_path / "run"
    script = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(REPO)!r})
        import torch
        torch.set_num_threads(1)
        from lightning.pytorch.callbacks import Callback
        from skillsight.exceptions import TrainingInterrupted
        from tests.robustness import _toy_runs as t

        class Report(Callback):
            def on_train_batch_start(self, trainer, module, batch, batch_idx):
                print(f"batch {{trainer.current_epoch}} {{batch_idx}}", flush=True)
                time.sleep(0.3)  # time for the signal to arrive within the batch

        with __import__("pytest").MonkeyPatch.context() as patch:
            t.first_callback(patch, Report())
            try:
                t.fit_toy(__import__("pathlib").Path({str(run)!r}), accumulate={ACCUMULATE})
            except TrainingInterrupted as err:
                print(f"stopped: {{err}}", file=sys.stderr, flush=True)
                sys.exit(err.exit_code)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    for line in child.stdout:
        if line.strip() == "batch 1 1":
            child.send_signal(signal.SIGTERM)
            break
    _, stderr = child.communicate(timeout=120)
    assert child.returncode == 143, stderr[-2000:]
    assert "received SIGTERM: stopping after the current optimiser step" in stderr
    assert "stopped: training stopped by SIGTERM in epoch 1 after batch 2 of 4" in stderr
    fit_toy(run, resume=True, accumulate=ACCUMULATE)
    assert_same_run(reference, run)
