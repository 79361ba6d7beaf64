"""Map a public checkpoint onto ``TimesformerModel``, check that nothing is lost, write a Hugging Face folder.

:func:`map_state_dict` renames (:mod:`.timesformer_keys`) and infers the config from the tensor shapes;
:func:`check_mapping` compares the result with the tensors a ``TimesformerModel`` of that config has
(built on the meta device: no memory) and refuses, listing the keys:

* a target tensor no source tensor gives ("missing": it would keep a random init), unless
  ``allow_missing`` (the missing keys are then recorded in ``conversion.json``);
* a source tensor of the video encoder no rule maps and no rule drops on purpose ("unmapped": its
  information would be lost), unless ``allow_unmapped`` (recorded too);
* a shape that differs (never allowed).

Tensors outside the video encoder (EgoVLPv2's text model and heads) and the ones dropped on purpose
(classifier heads, text cross-attention) are counted in the report. :func:`convert_checkpoint` writes
``config.json`` + ``model.safetensors`` (``save_pretrained``) and ``conversion.json`` (the report), then
loads the folder back through :func:`~skillsight.models.layers.pretrained.load_pretrained_backbone`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import warnings
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import TimesformerConfig, TimesformerModel

from skillsight.exceptions import SkillsightError
from skillsight.models.conversion.timesformer_keys import SOURCES, SourceFormat
from skillsight.models.conversion.torch_checkpoint import read_torch_checkpoint, tensors_in

__all__ = [
    "ConversionReport",
    "MappedWeights",
    "WeightConversionError",
    "check_mapping",
    "convert_checkpoint",
    "map_state_dict",
    "summarise_keys",
]

#: ViT convention when a checkpoint does not say: 64-dimensional attention heads (ViT-S 6, -B 12, -L 16).
HEAD_DIM = 64


class WeightConversionError(SkillsightError, ValueError):
    """A checkpoint cannot be converted without losing or inventing tensors (the message lists them)."""


@dataclass
class ConversionReport:
    """What a conversion did with every tensor (written to ``conversion.json``)."""

    source_format: str
    source: str = ""
    source_sha256: str = ""
    mapped: int = 0
    not_video_encoder: dict[str, int] = field(default_factory=dict)  # top-level name -> tensors left out
    dropped: dict[str, int] = field(default_factory=dict)  # why -> tensors left out on purpose
    filled: dict[str, str] = field(default_factory=dict)  # target keys -> how they were set
    missing: list[str] = field(default_factory=list)  # target tensors no source gave
    unmapped: list[str] = field(default_factory=list)  # source tensors no rule mapped
    placeholders: list[str] = field(default_factory=list)  # non-tensor classes in the file, not loaded
    config: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def format(self) -> str:
        """Readable summary, one fact per line."""
        cfg = self.config
        lines = [
            f"source: {self.source or '(in memory)'} ({self.source_format})",
            f"architecture: TimeSformer, {cfg.get('num_hidden_layers')} layers x {cfg.get('hidden_size')}-d, "
            f"{cfg.get('num_attention_heads')} heads, MLP {cfg.get('intermediate_size')}, "
            f"{cfg.get('image_size')} px / patch {cfg.get('patch_size')}, {cfg.get('num_frames')} frames",
            f"mapped: {self.mapped} tensors",
        ]
        lines += [
            f"left out (not the video encoder): {name} ({n})" for name, n in self.not_video_encoder.items()
        ]
        lines += [f"left out on purpose: {why} ({n})" for why, n in self.dropped.items()]
        lines += [f"filled: {key}: {how}" for key, how in self.filled.items()]
        if self.missing:
            lines.append("MISSING (random init): " + ", ".join(summarise_keys(self.missing)))
        if self.unmapped:
            lines.append("UNMAPPED (dropped): " + ", ".join(summarise_keys(self.unmapped)))
        if self.placeholders:
            lines.append("non-tensor objects not loaded: " + ", ".join(self.placeholders))
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


@dataclass
class MappedWeights:
    """Hugging Face-named tensors, the config they fit and the report so far."""

    state: dict[str, torch.Tensor]
    config: TimesformerConfig
    report: ConversionReport


def summarise_keys(keys: list[str]) -> list[str]:
    """Keys grouped over layer indices: ``encoder.layer.{0-11}.temporal_dense.weight (12)``."""
    groups: dict[str, list[int]] = defaultdict(list)
    plain: list[str] = []
    for key in sorted(keys):
        match = re.search(r"\.(\d+)\.", key)
        if match:
            groups[key[: match.start()] + ".{i}." + key[match.end() :]].append(int(match.group(1)))
        else:
            plain.append(key)
    out = list(plain)
    for pattern, idx in sorted(groups.items()):
        idx = sorted(set(idx))
        if len(idx) == 1:
            out.append(pattern.replace("{i}", str(idx[0])))
            continue
        contiguous = idx == list(range(idx[0], idx[-1] + 1))
        span = f"{idx[0]}-{idx[-1]}" if contiguous else ",".join(map(str, idx))
        out.append(pattern.replace("{i}", "{" + span + "}") + f" ({len(idx)})")
    return out


def _strip_module(name: str) -> str:
    while name.startswith("module."):
        name = name[len("module.") :]
    return name


def _require(state: dict[str, torch.Tensor], name: str, fmt: SourceFormat, prefix: str) -> torch.Tensor:
    if name not in state:
        found = ", ".join(sorted(state)[:6])
        raise WeightConversionError(
            f"not a {fmt.name} checkpoint: it has no {prefix}{name} "
            f"(its video-encoder tensors start: {found})"
        )
    return state[name]


def _infer_config(
    inner: dict[str, torch.Tensor], fmt: SourceFormat, prefix: str, num_heads: int | None
) -> tuple[TimesformerConfig, list[str]]:
    """The TimesformerConfig the tensor shapes describe (heads: ``num_heads`` or D / 64)."""
    cls = _require(inner, "cls_token", fmt, prefix)  # (1, 1, D)
    patch = _require(inner, "patch_embed.proj.weight", fmt, prefix)  # (D, C, p, p)
    pos = _require(inner, "pos_embed", fmt, prefix)  # (1, 1 + P, D)
    time = _require(inner, fmt.time_table, fmt, prefix)  # (1, T, D)
    hidden = int(cls.shape[-1])
    blocks = sorted({int(m.group(1)) for k in inner if (m := re.match(r"blocks\.(\d+)\.", k))})
    if not blocks or blocks != list(range(len(blocks))):
        raise WeightConversionError(f"{fmt.name} checkpoint blocks are not numbered 0..n-1: {blocks[:20]}")
    fc1 = _require(inner, "blocks.0.mlp.fc1.weight", fmt, prefix)  # (I, D)
    grid = round((int(pos.shape[1]) - 1) ** 0.5)
    if grid * grid != int(pos.shape[1]) - 1:
        raise WeightConversionError(f"{prefix}pos_embed has {pos.shape[1] - 1} patches: not a square grid")
    notes = []
    if num_heads is None:
        if hidden % HEAD_DIM:
            raise WeightConversionError(
                f"the checkpoint's width {hidden} is not a multiple of {HEAD_DIM}: give the head count "
                "(--num-heads); it is not stored in the tensors"
            )
        num_heads = hidden // HEAD_DIM
        notes.append(
            f"num_attention_heads = {num_heads}: width {hidden} / {HEAD_DIM} (ViT convention; --num-heads)"
        )
    if hidden % int(num_heads):
        raise WeightConversionError(f"width {hidden} is not divisible by {num_heads} heads")
    if "blocks.0.temporal_attn.qkv.weight" not in inner and "blocks.0.timeattn.qkv.weight" not in inner:
        raise WeightConversionError(
            f"{fmt.name} checkpoint has no time attention in its blocks: "
            "only divided space-time models convert"
        )
    config = TimesformerConfig(
        image_size=grid * int(patch.shape[-1]),
        patch_size=int(patch.shape[-1]),
        num_channels=int(patch.shape[1]),
        num_frames=int(time.shape[1]),
        hidden_size=hidden,
        num_hidden_layers=len(blocks),
        num_attention_heads=int(num_heads),
        intermediate_size=int(fc1.shape[0]),
        hidden_act=fmt.hidden_act,
        layer_norm_eps=fmt.layer_norm_eps,
        qkv_bias="blocks.0.attn.qkv.bias" in inner,
        attention_type="divided_space_time",
    )
    return config, notes


def map_state_dict(
    state: dict[str, torch.Tensor], source: str, num_heads: int | None = None
) -> MappedWeights:
    """Rename ``state`` (a checkpoint's state dict) onto ``TimesformerModel`` names (meta tensors work).

    Args:
        state: name -> tensor, as in the checkpoint (``module.`` prefixes allowed).
        source: a key of :data:`~skillsight.models.conversion.timesformer_keys.SOURCES`.
        num_heads: attention heads (not stored in the tensors; default width / 64).

    Raises:
        WeightConversionError: unknown source, or a state dict that is not of that model.
    """
    if source not in SOURCES:
        raise WeightConversionError(f"unknown checkpoint format {source!r}; valid: {sorted(SOURCES)}")
    fmt = SOURCES[source]
    names = {_strip_module(k): v for k, v in state.items()}
    prefix = fmt.prefix if any(k.startswith(fmt.prefix) for k in names) else ""
    report = ConversionReport(source_format=fmt.name)
    if not prefix:
        report.notes.append(f"no {fmt.prefix!r} prefix: every tensor is read as the video encoder's")
    inner = {k[len(prefix) :]: v for k, v in names.items() if k.startswith(prefix)}
    outside = Counter(k.split(".", 1)[0] for k in names if not k.startswith(prefix))
    report.not_video_encoder = dict(sorted(outside.items()))
    config, notes = _infer_config(inner, fmt, prefix, num_heads)
    report.notes += notes
    mapped: dict[str, torch.Tensor] = {}
    dropped: Counter[str] = Counter()
    for name, tensor in inner.items():
        target = next((t for rule in fmt.rules if (t := rule.apply(name)) is not None), None)
        if target is not None:
            mapped[target] = tensor
            continue
        why = next((why for pattern, why in fmt.dropped if re.fullmatch(pattern, name)), None)
        if why is not None:
            dropped[why] += 1
        else:
            report.unmapped.append(prefix + name)
    if fmt.identity_temporal_dense:
        D = config.hidden_size
        ref = mapped["embeddings.cls_token"]
        for i in range(config.num_hidden_layers):
            mapped[f"encoder.layer.{i}.temporal_dense.weight"] = torch.eye(
                D, dtype=ref.dtype, device=ref.device
            )
            mapped[f"encoder.layer.{i}.temporal_dense.bias"] = torch.zeros(
                D, dtype=ref.dtype, device=ref.device
            )
        report.filled["encoder.layer.{i}.temporal_dense"] = (
            "identity weight, zero bias (the source block has no temporal_fc: its time-attention output "
            "reaches the space attention unchanged)"
        )
    report.dropped = dict(dropped)
    report.mapped = len(mapped)
    report.config = {k: v for k, v in config.to_dict().items() if k in _CONFIG_SHOWN}
    return MappedWeights(mapped, config, report)


_CONFIG_SHOWN = (
    "image_size",
    "patch_size",
    "num_channels",
    "num_frames",
    "hidden_size",
    "num_hidden_layers",
    "num_attention_heads",
    "intermediate_size",
    "hidden_act",
    "layer_norm_eps",
    "qkv_bias",
    "attention_type",
)


def check_mapping(mapped: MappedWeights, allow_missing: bool = False, allow_unmapped: bool = False) -> None:
    """Refuse a partial or misshapen map (see the module docstring); fills ``report.missing``.

    Raises:
        WeightConversionError: listing the missing, unmapped or misshapen keys.
    """
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in TimesformerModel(mapped.config).state_dict().items()}
    wrong = [
        f"{k}: {tuple(t.shape)} in the checkpoint, {expected[k]} in TimesformerModel"
        for k, t in mapped.state.items()
        if k in expected and tuple(t.shape) != expected[k]
    ]
    extra = sorted(k for k in mapped.state if k not in expected)
    if wrong or extra:
        raise WeightConversionError("tensors that do not fit TimesformerModel: " + "; ".join(wrong + extra))
    report = mapped.report
    report.missing = sorted(k for k in expected if k not in mapped.state)
    problems = []
    if report.missing and not allow_missing:
        problems.append(
            f"{len(report.missing)} TimesformerModel tensors have no source tensor (they would keep a random "
            f"init): {', '.join(summarise_keys(report.missing))}; "
            "--allow-missing converts anyway and records them"
        )
    if report.unmapped and not allow_unmapped:
        problems.append(
            f"{len(report.unmapped)} video-encoder tensors of the checkpoint map to nothing (they would be "
            f"lost): {', '.join(summarise_keys(report.unmapped))}; "
            "--allow-unmapped drops them and records them"
        )
    if problems:
        raise WeightConversionError(
            f"refusing a partial conversion of the {report.source_format} checkpoint: " + " | ".join(problems)
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert_checkpoint(
    checkpoint: str | Path,
    out_dir: str | Path,
    source: str,
    *,
    num_heads: int | None = None,
    allow_missing: bool = False,
    allow_unmapped: bool = False,
) -> ConversionReport:
    """Convert a ``torch.save`` checkpoint into a Hugging Face TimeSformer folder at ``out_dir``.

    The folder appears whole or not at all (written beside it, then renamed); an existing non-empty
    ``out_dir`` is refused, never overwritten.

    Returns:
        The report (also written to ``out_dir/conversion.json``).

    Raises:
        FileNotFoundError, DataFormatError: unreadable checkpoint.
        WeightConversionError: a partial or misshapen map, or ``out_dir`` already holds files.
    """
    from skillsight.models.layers.pretrained import load_pretrained_backbone

    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise WeightConversionError(
            f"{out_dir} already exists and is not an empty folder (nothing was overwritten)"
        )
    loaded = read_torch_checkpoint(checkpoint)
    mapped = map_state_dict(tensors_in(loaded.content), source, num_heads)
    check_mapping(mapped, allow_missing, allow_unmapped)
    report = mapped.report
    report.source, report.source_sha256, report.placeholders = (
        str(checkpoint),
        _sha256(checkpoint),
        loaded.placeholders,
    )
    model = TimesformerModel(mapped.config)
    state = {k: v.detach().to("cpu") for k, v in mapped.state.items()}
    result = model.load_state_dict(state, strict=False)
    assert sorted(result.missing_keys) == report.missing and not result.unexpected_keys
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model.save_pretrained(staging)
        (staging / "conversion.json").write_text(
            json.dumps(asdict(report), indent=2) + "\n", encoding="utf-8"
        )
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above)
        os.replace(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # The folder loads through the path runs use (missing tensors were written with their random init,
    # which the report already says: the loader's warning about them is not repeated here).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        load_pretrained_backbone(TimesformerModel, out_dir, mapped.config, what="converted folder")
    return report
