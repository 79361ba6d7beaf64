"""FolderListing answers "is X a file" exactly as Path.is_file, with one listing per folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillsight.data.readers import folder_listing
from skillsight.data.readers.folder_listing import FolderListing


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "eye_gaze").mkdir()
    (tmp_path / "eye_gaze" / "general_eye_gaze.csv").write_text("")
    (tmp_path / "eye_gaze" / "a_folder.csv").mkdir()  # a folder with a file's name is not a file
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "x.mp4").write_text("")
    (tmp_path / "top.json").write_text("{}")
    (tmp_path / "link.json").symlink_to(tmp_path / "top.json")  # links are followed
    (tmp_path / "broken.json").symlink_to(tmp_path / "gone.json")
    (tmp_path / "not_a_dir").write_text("")
    return tmp_path


QUESTIONS = (
    "eye_gaze/general_eye_gaze.csv",
    "eye_gaze/personalized_eye_gaze.csv",
    "eye_gaze/a_folder.csv",
    "deep/er/x.mp4",
    "deep/er/y.mp4",
    "deep/er",
    "top.json",
    "link.json",
    "broken.json",
    "gone.json",
    "missing/folder/file.csv",
    "not_a_dir/file.csv",
)


def test_answers_equal_path_is_file(folder: Path) -> None:
    listing = FolderListing(folder)
    for relative in QUESTIONS:
        assert listing.is_file(relative) == (folder / relative).is_file(), relative
    assert listing.files("eye_gaze") == {"general_eye_gaze.csv"}
    assert listing.first_file(["gone.json", "deep/er/x.mp4", "top.json"]) == folder / "deep/er/x.mp4"
    assert listing.first_file(["gone.json", "eye_gaze/a_folder.csv"]) is None


def test_each_folder_is_listed_once(folder: Path, monkeypatch) -> None:
    listed: list[str] = []
    real = os.scandir

    def counting(path):
        listed.append(os.fspath(path))
        return real(path)

    monkeypatch.setattr(folder_listing.os, "scandir", counting)
    listing = FolderListing(str(folder))
    for _ in range(3):
        for relative in QUESTIONS:
            listing.is_file(relative)
    assert len(listed) == len(set(listed)) == 6  # top, eye_gaze, deep/er, deep, missing/folder, not_a_dir
