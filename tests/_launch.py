"""Launching multi-process runs from tests without leaving processes behind: each launch is its own
process group (session), killed whole on timeout or when the test is done with it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

__all__ = ["ROOT", "Launch", "descendants", "free_port", "torchrun_cmd", "wait_for"]


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def torchrun_cmd(*args: str) -> list[str]:
    """``python -m torch.distributed.run ARGS`` with this interpreter (the venv's torchrun)."""
    return [sys.executable, "-m", "torch.distributed.run", *args]


def _children() -> dict[int, list[int]]:
    """ppid -> pids of the running processes (from /proc)."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (torchrun's workers run in sessions of their own, so a signal
    to the launcher's process group does not reach them)."""
    tree, found, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Launch:
    """A command started in a new session; ``kill()`` signals it and every process below it.

    Args:
        cmd: the command line.
        log: file receiving stdout and stderr.
    """

    def __init__(self, cmd: Sequence[str], log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        base = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
        self._out = log.open("w")
        self.proc = subprocess.Popen(
            list(cmd),
            stdout=self._out,
            stderr=subprocess.STDOUT,
            env={**base, **(env or {})},
            start_new_session=True,
            cwd=ROOT,
        )

    def workers(self) -> list[int]:
        """The live processes the launcher started (torchrun's rank processes)."""
        return descendants(self.proc.pid)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal every process of the launch: the launcher's group and each descendant's group."""
        for pid in [*self.workers(), self.proc.pid]:
            for send in (os.killpg, os.kill):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    send(pid, sig)

    def wait(self, timeout_s: float) -> int:
        """Exit status, killing the whole group first if it runs past ``timeout_s``."""
        try:
            return self.proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            self.proc.wait(timeout=30)
            raise
        finally:
            self.kill()  # workers the launcher left behind, if any
            self._out.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def wait_for(path: Path, timeout_s: float, launches: Sequence[Launch] = ()) -> None:
    """Poll until ``path`` exists; raise if it does not within ``timeout_s`` or a launch exits first."""
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        for launch in launches:
            if launch.proc.poll() is not None:
                raise RuntimeError(f"{launch.proc.args} exited ({launch.proc.returncode}) before {path}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path} did not appear within {timeout_s} s")
        time.sleep(0.2)
