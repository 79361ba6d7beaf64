"""Ego-Exo4D proficiency reader: one import point for the annotation, takes.json, 2D gaze and scan code.

The work lives in :mod:`skillsight.data.readers.egoexo4d_annotations` (files -> dicts/records) and
:mod:`skillsight.data.readers.egoexo4d_takes` (dataset scan -> :class:`~skillsight.data.records.Take`
list with a skip report) and :mod:`skillsight.data.readers.egoexo4d_leakage` (takes or people in two
splits). Typical use::

    scan = load_takes("/data/egoexo4d", splits=("train", "val"), require=("gaze", "video"))
    print(scan.format_summary())
    for take in scan.takes: ...
"""

from __future__ import annotations

from skillsight.data.readers.egoexo4d_annotations import (
    GAZE2D_COLUMNS,
    label_from_score,
    read_annotations,
    read_gaze2d_csv,
    read_takes_json,
    scenario_from_name,
    write_gaze2d_csv,
)
from skillsight.data.readers.egoexo4d_leakage import check_split_leakage
from skillsight.data.readers.egoexo4d_takes import (
    CALIBRATION_CANDIDATES,
    REQUIREMENTS,
    TakeScan,
    annotation_path,
    load_takes,
)
from skillsight.data.records import SPLITS

__all__ = [
    "CALIBRATION_CANDIDATES",
    "GAZE2D_COLUMNS",
    "REQUIREMENTS",
    "SPLITS",
    "TakeScan",
    "annotation_path",
    "check_split_leakage",
    "label_from_score",
    "load_takes",
    "read_annotations",
    "read_gaze2d_csv",
    "read_takes_json",
    "scenario_from_name",
    "write_gaze2d_csv",
]
