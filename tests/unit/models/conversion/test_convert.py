"""Converting fabricated EgoVLPv2 and TimeSformer checkpoints: every key mapped, partial maps refused."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import torch
from transformers import TimesformerModel

from skillsight.exceptions import DataFormatError
from skillsight.models.conversion.convert import (
    WeightConversionError,
    check_mapping,
    convert_checkpoint,
    map_state_dict,
    summarise_keys,
)
from skillsight.models.conversion.torch_checkpoint import Placeholder, read_torch_checkpoint
from skillsight.models.gaze_attention import GazeBiasedTimesformer
from tests.unit.models.conversion._fabricate import egovlpv2_state, timesformer_state


class ConfigParser:
    """Stands for EgoVLPv2's parse_config.ConfigParser, pickled beside the weights in its checkpoints."""

    def __init__(self) -> None:
        self.config = {"arch": {"type": "FrozenInTime"}}
        self.save_dir = Path("/somewhere/else")


#: EgoVLPv2 (video_model. prefix removed) -> Hugging Face TimesformerModel, per block i.
EGOVLPV2_BLOCK = {
    "norm1": "layernorm_before",
    "attn.qkv": "attention.attention.qkv",
    "attn.proj": "attention.output.dense",
    "norm3": "temporal_layernorm",
    "timeattn.qkv": "temporal_attention.attention.qkv",
    "timeattn.proj": "temporal_attention.output.dense",
    "norm2": "layernorm_after",
    "mlp.fc1": "intermediate.dense",
    "mlp.fc2": "output.dense",
}
TIMESFORMER_BLOCK = {
    **{k: v for k, v in EGOVLPV2_BLOCK.items() if not k.startswith(("norm3", "timeattn"))},
    "temporal_norm1": "temporal_layernorm",
    "temporal_attn.qkv": "temporal_attention.attention.qkv",
    "temporal_attn.proj": "temporal_attention.output.dense",
    "temporal_fc": "temporal_dense",
}
TOP = {
    "cls_token": "embeddings.cls_token",
    "pos_embed": "embeddings.position_embeddings",
    "patch_embed.proj.weight": "embeddings.patch_embeddings.projection.weight",
    "patch_embed.proj.bias": "embeddings.patch_embeddings.projection.bias",
    "norm.weight": "layernorm.weight",
    "norm.bias": "layernorm.bias",
}


def _expected_pairs(source: dict, prefix: str, block: dict, time: str, layers: int) -> dict[str, str]:
    pairs = {prefix + k: v for k, v in TOP.items()}
    pairs[prefix + time] = "embeddings.time_embeddings"
    for i in range(layers):
        for src, dst in block.items():
            for part in ("weight", "bias"):
                pairs[f"{prefix}blocks.{i}.{src}.{part}"] = f"encoder.layer.{i}.{dst}.{part}"
    assert set(pairs) <= set(source)
    return pairs


def _egovlpv2_checkpoint(path: Path, state: dict) -> Path:
    torch.save(
        {
            "arch": "FrozenInTime",
            "epoch": 3,
            "state_dict": state,
            "monitor_best": 0.5,
            "config": ConfigParser(),
        },
        path,
    )
    return path


def test_egovlpv2_video_encoder_converts_completely(tmp_path: Path) -> None:
    state = egovlpv2_state(layers=3, fuse_blocks=2)
    report = convert_checkpoint(
        _egovlpv2_checkpoint(tmp_path / "egovlpv2.pth", state), tmp_path / "out", "egovlpv2", num_heads=4
    )
    model = TimesformerModel.from_pretrained(str(tmp_path / "out")).eval()
    held = model.state_dict()
    pairs = _expected_pairs(state, "module.video_model.", EGOVLPV2_BLOCK, "temporal_embed", 3)
    for src, dst in pairs.items():
        assert torch.equal(held[dst], state[src]), (src, dst)
    for i in range(3):  # Frozen-in-Time has no temporal_fc: identity, so the time output passes unchanged
        assert torch.equal(held[f"encoder.layer.{i}.temporal_dense.weight"], torch.eye(32))
        assert torch.count_nonzero(held[f"encoder.layer.{i}.temporal_dense.bias"]) == 0
    assert set(held) == set(pairs.values()) | {
        f"encoder.layer.{i}.temporal_dense.{p}" for i in range(3) for p in ("weight", "bias")
    }
    cfg = model.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.intermediate_size, cfg.num_frames) == (32, 3, 64, 4)
    assert (cfg.image_size, cfg.patch_size, cfg.layer_norm_eps, cfg.hidden_act) == (32, 8, 1e-5, "gelu")
    assert report.missing == [] and report.unmapped == []
    assert report.mapped == len(pairs) + 6
    assert report.dropped == {"text cross-attention of the fusion blocks (runs only with text input)": 18}
    assert report.not_video_encoder == {
        "cls_token": 1,
        "cross_modal_video_transform": 1,
        "itm_score": 1,
        "norm": 1,
        "text_model": 2,
        "txt_proj": 1,
        "vid_proj": 1,
    }
    assert any(name.endswith("ConfigParser") for name in report.placeholders)
    stored = json.loads((tmp_path / "out" / "conversion.json").read_text())
    assert stored["source_sha256"] and stored["source_format"] == "egovlpv2"


def test_a_converted_egovlpv2_folder_is_the_teachers_video_backbone(tmp_path: Path) -> None:
    """EgoVLPv2 pretrains at 4 frames of 224 px; the teacher reads 16 frames at 448 px (here 8 / 64 px)."""
    state = egovlpv2_state(layers=2)
    convert_checkpoint(
        _egovlpv2_checkpoint(tmp_path / "e.pth", state), tmp_path / "out", "egovlpv2", num_heads=4
    )
    config = dict(
        image_size=64,
        patch_size=8,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        num_frames=8,
    )
    video = GazeBiasedTimesformer(config, num_scenarios=2, pretrained_dir=tmp_path / "out")
    qkv = video.timesformer.encoder.layer[1].temporal_attention.attention.qkv.weight
    assert torch.equal(qkv, state["module.video_model.blocks.1.timeattn.qkv.weight"])
    assert video.timesformer.embeddings.time_embeddings.shape == (1, 8, 32)
    assert video.timesformer.config.layer_norm_eps == 1e-5  # the folder's, not HF's default 1e-6


def test_timesformer_checkpoint_converts_exactly_and_drops_only_the_head(tmp_path: Path) -> None:
    state = timesformer_state(layers=2)
    torch.save(
        {"epoch": 15, "model_state": state, "optimizer_state": {}, "cfg": "MODEL:\n  ARCH: vit\n"},
        tmp_path / "TimeSformer_divST_8x32_224_K400.pyth",
    )
    report = convert_checkpoint(
        tmp_path / "TimeSformer_divST_8x32_224_K400.pyth", tmp_path / "out", "timesformer", num_heads=4
    )
    held = TimesformerModel.from_pretrained(str(tmp_path / "out")).state_dict()
    pairs = _expected_pairs(state, "model.", TIMESFORMER_BLOCK, "time_embed", 2)
    assert set(held) == set(pairs.values())  # every tensor of the model comes from the checkpoint
    for src, dst in pairs.items():
        assert torch.equal(held[dst], state[src]), (src, dst)
    assert report.dropped == {"the Kinetics/SSv2 classifier head (a backbone has none)": 2}
    assert report.filled == {} and report.placeholders == [] and report.config["layer_norm_eps"] == 1e-6


def test_a_missing_tensor_is_refused_listing_it_and_allowed_only_explicitly(tmp_path: Path) -> None:
    state = egovlpv2_state(layers=2)
    del state["module.video_model.blocks.1.timeattn.proj.weight"]
    ckpt = _egovlpv2_checkpoint(tmp_path / "e.pth", state)
    with pytest.raises(
        WeightConversionError, match=r"encoder\.layer\.1\.temporal_attention\.output\.dense\.weight"
    ):
        convert_checkpoint(ckpt, tmp_path / "out", "egovlpv2", num_heads=4)
    assert not (tmp_path / "out").exists()
    report = convert_checkpoint(ckpt, tmp_path / "out", "egovlpv2", num_heads=4, allow_missing=True)
    assert report.missing == ["encoder.layer.1.temporal_attention.output.dense.weight"]
    recorded = json.loads((tmp_path / "out" / "conversion.json").read_text())["missing"]
    assert recorded == report.missing
    from skillsight.models.layers.timesformer_utils import build_timesformer_backbone, timesformer_config

    with pytest.warns(UserWarning, match="1 tensors were not in the converted checkpoint"):
        build_timesformer_backbone(timesformer_config("test", 4, {"num_hidden_layers": 2}), tmp_path / "out")


def test_an_unmapped_video_tensor_is_refused_listing_it(tmp_path: Path) -> None:
    state = egovlpv2_state(layers=2)
    state["module.video_model.blocks.0.attn.gate.weight"] = torch.ones(32)
    ckpt = _egovlpv2_checkpoint(tmp_path / "e.pth", state)
    with pytest.raises(
        WeightConversionError, match=r"map to nothing .*video_model\.blocks\.0\.attn\.gate\.weight"
    ):
        convert_checkpoint(ckpt, tmp_path / "out", "egovlpv2", num_heads=4)
    report = convert_checkpoint(ckpt, tmp_path / "out", "egovlpv2", num_heads=4, allow_unmapped=True)
    assert report.unmapped == ["video_model.blocks.0.attn.gate.weight"]


def test_a_misshapen_tensor_is_refused_even_with_the_allow_options() -> None:
    state = egovlpv2_state(layers=2)
    state["module.video_model.blocks.1.mlp.fc1.weight"] = torch.zeros(48, 32)
    mapped = map_state_dict(state, "egovlpv2", num_heads=4)
    with pytest.raises(
        WeightConversionError, match=r"encoder\.layer\.1\.intermediate\.dense\.weight: \(48, 32\)"
    ):
        check_mapping(mapped, allow_missing=True, allow_unmapped=True)


@pytest.mark.parametrize("source", ["egovlpv2", "timesformer"])
def test_vit_b_checkpoints_map_every_key_with_the_right_shapes(source: str) -> None:
    """Shapes only, on the meta device: ViT-B/16, 12 blocks, the real sizes without their memory."""
    if source == "egovlpv2":
        state = egovlpv2_state(
            D=768, layers=12, mlp=3072, T=4, image=224, patch=16, fuse_blocks=6, text_dim=768, device="meta"
        )
    else:
        state = timesformer_state(
            D=768, layers=12, mlp=3072, T=8, image=224, patch=16, classes=400, device="meta"
        )
    mapped = map_state_dict(state, source)
    check_mapping(mapped)  # raises on any missing, unmapped or misshapen key
    cfg = mapped.config
    assert (cfg.hidden_size, cfg.num_hidden_layers, cfg.num_attention_heads, cfg.intermediate_size) == (
        768,
        12,
        12,
        3072,
    )
    assert (cfg.image_size, cfg.patch_size, cfg.num_frames) == (224, 16, 4 if source == "egovlpv2" else 8)
    assert mapped.report.missing == [] and mapped.report.unmapped == []
    assert mapped.report.mapped == len(TOP) + 1 + 12 * 20  # EgoVLPv2: 18 per block + 2 identity fills
    if source == "egovlpv2":
        assert sum(mapped.report.dropped.values()) == 6 * 9  # the 6 fusion blocks' text cross-attention


def test_the_head_count_is_needed_when_the_width_is_not_a_multiple_of_64() -> None:
    state = egovlpv2_state(D=48, layers=1)
    with pytest.raises(WeightConversionError, match="--num-heads"):
        map_state_dict(state, "egovlpv2")
    assert map_state_dict(state, "egovlpv2", num_heads=4).config.num_attention_heads == 4


def test_a_checkpoint_of_another_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(
        WeightConversionError, match=r"not a egovlpv2 checkpoint: it has no video_model\.cls_token"
    ):
        map_state_dict({"video_model.something": torch.zeros(2)}, "egovlpv2")
    with pytest.raises(WeightConversionError, match="unknown checkpoint format 'vivit'"):
        map_state_dict({}, "vivit")
    (tmp_path / "bad.pth").write_bytes(os.urandom(256))
    with pytest.raises(DataFormatError, match="torch checkpoint"):
        read_torch_checkpoint(tmp_path / "bad.pth")


def test_an_existing_output_folder_is_never_overwritten(tmp_path: Path) -> None:
    ckpt = _egovlpv2_checkpoint(tmp_path / "e.pth", egovlpv2_state(layers=1))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(WeightConversionError, match="not an empty folder"):
        convert_checkpoint(ckpt, tmp_path / "out", "egovlpv2", num_heads=4)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


class _RunsCode:
    """An object whose unpickling would run a shell command if the loader executed what the file says."""

    def __init__(self, call, arg: str) -> None:
        self.call, self.arg = call, arg

    def __reduce__(self):
        return (self.call, (self.arg,))


def test_reading_a_checkpoint_never_runs_its_code(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    torch.save(
        {"state_dict": {"w": torch.ones(1)}, "x": _RunsCode(os.system, f"touch {marker}")}, tmp_path / "a.pth"
    )
    with pytest.raises(DataFormatError, match="refuses to run"):
        read_torch_checkpoint(tmp_path / "a.pth")  # os.system: a module torch blocks
    torch.save(
        {"state_dict": {"w": torch.ones(1)}, "x": _RunsCode(exec, f"open({str(marker)!r}, 'w')")},
        tmp_path / "b.pth",
    )
    loaded = read_torch_checkpoint(tmp_path / "b.pth")
    assert isinstance(loaded.content["x"], Placeholder) and "builtins.exec" in loaded.placeholders
    assert torch.equal(loaded.content["state_dict"]["w"], torch.ones(1))
    assert not marker.exists()


def test_key_lists_are_grouped_over_layers() -> None:
    keys = [f"encoder.layer.{i}.temporal_dense.weight" for i in range(12)] + ["layernorm.bias"]
    assert summarise_keys(keys) == ["layernorm.bias", "encoder.layer.{0-11}.temporal_dense.weight (12)"]
