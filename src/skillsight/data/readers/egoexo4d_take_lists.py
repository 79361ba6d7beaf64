"""A split file that is a bare list of take names (the official test list) read as unlabelled records.

The Ego-Exo4D demonstrator-proficiency test split is published as a JSON list of take names (e.g.
``["uniandes_dance_015_5", "iiith_soccer_022_3", ...]``) without labels. Placed as
``annotations/proficiency_demonstrator_test.json`` it is read here: each name becomes a record
``{"take_uid", "take_name"}`` found through takes.json (scenario and task come from takes.json); a name
takes.json does not know is skipped and counted, never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

from skillsight.data.readers.egoexo4d_annotations import read_annotations
from skillsight.exceptions import DataFormatError

__all__ = ["read_split_records"]


def _take_names(path: Path) -> list[str] | None:
    """The names if the file is a non-empty JSON list of strings, else None (any other layout)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None  # read_annotations reports it, naming the file
    if isinstance(data, list) and data and all(isinstance(x, str) for x in data):
        return data
    return None


def read_split_records(
    path: str | Path, takes_meta: dict[str, dict], skipped: list[tuple[str, str]]
) -> list[dict]:
    """Records of a split file: annotation records, or a take-name list resolved through takes.json.

    Args:
        path: ``proficiency_demonstrator_<split>.json``.
        takes_meta: ``{take_uid: take}`` from takes.json.
        skipped: receives ``(name, "not in takes.json: ...")`` for each unknown take name.

    Raises:
        DataFormatError: a name listed twice, or what :func:`read_annotations` raises.
    """
    path = Path(path)
    names = _take_names(path)
    if names is None:
        return read_annotations(path)
    uid_of = {take["take_name"]: uid for uid, take in takes_meta.items()}
    records, seen = [], set()
    for i, name in enumerate(names):
        if name in seen:
            raise DataFormatError(path, f"[{i}]", name, "take listed twice in one file")
        seen.add(name)
        if name not in uid_of:
            skipped.append((name, f"not in takes.json: take name {name!r} of {path.name}"))
            continue
        records.append({"take_uid": uid_of[name], "take_name": name})
    return records
