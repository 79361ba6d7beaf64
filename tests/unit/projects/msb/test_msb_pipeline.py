"""Synthetic MSB: the layout's counts, swing windows, and teacher + 2D-gaze student trained end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from skillsight.projects.msb.dataset import MsbSwingDataset, load_msb
from skillsight.projects.msb.reader import read_msb_gaze
from skillsight.projects.msb.synthetic import generate_msb_dataset


@pytest.fixture(scope="module")
def msb_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_msb_dataset(tmp_path_factory.mktemp("msb"), swings_per_player=6)


def test_synthetic_layout_has_25_players_in_3_levels(msb_root: Path) -> None:
    files = sorted(msb_root.glob("Sub*/*_streamLog_badminton-wearables_Sub*.hdf5"))
    assert len(files) == 25
    gaze = read_msb_gaze(files[0])
    assert gaze.xy.shape[1] == 2 and gaze.valid.mean() > 0.9
    rows = (msb_root / "annotations" / "subjects.csv").read_text().splitlines()[1:]
    levels = [r.split(",")[1] for r in rows]
    assert [levels.count(x) for x in ("novice", "intermediate", "expert")] == [12, 8, 5]


def test_splits_are_subject_disjoint_and_windows_two_channel(msb_root: Path) -> None:
    data = load_msb(msb_root)
    subjects = [{s.subject for s in split} for split in (data.train, data.val, data.test)]
    assert (
        not (subjects[0] & subjects[1])
        and not (subjects[0] & subjects[2])
        and not (subjects[1] & subjects[2])
    )
    assert len(data.train) + len(data.val) + len(data.test) == 25 * 6
    item = MsbSwingDataset(data.test, data.gaze)[0]
    assert (
        item["gaze"].shape == (16, 2) and item["gaze_mask"].dtype == torch.bool
    )  # 2 channels, no zero-filled 3D
    assert item["action"].item() in (0, 1) and item["label"].item() in (0, 1, 2)


def test_teacher_and_2d_student_train_end_to_end(msb_root: Path, tmp_path: Path) -> None:
    from skillsight.projects.msb.pipeline import train_msb

    results = train_msb(msb_root, tmp_path / "runs", epochs=2)
    for name in ("teacher", "student"):
        m = results[name]
        assert m["num_swings"] == 6 * 6 and 0.0 <= m["balanced_accuracy"] <= 1.0
        assert (tmp_path / "runs" / name / "model.safetensors").is_file()
    assert "read 25 MSB subjects, skipped 0" in (tmp_path / "runs" / "data_scan.txt").read_text()
