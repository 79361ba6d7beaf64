"""From a dataset root and a model to torch Datasets: split takes, vocabularies, crop and teacher features.

The model's declared ``input_names`` decide what is decoded. Two inputs are derived here rather
than decoded: ``crop_features`` (frozen DINOv2 CLS of the gaze crops, cached on disk so later
epochs never re-run the extractor) and ``teacher_features`` (a frozen teacher's fused feature,
computed once per training take and clip for distillation).
"""

from __future__ import annotations

from collections.abc import Sequence, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import Dataset

from skillsight.config import DataConfig
from skillsight.data.cache import FeatureCache, stable_hash
from skillsight.data.datasets import SkillClipDataset
from skillsight.data.progress import progress
from skillsight.data.readers.decoded_videos import shared_decoded_videos
from skillsight.data.readers.egoexo4d import load_takes
from skillsight.data.records import PROFICIENCY_LABELS, SCENARIOS, Take
from skillsight.data.scan_report import format_scan_report
from skillsight.data.splits import skillsight_split
from skillsight.exceptions import ConfigError
from skillsight.models import model_inputs

if TYPE_CHECKING:  # transformers (seconds to import) only when a model takes crop features
    from skillsight.models.layers.crop_features import CropFeatureExtractor

__all__ = [
    "DEFAULT_REQUIRE",
    "CropFeatureDataset",
    "SkillData",
    "TeacherFeatureDataset",
    "build_clip_dataset",
    "collate",
    "crop_extractor_for",
    "decoded_inputs",
    "drop_takes_without_audio",
    "load_skill_data",
    "precompute_teacher_features",
]

TARGETS = ("label", "action", "scenario")


@dataclass
class SkillData:
    """Takes per split plus the vocabularies a run needs.

    Attributes:
        actions: sub-task vocabulary (task_name), index = action id.
        skipped_summary: printed scan report (takes skipped and why).
    """

    train: list[Take]
    val: list[Take]
    test: list[Take]
    actions: list[str]
    skipped_summary: str = ""
    scenarios: list[str] = field(default_factory=lambda: list(SCENARIOS))

    def vocab(self) -> dict[str, Any]:
        """What a run folder stores so evaluation and deployment decode the same ids."""
        return {"classes": list(PROFICIENCY_LABELS), "scenarios": self.scenarios, "actions": self.actions}


#: What a take must have when the caller does not say (the scan's default).
DEFAULT_REQUIRE: tuple[str, ...] = ("gaze", "video")


def load_skill_data(
    data: DataConfig, require: Sequence[str] = DEFAULT_REQUIRE, actions: Sequence[str] | None = None
) -> SkillData:
    """Scan ``data.root`` (Ego-Exo4D layout), check leakage, split (``data.split``: the files' own splits,
    or the SkillSight paper's, :func:`skillsight.data.splits.skillsight_split`), and build the action
    vocabulary. The split's take counts are in ``skipped_summary`` (the run folder's ``data_scan.txt``).

    Args:
        data: the run's data section (root, gaze file kind, scenarios, split).
        require: files a take must have (see :data:`skillsight.data.readers.egoexo4d.REQUIREMENTS`);
            takes missing one are skipped and reported. Training derives it from the model's inputs.
        actions: the action vocabulary; default: the sorted task names of every take of the
            selected scenarios, whatever files it has (so the vocabulary does not depend on ``require``).
    """
    root = Path(data.root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"dataset root {root} does not exist (generate one with `skillsight data synth {root}`)"
        )
    # raises SplitLeakageError on a take in two splits
    scan = load_takes(root, require=tuple(require), gaze_kind=data.gaze_file)
    takes = [t for t in scan.takes if not data.scenarios or t.scenario in data.scenarios]
    unknown = sorted(set(data.scenarios) - set(SCENARIOS))
    if unknown:
        raise ConfigError(f"data.scenarios has unknown names {unknown}; valid: {list(SCENARIOS)}")
    if data.split == "skillsight":
        protocol = skillsight_split(takes, data.val_fraction, data.split_seed)
        by_split = {"train": protocol.train, "val": protocol.val, "test": protocol.test}
        split_summary = protocol.summary
    else:
        by_split = {s: [t for t in takes if t.split == s] for s in ("train", "val", "test")}
        counts = " / ".join(f"{s} {len(v)}" for s, v in by_split.items())
        split_summary = f"split official: {counts} takes (the files' own splits)"
    if not by_split["train"]:
        raise ConfigError(
            f"{root}: no training takes with the files this model needs ({', '.join(require) or 'none'})\n"
            + format_scan_report(scan, require, max_per_reason=5)
        )
    if actions is None:
        # Action ids come from every split's task names: the action head is an auxiliary target, not the
        # score. All takes, whatever files they have, so every model of a dataset shares one vocabulary.
        everything = scan if not require else load_takes(root, require=(), gaze_kind=data.gaze_file)
        actions = sorted(
            {t.task_name for t in everything.takes if not data.scenarios or t.scenario in data.scenarios}
        )
    summary = f"{format_scan_report(scan, require)}\n{split_summary}".strip()
    return SkillData(by_split["train"], by_split["val"], by_split["test"], list(actions), summary)


def drop_takes_without_audio(data: SkillData) -> SkillData:
    """``data`` without the takes whose ego MP4 has no audio stream, the drop reported in ``skipped_summary``.

    For models that read ``audio`` (EgoTrigger): such takes are a normal case (not every recording
    keeps its microphone track), counted and named rather than crashing the run.

    Raises:
        ConfigError: no training take has audio.
    """
    from skillsight.data.readers.audio import has_audio

    dropped: dict[str, list[str]] = {}
    kept: dict[str, list[Take]] = {}
    for split in ("train", "val", "test"):
        takes = getattr(data, split)
        flags = [has_audio(Path(t.video_paths[t.ego_camera])) for t in takes]
        kept[split] = [t for t, ok in zip(takes, flags) if ok]
        dropped[split] = [t.take_name for t, ok in zip(takes, flags) if not ok]
    n = sum(len(v) for v in dropped.values())
    if not kept["train"]:
        if not data.train:
            raise ConfigError("no training takes to read audio from")
        first = data.train[0]
        raise ConfigError(
            f"take {first.take_name} ({first.video_paths[first.ego_camera]}) has no audio stream, nor does "
            f"any other training take ({len(dropped['train'])} of {len(data.train)}); the model reads the "
            "ego microphone track: generate the takes with audio (`skillsight data synth` without "
            "--no-audio) or train a model without audio input"
        )
    summary = data.skipped_summary
    if n:
        names = ", ".join(sorted(name for v in dropped.values() for name in v)[:10])
        per_split = ", ".join(f"{s} {len(v)}" for s, v in dropped.items())
        summary = f"{summary}\nskipped {n} takes without an audio track ({per_split}): {names}".strip()
    return SkillData(kept["train"], kept["val"], kept["test"], data.actions, summary, data.scenarios)


def crop_extractor_for(model: nn.Module) -> CropFeatureExtractor:
    """The frozen extractor whose cached ``crop_features`` ``model`` reads, as the model says to build it
    (its preset AND its weights: ``model.crop_feature_extractor()``).

    Raises:
        ConfigError: the model reads ``crop_features`` but does not say which extractor computes them.
    """
    build = getattr(model, "crop_feature_extractor", None)
    if build is None:
        name = getattr(model, "model_name", type(model).__name__)
        raise ConfigError(f"{name} reads crop_features but has no crop_feature_extractor() to compute them")
    return build()


def decoded_inputs(input_names: Sequence[str]) -> tuple[str, ...]:
    """What the clip dataset must decode for a model: ``crop_features`` needs ``crops``."""
    names = ["crops" if n == "crop_features" else n for n in input_names]
    return tuple(dict.fromkeys([*names, *TARGETS[:3]]))


def build_clip_dataset(
    takes: list[Take],
    input_names: Sequence[str],
    data: DataConfig,
    mode: str,
    actions: list[str],
    seed: int,
    crop_out_px: int | None = None,
    num_clips: int | None = None,
    input_options: dict[str, Any] | None = None,
    num_exo_views: int | None = None,
    targets: Sequence[str] = TARGETS,
    allow_unlabelled: bool = False,
) -> SkillClipDataset:
    """The clip dataset for a model's inputs (``mode``: "train" ``data.train_clips_per_take`` random clips
    per take, "test" the 10 protocol clips).

    ``crop_out_px``: side the gaze crops are resized to (the crop extractor's input size).
    ``num_clips``: clips per take in test mode (default: the protocol's ``data.num_test_clips``).
    ``input_options``: the model's ``input_options`` (sparse frame count, head-motion steps, audio rate).
    ``num_exo_views``: exo views per item (the first N camera ids; None: every exo view of the take).
    ``targets``: target keys besides the inputs (evaluation drops ``action``: only training scores it).
    ``allow_unlabelled``: unlabelled takes get label -1 (prediction) instead of an error.
    """
    inputs = [n for n in decoded_inputs(input_names) if n not in TARGETS]
    decoded = shared_decoded_videos(data.decoded_video_cache_mb) if data.decoded_video_cache_mb > 0 else None
    return SkillClipDataset(
        takes,
        inputs,
        mode=mode,
        num_clips=num_clips or data.num_test_clips,
        frame_size_px=data.frame_px,
        crop_px=data.crop_px,
        crop_out_px=crop_out_px,
        seed=seed,
        action_vocab=actions,
        targets=tuple(targets),
        allow_unlabelled=allow_unlabelled,
        num_frames=data.num_frames,
        sample_fps=data.sample_fps,
        decoded_videos=decoded,
        input_options=input_options,
        train_clips_per_take=data.train_clips_per_take,
        num_exo_views=num_exo_views,
    )


class CropFeatureDataset(Dataset):
    """Replaces ``crops`` (T, 3, h, w) by frozen-extractor ``crop_features`` (T, D), cached on disk.

    The cache key holds the take, the clip's frame indices and the crop/extractor parameters, so a
    changed protocol never reads stale features.
    """

    def __init__(
        self,
        base: SkillClipDataset,
        extractor: CropFeatureExtractor,
        cache: FeatureCache | None,
        crop_params: dict[str, Any],
    ) -> None:
        self.base, self.extractor, self.cache, self.crop_params = base, extractor, cache, crop_params
        self.identity = extractor.identity()  # includes a weight fingerprint: computed once

    def __len__(self) -> int:
        return len(self.base)

    def set_epoch(self, epoch: int) -> None:
        if hasattr(self.base, "set_epoch"):
            self.base.set_epoch(epoch)

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = dict(self.base[index])
        crops = item.pop("crops")  # (T, 3, S, S), normalised with the extractor's (ImageNet) statistics
        # The first frame identifies the clip under any sampling protocol (random train starts included).
        key = None
        if self.cache is not None:
            fields = self.cache.key_fields(
                item["take_uid"], int(item["clip_start"]), self.crop_params, self.identity
            )
            key = stable_hash(fields)
            if self.cache.has(key):
                item["crop_features"] = self.cache.get(key)["crop_features"]
                return item
        features = self.extractor(crops)  # (T, D)
        if self.cache is not None and key is not None:  # the fields go with it, for inspection
            self.cache.put(key, {"crop_features": features}, key_fields=fields)
        item["crop_features"] = features
        return item


class TeacherFeatureDataset(Dataset):
    """Student training on precomputed teacher features.

    Item ``i`` is training take ``i // clips_per_take`` at one of its ``num_clips`` fixed test-protocol
    clips, drawn from (seed, epoch, i); ``teacher_features`` is the frozen teacher's feature for exactly
    that clip.
    """

    def __init__(self, clips: Dataset, features: torch.Tensor, seed: int, clips_per_take: int = 1) -> None:
        n_takes, n_clips, _ = features.shape
        if not isinstance(clips, Sized):
            raise ConfigError(f"teacher-feature clips must be a sized dataset, got {type(clips).__name__}")
        if len(clips) != n_takes * n_clips:
            raise ValueError(f"{len(clips)} clips but teacher features for {n_takes} takes x {n_clips} clips")
        if clips_per_take < 1:
            raise ValueError(f"clips_per_take must be >= 1, got {clips_per_take}")
        self.clips, self.features, self.seed, self.epoch = clips, features, seed, 0
        self.n_clips, self.clips_per_take = n_clips, int(clips_per_take)

    def __len__(self) -> int:
        return int(self.features.shape[0]) * self.clips_per_take

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __getitem__(self, index: int) -> dict[str, Any]:
        take = index // self.clips_per_take
        k = int(np.random.default_rng((self.seed, self.epoch, index)).integers(self.n_clips))
        item = dict(self.clips[take * self.n_clips + k])
        item["teacher_features"] = self.features[take, k]
        return item


@torch.no_grad()
def precompute_teacher_features(
    teacher: nn.Module, clips: Dataset, batch_size: int, show_progress: bool = True
) -> torch.Tensor:
    """Teacher ``features`` for every clip of a test-mode dataset, in dataset order: (N_clips, D).

    Clips with ``crop_features`` inputs compute (and cache) those on the way; ``show_progress`` shows
    the pass (see :func:`skillsight.data.progress.progress`).
    """
    from torch.utils.data import DataLoader

    teacher.eval()
    names = model_inputs(teacher)
    out = []
    batches = DataLoader(clips, batch_size=batch_size, shuffle=False, collate_fn=collate)
    for batch in progress(batches, "teacher features", enabled=show_progress):
        out.append(teacher(**{n: batch[n] for n in names})["features"].float())
    return torch.cat(out)


def collate(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack tensors, keep strings as lists, turn ints into a long tensor."""
    batch: dict[str, Any] = {}
    for key in items[0]:
        values = [item[key] for item in items]
        if isinstance(values[0], torch.Tensor):
            batch[key] = torch.stack(values)
        elif isinstance(values[0], np.ndarray):
            batch[key] = torch.from_numpy(np.stack(values))
        elif isinstance(values[0], (bool, int, np.integer)):
            batch[key] = torch.tensor([int(v) for v in values], dtype=torch.long)
        else:
            batch[key] = values
    return batch
