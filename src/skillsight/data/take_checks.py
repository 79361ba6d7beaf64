"""Up-front checks of a clip dataset's takes: labels, vocabularies and every file the keys need.

Run once when the dataset is built, so a missing file or an unknown scenario fails before training
starts, naming the take, the field and the value, instead of in the middle of an epoch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS, Take
from skillsight.data.sample_spec import EGO_KEYS, SampleSpec
from skillsight.data.take_reader import exo_cameras
from skillsight.exceptions import ConfigError, DataFormatError

__all__ = ["check_takes"]


def _check_labels(
    take: Take, spec: SampleSpec, action_index: Mapping[str, int], allow_unlabelled: bool
) -> None:
    where = f"take {take.take_uid} ({take.take_name})"
    if take.label is None and not allow_unlabelled:
        raise DataFormatError(take.take_uid, "label", None, f"{where} has no label (allow_unlabelled=False)")
    if take.label is not None and not 0 <= int(take.label) < len(PROFICIENCY_LABELS):
        raise DataFormatError(
            take.take_uid,
            "label",
            take.label,
            f"{where}: label outside 0..{len(PROFICIENCY_LABELS) - 1}",
        )
    if "scenario" in spec.keys and take.scenario not in SCENARIOS:
        raise DataFormatError(
            take.take_uid, "scenario", take.scenario, f"{where}: not one of {list(SCENARIOS)}"
        )
    if "action" in spec.keys and take.task_name not in action_index:
        raise DataFormatError(
            take.take_uid,
            "task_name",
            take.task_name,
            f"{where}: not in the action vocabulary {sorted(action_index)}",
        )


def _needed_files(take: Take, spec: SampleSpec, exo_counts: set[int]) -> list[tuple[str, Path | None]]:
    where = f"take {take.take_uid} ({take.take_name})"
    paths: list[tuple[str, Path | None]] = [f for b in spec.extra_inputs for f in b.files(take)]
    if spec.keys & EGO_KEYS:
        paths.append((f"video_paths[{take.ego_camera}]", take.video_paths.get(take.ego_camera)))
    if "exo_video" in spec.keys:
        cams = exo_cameras(take, spec.num_exo_views)
        if not cams:
            raise DataFormatError(
                take.take_uid, "video_paths", sorted(take.video_paths), f"{where} has no exo video"
            )
        exo_counts.add(len(cams))
        paths += [(f"video_paths[{c}]", take.video_paths[c]) for c in cams]
    if spec.needs_gaze:
        paths.append(("gaze_path", take.gaze_path))
    return paths


def check_takes(
    takes: Sequence[Take], spec: SampleSpec, action_index: Mapping[str, int], allow_unlabelled: bool
) -> None:
    """Refuse takes the dataset cannot serve.

    Raises:
        DataFormatError: a missing or out-of-range label, a scenario or task name outside the
            vocabulary, too few exo views, or a file the keys need that does not exist.
        ConfigError: takes with different numbers of exo views and no ``num_exo_views``.
    """
    exo_counts: set[int] = set()
    for take in takes:
        _check_labels(take, spec, action_index, allow_unlabelled)
        where = f"take {take.take_uid} ({take.take_name})"
        for field_name, path in _needed_files(take, spec, exo_counts):
            if path is None or not Path(path).is_file():
                raise DataFormatError(
                    path if path is not None else take.take_uid,
                    field_name,
                    path,
                    f"{where}: file missing but the inputs {sorted(spec.keys)} need it",
                )
    if len(exo_counts) > 1:
        raise ConfigError(
            f"takes have different numbers of exo views {sorted(exo_counts)}; set num_exo_views"
        )
