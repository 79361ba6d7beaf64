"""ViT encoder sizes shared by the Hugging Face configs built here (TimeSformer, DINOv2).

A released ViT size fixes the token width, the depth, the heads and the MLP ratio; the input side and the
patch side are the backbone's own (DINOv2 uses 14 px patches, TimeSformer 16 px). :class:`ViTSize` holds
the shared part and writes it in each library's config vocabulary: TimeSformer names the MLP width
(``intermediate_size``), DINOv2 its ratio (``mlp_ratio``). :data:`VIT_SIZES` are the released layouts
(Dosovitskiy et al. 2021, also used by DINOv2): ViT-S 384-d / 12 layers / 6 heads, ViT-B 768 / 12 / 12,
ViT-L 1024 / 24 / 16, all with MLP ratio 4; ``tiny`` is this project's CPU demo size.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["VIT_SIZES", "ViTSize"]


@dataclass(frozen=True)
class ViTSize:
    """Width, depth, heads and MLP ratio of a ViT encoder.

    Attributes:
        hidden_size: token width D.
        num_hidden_layers: transformer layers.
        num_attention_heads: heads per layer (D must be a multiple).
        mlp_ratio: MLP width / D.
    """

    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    mlp_ratio: int = 4

    def _common(self, image_size: int, patch_size: int) -> dict[str, int]:
        return {
            "image_size": image_size,
            "patch_size": patch_size,
            "hidden_size": self.hidden_size,
            "num_hidden_layers": self.num_hidden_layers,
            "num_attention_heads": self.num_attention_heads,
        }

    def timesformer_config(self, image_size: int, patch_size: int) -> dict[str, int]:
        """``TimesformerConfig`` keyword arguments (without ``num_frames``) at this input and patch side."""
        mlp_width = self.mlp_ratio * self.hidden_size
        return {**self._common(image_size, patch_size), "intermediate_size": mlp_width}

    def dinov2_config(self, image_size: int, patch_size: int) -> dict[str, int]:
        """``Dinov2Config`` keyword arguments at this input and patch side."""
        return {**self._common(image_size, patch_size), "mlp_ratio": self.mlp_ratio}


#: Released ViT layouts by name, plus the CPU demo's ``tiny``.
VIT_SIZES: dict[str, ViTSize] = {
    "small": ViTSize(hidden_size=384, num_hidden_layers=12, num_attention_heads=6),
    "base": ViTSize(hidden_size=768, num_hidden_layers=12, num_attention_heads=12),
    "large": ViTSize(hidden_size=1024, num_hidden_layers=24, num_attention_heads=16),
    "tiny": ViTSize(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, mlp_ratio=2),
}
