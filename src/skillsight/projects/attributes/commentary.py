"""Ego-Exo4D expert commentary (demonstration proficiency) files: read and write.

File: ``annotations/proficiency_demonstration_{train,val}.json`` (Ego-Exo4D docs, "Proficiency
Estimation"). The top level is a list of take records, or a dict whose ``"annotations"`` key holds that
list (the released files use the dict). Each take record has ``take_uid`` plus the demonstrator fields
(``task_name``, ``scenario_name``, ``video_paths`` ...) and two lists of commentary entries::

    "good_executions":      [{"video_time": 360.18, "list": "['the water is just beginning to boil']",
                              "expert_uid": "d2vast", "video_name": "sfu_cooking_013_3"}, ...]
    "tips_for_improvement": [{"video_time": 22.99,  "list": "[\"When making dumplings ...\"]", ...}, ...]

Quirk of the released files: ``list`` is a *string* holding a Python list literal (single or double
quoted items), not a JSON array. Both forms are accepted; the string is parsed with
:func:`ast.literal_eval` (never ``eval``), and anything that is not a list of strings raises
:class:`~skillsight.exceptions.DataFormatError` naming the file, the field path and the value.
"""

from __future__ import annotations

import ast
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillsight.data.readers.egoexo4d_annotations import read_annotations
from skillsight.exceptions import DataFormatError
from skillsight.runs.atomic import atomic_write_text

__all__ = [
    "COMMENTARY_KINDS",
    "CommentaryEntry",
    "TakeCommentary",
    "commentary_path",
    "parse_comment_list",
    "read_commentary",
    "write_commentary",
]

#: JSON key -> short kind name.
COMMENTARY_KINDS: dict[str, str] = {"good_executions": "good", "tips_for_improvement": "tip"}


@dataclass(frozen=True)
class CommentaryEntry:
    """One expert comment at one time point.

    Attributes:
        kind: "good" (good execution) or "tip" (tip for improvement).
        video_time_s: time of the comment from the start of the take video, seconds.
        texts: the comment strings (the parsed ``list`` field; usually one).
        expert_uid: who wrote it.
        video_name: the take name the comment refers to ("" when absent).
    """

    kind: str
    video_time_s: float
    texts: tuple[str, ...]
    expert_uid: str
    video_name: str = ""

    @property
    def text(self) -> str:
        """All strings of the entry joined by a space."""
        return " ".join(self.texts)


@dataclass
class TakeCommentary:
    """Every comment on one take, with the take's scenario and task."""

    take_uid: str
    take_name: str
    scenario: str
    task_name: str
    entries: list[CommentaryEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # other record fields, written back unchanged

    @property
    def tips(self) -> list[CommentaryEntry]:
        return [e for e in self.entries if e.kind == "tip"]

    @property
    def good(self) -> list[CommentaryEntry]:
        return [e for e in self.entries if e.kind == "good"]


def commentary_path(root: str | Path, split: str) -> Path:
    """``root/annotations/proficiency_demonstration_<split>.json``."""
    return Path(root) / "annotations" / f"proficiency_demonstration_{split}.json"


def parse_comment_list(value: Any, source: str | Path, field_path: str) -> tuple[str, ...]:
    """Parse the ``list`` field: a JSON array of strings or a string holding a Python list literal.

    Raises:
        DataFormatError: not a list of strings, an unparsable literal, or an empty list.
    """
    parsed = value
    if isinstance(value, str):
        text = value.strip()
        if not text.startswith("["):
            raise DataFormatError(source, field_path, value, "expected a list literal like \"['tip']\"")
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError) as err:
            raise DataFormatError(
                source, field_path, value, f"unparsable list literal ({err.__class__.__name__})"
            ) from None
    if not isinstance(parsed, (list, tuple)) or not all(isinstance(s, str) for s in parsed):
        raise DataFormatError(source, field_path, value, "expected a list of strings")
    texts = tuple(s.strip() for s in parsed if s.strip())
    if not texts:
        raise DataFormatError(source, field_path, value, "comment list is empty")
    return texts


def _entry(raw: Any, kind: str, source: Path, where: str) -> CommentaryEntry:
    if not isinstance(raw, dict):
        raise DataFormatError(source, where, raw, "expected an object with video_time, list, expert_uid")
    for key in ("video_time", "list", "expert_uid"):
        if key not in raw:
            raise DataFormatError(source, f"{where}.{key}", None, "missing field")
    t = raw["video_time"]
    if isinstance(t, bool) or not isinstance(t, (int, float)) or not math.isfinite(t) or t < 0:
        raise DataFormatError(source, f"{where}.video_time", t, "expected a finite number of seconds >= 0")
    expert = raw["expert_uid"]
    if not isinstance(expert, str) or not expert:
        raise DataFormatError(source, f"{where}.expert_uid", expert, "expected a non-empty string")
    texts = parse_comment_list(raw["list"], source, f"{where}.list")
    return CommentaryEntry(kind, float(t), texts, expert, str(raw.get("video_name", "")))


def read_commentary(path: str | Path) -> list[TakeCommentary]:
    """Read one proficiency_demonstration file into per-take commentary (file order).

    Raises:
        FileNotFoundError: the file does not exist.
        DataFormatError: malformed JSON, records or entries (message names file and field path).
    """
    path = Path(path)
    out: list[TakeCommentary] = []
    # Same record layout as the proficiency files: the shared reader checks the JSON, the list of
    # records and the unique take_uid of each.
    for i, rec in enumerate(read_annotations(path)):
        where = f"annotations[{i}]"
        uid = rec["take_uid"]
        entries: list[CommentaryEntry] = []
        for key, kind in COMMENTARY_KINDS.items():
            raw_list = rec.get(key, [])
            if not isinstance(raw_list, list):
                raise DataFormatError(path, f"{where}.{key}", raw_list, "expected a list")
            entries += [_entry(raw, kind, path, f"{where}.{key}[{j}]") for j, raw in enumerate(raw_list)]
        entries.sort(key=lambda e: (e.video_time_s, e.kind))
        take_name = str(rec.get("take_name") or next((e.video_name for e in entries if e.video_name), ""))
        known = {"take_uid", "take_name", "scenario_name", "task_name", *COMMENTARY_KINDS}
        out.append(
            TakeCommentary(
                uid,
                take_name,
                str(rec.get("scenario_name", "")),
                str(rec.get("task_name", "")),
                entries,
                {k: v for k, v in rec.items() if k not in known},
            )
        )
    return out


def write_commentary(path: str | Path, takes: Sequence[TakeCommentary], list_as_string: bool = True) -> None:
    """Write per-take commentary in the released layout (``{"annotations": [...]}``).

    Args:
        path: output file (parents are created).
        takes: the commentary to write.
        list_as_string: write ``list`` as a Python list literal string like the released files
            (True) or as a JSON array (False).
    """
    records = []
    for tc in takes:
        rec: dict[str, Any] = {
            **tc.extra,
            "take_uid": tc.take_uid,
            "take_name": tc.take_name,
            "scenario_name": tc.scenario,
            "task_name": tc.task_name,
        }
        for key, kind in COMMENTARY_KINDS.items():
            rec[key] = [
                {
                    "video_time": round(e.video_time_s, 6),
                    "list": repr(list(e.texts)) if list_as_string else list(e.texts),
                    "expert_uid": e.expert_uid,
                    "video_name": e.video_name or tc.take_name,
                }
                for e in tc.entries
                if e.kind == kind
            ]
        records.append(rec)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"annotations": records}, indent=1))
