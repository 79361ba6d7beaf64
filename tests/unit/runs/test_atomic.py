"""Atomic writes: temporary file beside the destination, old content kept on failure, nothing left over."""

from __future__ import annotations

import errno
import os

import pytest

from skillsight.exceptions import RunWriteError
from skillsight.runs import atomic
from skillsight.runs.atomic import atomic_write_text, temp_path_for


def test_temporary_names_sit_beside_the_destination_and_name_host_and_process(tmp_path):
    tmp = temp_path_for(tmp_path / "metrics.json")
    assert tmp.parent == tmp_path and tmp.name.startswith(".metrics.json.") and tmp.name.endswith(".tmp")
    assert f".{os.getpid()}." in tmp.name
    assert temp_path_for(tmp_path / "metrics.json") != tmp


def test_a_failed_rename_keeps_the_old_file_and_removes_the_temporary_one(tmp_path, monkeypatch):
    path = tmp_path / "a" / "b.json"
    atomic_write_text(path, "old")

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic, "_replace", full)
    with pytest.raises(RunWriteError, match=r"b\.json: No space left on device \(errno 28\); the previous"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old" and sorted(p.name for p in path.parent.iterdir()) == ["b.json"]


def test_a_run_write_error_is_also_an_os_error_with_its_errno(tmp_path, monkeypatch):
    monkeypatch.setattr(
        atomic, "_fsync_file", lambda p: (_ for _ in ()).throw(OSError(errno.EROFS, "Read-only"))
    )
    with pytest.raises(OSError) as err:
        atomic_write_text(tmp_path / "x.txt", "x")
    assert isinstance(err.value, RunWriteError) and err.value.errno == errno.EROFS
    assert "no previous version existed" in str(err.value)
