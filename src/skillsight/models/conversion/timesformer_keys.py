"""Key maps from the public video-transformer checkpoints onto Hugging Face ``TimesformerModel``.

Facts from the public code (names and shapes only; this is not their code):

* **facebookresearch/TimeSformer** (``lib/models/vit.py``; pyslowfast checkpoints keep the weights under
  ``"model_state"``, every name prefixed ``model.``): ``cls_token`` (1, 1, D), ``pos_embed``
  (1, 1 + P, D), ``time_embed`` (1, T, D), ``patch_embed.proj`` (a D x 3 x p x p convolution),
  ``blocks.{i}.{norm1, attn.qkv, attn.proj, temporal_norm1, temporal_attn.qkv, temporal_attn.proj,
  temporal_fc, norm2, mlp.fc1, mlp.fc2}``, ``norm``, ``head`` (the classifier). ViT-B/16: D = 768,
  12 blocks, 12 heads, MLP 3072, qkv bias, LayerNorm eps 1e-6, GELU. The divided space-time block is
  the one Hugging Face's ``TimesformerLayer`` implements, so the conversion is exact.
* **facebookresearch/EgoVLPv2** (checkpoints keep the weights under ``"state_dict"``, names possibly
  prefixed ``module.``): the video encoder is Frozen-in-Time's ``SpaceTimeTransformer`` under
  ``video_model.``: ``cls_token``, ``pos_embed`` (1, 197, 768), ``temporal_embed`` (1, T, 768),
  ``patch_embed.proj``, ``blocks.{i}.{norm1, attn.qkv, attn.proj, timeattn.qkv, timeattn.proj, norm2,
  mlp.fc1, mlp.fc2, norm3}``, ``norm``; the last 6 blocks (``num_fuse_block``) add text
  cross-attention (``attn.qkv_text_i2t``, ``attn.qkv_i2t``, ``attn.proj_i2t``, ``attn.alpha_i2t``,
  ``attn.norm_i2t_i``) that only runs when text is given (the video-only path skips it). LayerNorm is
  ``nn.LayerNorm`` (eps 1e-5), GELU, qkv bias. The rest of the checkpoint (``text_model``, projections,
  fusion heads) is not the video encoder.

  Frozen-in-Time's block is NOT Hugging Face's: it has no ``temporal_fc``, its space attention adds its
  output to the block input rather than to the time-attention residual, and its CLS token takes part in
  both attentions. The converted model is therefore an initialisation from EgoVLPv2's weights, not a
  numerical copy of EgoVLPv2: ``temporal_dense`` is set to the identity so that, as in Frozen-in-Time,
  the time attention's output reaches the space attention unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SOURCES", "KeyRule", "SourceFormat"]


@dataclass(frozen=True)
class KeyRule:
    """``pattern`` (a regex over the source name, after the source prefix) -> ``target`` (a template)."""

    pattern: str
    target: str

    def apply(self, name: str) -> str | None:
        match = re.fullmatch(self.pattern, name)
        return match.expand(self.target) if match else None


@dataclass(frozen=True)
class SourceFormat:
    """How one public checkpoint names its tensors.

    Attributes:
        name: ``--from`` value.
        prefix: the video encoder's names start with it (after ``module.`` is removed); others are not
            the video encoder.
        rules: source name (prefix removed) -> Hugging Face name.
        dropped: (regex, why) for names inside the prefix that are left out on purpose.
        time_table: source name of the time embeddings.
        layer_norm_eps, hidden_act: what the source model computes with.
        identity_temporal_dense: the source has no ``temporal_fc``: set ``temporal_dense`` to the identity.
    """

    name: str
    prefix: str
    rules: tuple[KeyRule, ...]
    dropped: tuple[tuple[str, str], ...]
    time_table: str
    layer_norm_eps: float
    hidden_act: str
    identity_temporal_dense: bool


_EMBEDDINGS = (
    KeyRule(r"cls_token", r"embeddings.cls_token"),
    KeyRule(r"pos_embed", r"embeddings.position_embeddings"),
    KeyRule(r"patch_embed\.proj\.(weight|bias)", r"embeddings.patch_embeddings.projection.\1"),
    KeyRule(r"norm\.(weight|bias)", r"layernorm.\1"),
)
_BLOCK = r"blocks\.(\d+)\."
_LAYER = r"encoder.layer.\1."
_SPACE_AND_MLP = (
    KeyRule(_BLOCK + r"norm1\.(weight|bias)", _LAYER + r"layernorm_before.\2"),
    KeyRule(_BLOCK + r"attn\.qkv\.(weight|bias)", _LAYER + r"attention.attention.qkv.\2"),
    KeyRule(_BLOCK + r"attn\.proj\.(weight|bias)", _LAYER + r"attention.output.dense.\2"),
    KeyRule(_BLOCK + r"norm2\.(weight|bias)", _LAYER + r"layernorm_after.\2"),
    KeyRule(_BLOCK + r"mlp\.fc1\.(weight|bias)", _LAYER + r"intermediate.dense.\2"),
    KeyRule(_BLOCK + r"mlp\.fc2\.(weight|bias)", _LAYER + r"output.dense.\2"),
)

TIMESFORMER = SourceFormat(
    name="timesformer",
    prefix="model.",
    rules=(
        *_EMBEDDINGS,
        KeyRule(r"time_embed", r"embeddings.time_embeddings"),
        *_SPACE_AND_MLP,
        KeyRule(_BLOCK + r"temporal_norm1\.(weight|bias)", _LAYER + r"temporal_layernorm.\2"),
        KeyRule(
            _BLOCK + r"temporal_attn\.qkv\.(weight|bias)", _LAYER + r"temporal_attention.attention.qkv.\2"
        ),
        KeyRule(
            _BLOCK + r"temporal_attn\.proj\.(weight|bias)", _LAYER + r"temporal_attention.output.dense.\2"
        ),
        KeyRule(_BLOCK + r"temporal_fc\.(weight|bias)", _LAYER + r"temporal_dense.\2"),
    ),
    dropped=((r"head\.(weight|bias)", "the Kinetics/SSv2 classifier head (a backbone has none)"),),
    time_table="time_embed",
    layer_norm_eps=1e-6,
    hidden_act="gelu",
    identity_temporal_dense=False,
)

EGOVLPV2 = SourceFormat(
    name="egovlpv2",
    prefix="video_model.",
    rules=(
        *_EMBEDDINGS,
        KeyRule(r"temporal_embed", r"embeddings.time_embeddings"),
        *_SPACE_AND_MLP,
        KeyRule(_BLOCK + r"norm3\.(weight|bias)", _LAYER + r"temporal_layernorm.\2"),
        KeyRule(_BLOCK + r"timeattn\.qkv\.(weight|bias)", _LAYER + r"temporal_attention.attention.qkv.\2"),
        KeyRule(_BLOCK + r"timeattn\.proj\.(weight|bias)", _LAYER + r"temporal_attention.output.dense.\2"),
    ),
    dropped=(
        (
            _BLOCK + r"attn\.(qkv_text_i2t|qkv_i2t|proj_i2t|norm_i2t_i)\.(weight|bias)",
            "text cross-attention of the fusion blocks (runs only with text input)",
        ),
        (
            _BLOCK + r"attn\.alpha_i2t",
            "text cross-attention of the fusion blocks (runs only with text input)",
        ),
        (r"(head|pre_logits\.fc|fc)\.(weight|bias)", "a classifier head (a backbone has none)"),
    ),
    time_table="temporal_embed",
    layer_norm_eps=1e-5,
    hidden_act="gelu",
    identity_temporal_dense=True,
)

#: ``--from`` value -> format.
SOURCES: dict[str, SourceFormat] = {f.name: f for f in (EGOVLPV2, TIMESFORMER)}
