"""SIGTERM and SIGINT (Ctrl-C) during training: stop at the next consistent point with a resume checkpoint.

A cluster scheduler ends a job with SIGTERM (and a grace period); a user with Ctrl-C. Either way the
run stops after the current optimiser step, not at the end of a long epoch:

* mid-epoch, at the next optimiser-step boundary (never inside an accumulation of gradients, which a
  checkpoint does not hold), ``checkpoints/last.ckpt`` is written with the weights, optimiser, schedule,
  the epoch's data position (:class:`~skillsight.training.sampling.ResumableLoader` skips the batches
  done), every RNG's state and the running sums of the epoch's logged means; the resumed run then
  continues bit for bit as the uninterrupted one would have;
* during validation or the epoch's end, the epoch finishes and its own end-of-epoch checkpoint is the
  stopping point;
* a second Ctrl-C stops at once (Lightning's KeyboardInterrupt path; the last complete checkpoint stays).

:func:`skillsight.training.loop.fit` then raises :class:`~skillsight.exceptions.TrainingInterrupted`
naming the signal, where training stopped and how to continue; the CLI prints it and exits with
128 + the signal number (143 for SIGTERM, 130 for SIGINT). With several processes the ranks agree on
stopping at each optimiser step (any rank's signal stops all). Under DDP the means logged for the
interrupted epoch after a mid-epoch resume come from rank 0's sums only.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from skillsight.training.sampling import ResumableLoader

__all__ = ["StopOnSignal", "StopRequested"]

_SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


class StopRequested(Exception):
    """Raised inside the Trainer to end ``fit`` after a stop was requested (caught by ``fit``)."""

    def __init__(self, signal_name: str, where: str) -> None:
        self.signal_name, self.where = signal_name, where
        super().__init__(f"{signal_name}: stopped {where}")


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    kind, keys, pos, has_gauss, gauss = np.random.get_state(legacy=True)
    state["numpy"] = (
        str(kind),
        torch.from_numpy(np.asarray(keys, np.int64)),
        int(pos),
        int(has_gauss),
        float(gauss),
    )
    version, internal, gauss_next = random.getstate()
    state["python"] = (int(version), list(internal), gauss_next)
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(list(state["cuda"]))
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), int(pos), int(has_gauss), float(gauss)))
    version, internal, gauss_next = state["python"]
    random.setstate((int(version), tuple(int(x) for x in internal), gauss_next))


def _epoch_sums(trainer: L.Trainer) -> dict[str, list[torch.Tensor]]:
    """Running sums of the epoch-level means and sums logged so far this epoch (Lightning's results)."""
    sums: dict[str, list[torch.Tensor]] = {}
    for key, metric in trainer.fit_loop.epoch_loop._results.items():
        meta = getattr(metric, "meta", None)
        if meta is None or not meta.on_epoch or not (meta.is_mean_reduction or meta.is_sum_reduction):
            continue
        sums[key] = [metric.value.detach().cpu().clone(), metric.cumulated_batch_size.detach().cpu().clone()]
    return sums


class StopOnSignal(Callback):
    """Turns SIGTERM / SIGINT into a stop at the next consistent point with a checkpoint (see the module).

    Args:
        last_checkpoint: the resume checkpoint's path.
        notify: called with a line when a signal arrives (default: stderr).
    """

    def __init__(self, last_checkpoint: Path, notify: Any = None) -> None:
        self.last_checkpoint = last_checkpoint
        self.notify = notify or (lambda line: print(line, file=sys.stderr, flush=True))
        self.requested: str | None = None
        self.stopped: StopRequested | None = None
        self._previous: dict[int, Any] = {}
        self._mid_epoch: dict[str, Any] | None = None  # the state a mid-epoch checkpoint records
        self._restore: dict[str, Any] | None = None  # that state, read from the checkpoint resumed

    # ------------------------------------------------------------------ signal handlers
    def _handler(self, signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if self.requested is not None and name == "SIGINT":
            raise KeyboardInterrupt  # a second Ctrl-C: stop at once
        if self.requested is None:
            self.requested = name
            self.notify(
                f"received {name}: stopping after the current optimiser step, with a checkpoint"
                + (" (Ctrl-C again to stop at once)" if name == "SIGINT" else "")
            )

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signals reach the main thread only
        for sig in _SIGNALS.values():
            self._previous[sig] = signal.signal(sig, self._handler)

    def _restore_handlers(self) -> None:
        for sig, previous in self._previous.items():
            signal.signal(sig, previous)
        self._previous = {}

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._restore_handlers()

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self._restore_handlers()

    def _agreed(self, trainer: L.Trainer) -> bool:
        """Whether any process was asked to stop (every rank takes the same decision)."""
        local = self.requested is not None
        if trainer.world_size > 1:
            return bool(trainer.strategy.reduce_boolean_decision(local, all=False))
        return local

    # ------------------------------------------------------------------ checkpoint state
    def state_dict(self) -> dict[str, Any]:
        return dict(self._mid_epoch) if self._mid_epoch is not None else {"mid_epoch": False}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self._restore = dict(state_dict) if state_dict.get("mid_epoch") else None

    # ------------------------------------------------------------------ training hooks
    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if self._restore is not None and "rng" in self._restore:
            _set_rng_state(self._restore.pop("rng"))  # after the resumed epoch's iterator exists

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        if self._restore is not None:  # add the interrupted epoch's sums to the means logged since
            results = trainer.fit_loop.epoch_loop._results
            for key, (value, count) in self._restore.get("sums", {}).items():
                if key in results:
                    results[key].value += value.to(results[key].value.device)
                    results[key].cumulated_batch_size += count.to(results[key].cumulated_batch_size.device)
            self._restore = None
        accumulate = max(1, int(trainer.accumulate_grad_batches))
        done = batch_idx + 1
        if done % accumulate or done >= trainer.num_training_batches or not self._agreed(trainer):
            return  # inside an accumulation, at the epoch's last batch (its end checkpoint follows), or go on
        name = self.requested or "SIGTERM"  # another rank's signal
        loader = trainer.train_dataloader
        if not isinstance(loader, ResumableLoader):  # it could not start the epoch part-way on resume
            epoch = trainer.current_epoch
            why = f"a plain DataLoader cannot resume mid-epoch: epoch {epoch} is redone"
            self.stopped = StopRequested(name, f"in epoch {epoch} ({why})")
            raise self.stopped
        self._mid_epoch = {
            "mid_epoch": True,
            "batches_done": done,
            "rng": _rng_state(),
            "sums": _epoch_sums(trainer),
        }
        loader.batches_done = done
        try:
            trainer.save_checkpoint(self.last_checkpoint)
        finally:
            self._mid_epoch = None
            loader.batches_done = 0
        where = (
            f"in epoch {trainer.current_epoch} after batch {done} of {trainer.num_training_batches} "
            f"(optimiser step {trainer.global_step})"
        )
        self.stopped = StopRequested(name, where)
        raise self.stopped

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        # Runs after the previous epoch's checkpoint was written (BestModelSaver comes first).
        if trainer.current_epoch > 0 and self._agreed(trainer):
            self.stopped = StopRequested(
                self.requested or "SIGTERM", f"after epoch {trainer.current_epoch - 1}"
            )
            raise self.stopped
