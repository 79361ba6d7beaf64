"""Frozen DINOv2 features of gaze-centred crops (SkillSight teacher, fixated-object branch).

:class:`CropFeatureExtractor` is usable on its own: a dataset or caching step can call it once per
clip and store the (T, D) features (see :class:`skillsight.data.cache.FeatureCache`), so training
epochs after the first do not re-run DINOv2. Its :meth:`CropFeatureExtractor.identity` is the part of
the cache key that names the extractor (preset, config and a fingerprint of the weights).

The backbone is ``transformers.Dinov2Model`` built from a config with a SEEDED random init (so two
builds give identical weights and cached features stay valid), or loaded from a local folder with
``weights_dir`` (never downloaded): the folder must hold the preset's architecture (a ViT-S folder for the
ViT-B preset is refused naming both widths) and every tensor of it. The feature of a crop is DINOv2's CLS
token after the final LayerNorm (``pooler_output``), 768-d for ViT-B/14.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch
from torch import nn

from skillsight.exceptions import ConfigError
from skillsight.models.layers.pretrained import load_pretrained_backbone
from skillsight.models.layers.vit_sizes import VIT_SIZES, ViTSize

__all__ = ["CROP_EXTRACTOR_PRESETS", "CropFeatureExtractor"]

#: Dinov2Config keyword arguments per preset. "dinov2_vitb14" is the paper's ViT-B/14 at 224 px; the
#: ViT-S and ViT-L layouts take the other released DINOv2 sizes (all at 224 px crops).
CROP_EXTRACTOR_PRESETS: dict[str, dict[str, Any]] = {
    "dinov2_vits14": VIT_SIZES["small"].dinov2_config(image_size=224, patch_size=14),
    "dinov2_vitl14": VIT_SIZES["large"].dinov2_config(image_size=224, patch_size=14),
    "dinov2_vitb14": VIT_SIZES["base"].dinov2_config(image_size=224, patch_size=14),
    # CPU demo size: 32 px crops from 64 px frames.
    "dinov2_tiny": VIT_SIZES["tiny"].dinov2_config(image_size=32, patch_size=8),
    # Unit-test size.
    "dinov2_test": ViTSize(32, num_hidden_layers=1, num_attention_heads=2, mlp_ratio=2).dinov2_config(16, 8),
}

#: ImageNet statistics DINOv2 was trained with; crops must be normalised with them.
DINOV2_PIXEL_MEAN = (0.485, 0.456, 0.406)
DINOV2_PIXEL_STD = (0.229, 0.224, 0.225)


class CropFeatureExtractor(nn.Module):
    """Frozen DINOv2 that maps crops to CLS features.

    Args:
        preset: a key of :data:`CROP_EXTRACTOR_PRESETS`; it sets the crop size and the architecture
            (``weights_dir`` must hold that architecture).
        weights_dir: optional local folder with Hugging Face DINOv2 weights (all of them are loaded).
        seed: seed of the random init when no weights are given.

    Attributes:
        crop_size: side in pixels the crops must have (square).
        feature_dim: D of the output features.
        pixel_mean, pixel_std: per-channel normalisation the crops must already have.
    """

    def __init__(
        self, preset: str = "dinov2_vitb14", weights_dir: str | Path | None = None, seed: int = 0
    ) -> None:
        super().__init__()
        if preset not in CROP_EXTRACTOR_PRESETS:
            valid = sorted(CROP_EXTRACTOR_PRESETS)
            raise ConfigError(f"unknown crop extractor preset {preset!r}; valid: {valid}")
        self.preset = preset
        self.seed = int(seed)
        self.weights_dir = None if weights_dir is None else str(weights_dir)
        from transformers import Dinov2Config, Dinov2Model  # here: importing transformers takes seconds

        if weights_dir is not None:
            requested = Dinov2Config(**CROP_EXTRACTOR_PRESETS[preset])
            self.backbone = load_pretrained_backbone(
                Dinov2Model, weights_dir, requested, what="crop_weights_dir"
            )
        else:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(self.seed)
                self.backbone = Dinov2Model(Dinov2Config(**CROP_EXTRACTOR_PRESETS[preset]))
        self.backbone.requires_grad_(False)
        self.backbone.eval()
        cfg = self.backbone.config
        # The preset decides the crop size: released DINOv2 configs say 518 px, but the model interpolates
        # its position embeddings, and SkillSight feeds 224 px crops.
        self.crop_size = int(CROP_EXTRACTOR_PRESETS[preset]["image_size"])
        self.feature_dim = int(cfg.hidden_size)
        self.pixel_mean = DINOV2_PIXEL_MEAN
        self.pixel_std = DINOV2_PIXEL_STD

    def train(self, mode: bool = True) -> CropFeatureExtractor:
        """The backbone is frozen: it stays in eval mode whatever ``mode`` is."""
        super().train(False)
        return self

    @torch.no_grad()
    def forward(self, crops: torch.Tensor) -> torch.Tensor:
        """Encode crops without gradients.

        Args:
            crops: (B, T, 3, S, S) or (N, 3, S, S) normalised crops, S = ``crop_size``.

        Returns:
            (B, T, D) or (N, D) CLS features (float32 of the backbone's dtype).
        """
        if crops.dim() not in (4, 5) or crops.shape[-3] != 3:
            raise ValueError(f"crops must be (B, T, 3, S, S) or (N, 3, S, S), got {tuple(crops.shape)}")
        if crops.shape[-1] != self.crop_size or crops.shape[-2] != self.crop_size:
            size = tuple(crops.shape[-2:])
            raise ValueError(f"crops are {size} px, the extractor expects {self.crop_size}")
        lead = crops.shape[:-3]
        flat = crops.reshape(-1, *crops.shape[-3:])  # (N, 3, S, S)
        features = self.backbone(pixel_values=flat).pooler_output  # (N, D)
        return features.reshape(*lead, self.feature_dim)

    def fingerprint(self) -> str:
        """SHA-256 of the current backbone weights (recomputed each call: weights may be loaded later)."""
        digest = hashlib.sha256()
        for name, tensor in sorted(self.backbone.state_dict().items()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        return digest.hexdigest()

    def identity(self) -> dict[str, Any]:
        """What names this extractor in a feature-cache key: preset, config and weight fingerprint."""
        config = self.backbone.config.to_dict()
        return {
            "extractor": "dinov2_cls",
            "preset": self.preset,
            "config": {k: config[k] for k in sorted(CROP_EXTRACTOR_PRESETS[self.preset])},
            "weights": self.fingerprint(),
        }
