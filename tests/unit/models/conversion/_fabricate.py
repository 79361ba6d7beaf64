"""State dicts with the key names and shapes of the public checkpoints (their code's facts, made-up values).

``egovlpv2_state``: EgoVLPv2's checkpoint ``state_dict`` (DDP ``module.`` prefix): the video encoder
(Frozen-in-Time SpaceTimeTransformer) under ``video_model.``, text cross-attention in the last
``fuse_blocks`` blocks, and a few tensors of the rest of the model (text encoder, projections, heads).
``timesformer_state``: facebookresearch/TimeSformer's ``model_state`` (``model.`` prefix, a classifier head).
``device="meta"`` gives shapes without memory (ViT-B sizes).
"""

from __future__ import annotations

import torch

__all__ = ["egovlpv2_state", "timesformer_state"]


def _maker(device: str, seed: int):
    gen = torch.Generator().manual_seed(seed)

    def make(*shape: int) -> torch.Tensor:
        if device == "meta":
            return torch.empty(shape, device="meta")
        return torch.randn(shape, generator=gen) * 0.05 + 0.01

    return make


def _common(make, prefix: str, D: int, image: int, patch: int) -> dict[str, torch.Tensor]:
    P = (image // patch) ** 2
    return {
        f"{prefix}cls_token": make(1, 1, D),
        f"{prefix}pos_embed": make(1, 1 + P, D),
        f"{prefix}patch_embed.proj.weight": make(D, 3, patch, patch),
        f"{prefix}patch_embed.proj.bias": make(D),
        f"{prefix}norm.weight": make(D),
        f"{prefix}norm.bias": make(D),
    }


def _block(make, b: str, D: int, mlp: int, attention_names: dict[str, str]) -> dict[str, torch.Tensor]:
    out = {}
    for norm in ("norm1", "norm2", attention_names["norm"]):
        out[f"{b}{norm}.weight"], out[f"{b}{norm}.bias"] = make(D), make(D)
    for attn in ("attn", attention_names["attn"]):
        out[f"{b}{attn}.qkv.weight"], out[f"{b}{attn}.qkv.bias"] = make(3 * D, D), make(3 * D)
        out[f"{b}{attn}.proj.weight"], out[f"{b}{attn}.proj.bias"] = make(D, D), make(D)
    out[f"{b}mlp.fc1.weight"], out[f"{b}mlp.fc1.bias"] = make(mlp, D), make(mlp)
    out[f"{b}mlp.fc2.weight"], out[f"{b}mlp.fc2.bias"] = make(D, mlp), make(D)
    return out


def egovlpv2_state(
    D: int = 32,
    layers: int = 2,
    mlp: int = 64,
    T: int = 4,
    image: int = 32,
    patch: int = 8,
    fuse_blocks: int = 1,
    text_dim: int = 24,
    device: str = "cpu",
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    make = _maker(device, seed)
    v = "module.video_model."
    state = _common(make, v, D, image, patch)
    state[f"{v}temporal_embed"] = make(1, T, D)
    for i in range(layers):
        b = f"{v}blocks.{i}."
        state.update(_block(make, b, D, mlp, {"norm": "norm3", "attn": "timeattn"}))
        if i >= layers - fuse_blocks:  # FIBER-style text cross-attention of the fusion blocks
            state[f"{b}attn.qkv_text_i2t.weight"], state[f"{b}attn.qkv_text_i2t.bias"] = (
                make(2 * D, text_dim),
                make(2 * D),
            )
            state[f"{b}attn.qkv_i2t.weight"], state[f"{b}attn.qkv_i2t.bias"] = make(D, D), make(D)
            state[f"{b}attn.proj_i2t.weight"], state[f"{b}attn.proj_i2t.bias"] = make(D, D), make(D)
            state[f"{b}attn.alpha_i2t"] = make(1)
            state[f"{b}attn.norm_i2t_i.weight"], state[f"{b}attn.norm_i2t_i.bias"] = make(D), make(D)
    state.update(
        {
            "module.text_model.embeddings.word_embeddings.weight": make(50, text_dim),
            "module.text_model.encoder.layer.0.attention.self.query.weight": make(text_dim, text_dim),
            "module.txt_proj.0.weight": make(16, text_dim),
            "module.vid_proj.0.weight": make(16, D),
            "module.cross_modal_video_transform.weight": make(D, D),
            "module.itm_score.fc.weight": make(2, 2 * D),
            "module.cls_token": make(1, 1, D),
            "module.norm.weight": make(D),
        }
    )
    return state


def timesformer_state(
    D: int = 32,
    layers: int = 2,
    mlp: int = 64,
    T: int = 8,
    image: int = 32,
    patch: int = 8,
    classes: int = 5,
    device: str = "cpu",
    seed: int = 1,
) -> dict[str, torch.Tensor]:
    make = _maker(device, seed)
    m = "model."
    state = _common(make, m, D, image, patch)
    state[f"{m}time_embed"] = make(1, T, D)
    for i in range(layers):
        b = f"{m}blocks.{i}."
        state.update(_block(make, b, D, mlp, {"norm": "temporal_norm1", "attn": "temporal_attn"}))
        state[f"{b}temporal_fc.weight"], state[f"{b}temporal_fc.bias"] = make(D, D), make(D)
    state[f"{m}head.weight"], state[f"{m}head.bias"] = make(classes, D), make(classes)
    return state
