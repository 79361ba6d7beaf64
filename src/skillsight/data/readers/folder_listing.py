"""One directory listing per folder of a take, answering "is X a file?" for the dataset scan.

A scan of Ego-Exo4D checks a dozen files per take (videos, gaze, 2D gaze, trajectory, calibration);
one existence check per file is one file-system round trip, which on network storage (NFS, SMB, a
FUSE-mounted bucket) costs milliseconds each and dominates a scan of ~5,000 takes. A
:class:`FolderListing` lists each folder it is asked about ONCE (``os.scandir``: one round trip for
the whole folder) and answers every later question about that folder from the listing.

``is_file`` means what :meth:`pathlib.Path.is_file` means: a regular file, following symbolic links
(a broken link, a folder, a missing or unreadable parent are all "no"). The listing is taken when a
folder is first asked about; a file created afterwards is not seen (a scan is a snapshot).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["FolderListing"]


class FolderListing:
    """File names of a folder and its sub-folders, each listed once on first use.

    Args:
        folder: the take folder; questions name files relative to it with ``/`` separators.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = os.fspath(folder)
        self._files: dict[str, frozenset[str]] = {}  # folder path -> its file names

    def files(self, subdir: str = "") -> frozenset[str]:
        """Names of the regular files (links followed) directly in ``folder/subdir``; empty if none."""
        return self._listing(os.path.join(self.folder, subdir) if subdir else self.folder)

    def holds(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` (a file path under the folder) is a regular file, from its folder's listing."""
        where, name = os.path.split(os.fspath(path))
        return name in self._listing(where)

    def _listing(self, where: str) -> frozenset[str]:
        listed = self._files.get(where)
        if listed is None:
            try:
                entries = os.scandir(where)
            except OSError:  # missing, not a folder, unreadable: nothing is a file there
                listed = frozenset()
            else:
                with entries:
                    try:  # is_file follows links; most file systems answer it from the listing itself
                        listed = frozenset([e.name for e in entries if e.is_file()])
                    except OSError:  # one entry could not be stat'ed
                        listed = _listed_one_by_one(where)
            self._files[where] = listed
        return listed

    def is_file(self, relative: str) -> bool:
        """Whether ``folder/relative`` is a regular file (``/`` separators: ``eye_gaze/x.csv``)."""
        subdir, _, name = relative.rpartition("/")
        return name in self.files(subdir)

    def first_file(self, candidates: Iterable[str]) -> Path | None:
        """``folder/c`` for the first candidate that is a file, else None."""
        for relative in candidates:
            if self.is_file(relative):
                return Path(self.folder, relative)
        return None


def _listed_one_by_one(where: str) -> frozenset[str]:
    """The slow path after an error: each entry on its own, one that cannot be stat'ed is no file."""
    names = []
    try:
        with os.scandir(where) as entries:
            for entry in entries:
                try:
                    if entry.is_file():
                        names.append(entry.name)
                except OSError:
                    pass
    except OSError:
        return frozenset()
    return frozenset(names)
