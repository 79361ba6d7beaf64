"""EgoTrigger (2025): the camera stays off until the microphone hears a hand-object interaction.

The glasses listen all the time (microphone, 0.3 mW) and switch the camera on only when an audio event
detector fires; the skill classifier sees only the triggered frames. The paper's detector is a
pretrained YAMNet-based model; none can be downloaded here, so :class:`AudioEventTrigger` is a small
parameter-free onset detector that works on any recording without training:

* the first difference of the waveform (a pre-emphasis: contact sounds are broadband, room noise is
  mostly low-frequency) is cut into 10 ms hops and its log energy taken per hop;
* a hop is an event when it is ``threshold_db`` (12 dB) above the clip's median hop energy (the
  background level of that clip, so the detector adapts to loud and quiet rooms);
* the clip's T frames each own ``1 / clip_fps`` seconds of audio; a frame is captured (the camera is on
  for it) when any hop of its interval is an event.

The triggered frames go through a per-frame CNN; their features are averaged (a learned "nothing
captured" embedding when no frame fired) and classified. Training sees all T frames decoded but only the
triggered ones reach the classifier, exactly as on the device.

Power: the camera's duty cycle is the fraction of frames triggered, measured over the training clips (the
``trigger_count``/``frame_count`` buffers, stored with the checkpoint; ``prior_duty`` until trained);
the microphone is always on. :meth:`EgoTriggerClassifier.deployed` is the device's computation: the
detector plus the CNN on only round(duty x T) frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from skillsight.config import RunConfig
from skillsight.data.records import PROFICIENCY_LABELS
from skillsight.exceptions import ConfigError, DataFormatError
from skillsight.models._factory import register_model
from skillsight.models.data_args import DataFacts, clip_frames_args
from skillsight.models.layers.base import DeclaredInputsModule
from skillsight.models.layers.frame_cnn import RESNET18_LAYOUT, FrameCNN
from skillsight.models.layers.timesformer_utils import check_video

__all__ = ["EGOTRIGGER_PRESETS", "AudioEventTrigger", "EgoTriggerClassifier"]


class AudioEventTrigger(nn.Module):
    """Parameter-free audio onset detector: (B, N) samples -> (B, T) frame triggers (see the module doc).

    Args:
        num_frames: T frames the window is split into (N must be T x samples_per_frame).
        samples_per_frame: audio samples per frame interval (rate / clip fps).
        hop: samples per energy hop (160 = 10 ms at 16 kHz); must divide ``samples_per_frame``.
        threshold_db: how far above the clip's median hop energy an event must be.
    """

    def __init__(self, num_frames: int, samples_per_frame: int, hop: int, threshold_db: float) -> None:
        super().__init__()
        if hop < 1 or samples_per_frame % hop:
            raise ConfigError(f"hop {hop} must divide the {samples_per_frame} samples of one frame interval")
        self.num_frames, self.samples_per_frame, self.hop = int(num_frames), int(samples_per_frame), int(hop)
        self.threshold_db = float(threshold_db)

    def hop_energy_db(self, audio: torch.Tensor) -> torch.Tensor:
        """(B, N) samples -> (B, T, H) log energy (dB) of the pre-emphasised signal per hop."""
        B = audio.shape[0]
        emphasised = torch.cat([audio[:, :1], audio[:, 1:] - audio[:, :-1]], dim=1)  # (B, N)
        hops = emphasised.reshape(B, self.num_frames, self.samples_per_frame // self.hop, self.hop)
        return 10.0 * torch.log10(hops.pow(2).mean(-1) + 1e-10)  # (B, T, H)

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """audio (B, N) -> (B, T) float, 1 where the frame is captured."""
        energy = self.hop_energy_db(audio)  # (B, T, H)
        flat = energy.flatten(1)  # (B, T * H)
        median = torch.sort(flat, dim=1).values[:, flat.shape[1] // 2 : flat.shape[1] // 2 + 1]  # (B, 1)
        events = flat > median + self.threshold_db  # (B, T * H)
        return events.reshape(energy.shape).any(dim=-1).to(audio.dtype)  # (B, T)


class EgoTriggerClassifier(DeclaredInputsModule):
    """Audio-triggered frames -> skill logits.

    Args:
        num_frames: T frames per clip.
        clip_fps: clip frame rate (each frame owns 1 / clip_fps seconds of audio).
        audio_rate_hz: audio sample rate.
        image_size: frame side S.
        frame_widths, frame_blocks: the per-frame CNN (ResNet-18 layout at paper size).
        threshold_db, hop_ms: detector settings.
        prior_duty: camera duty cycle assumed before any training clip was seen.
        num_classes: skill classes.
    """

    input_names: tuple[str, ...] = ("video", "audio")
    sensors: tuple[str, ...] = ("rgb", "microphone")

    trigger_count: torch.Tensor  # () float64 buffer: frames triggered over the training clips seen
    frame_count: torch.Tensor  # () float64 buffer: frames seen

    def __init__(
        self,
        *,
        num_frames: int = 16,
        clip_fps: float = 2.0,
        audio_rate_hz: int = 16_000,
        image_size: int = 224,
        frame_widths: Sequence[int] = RESNET18_LAYOUT[0],
        frame_blocks: Sequence[int] = RESNET18_LAYOUT[1],
        threshold_db: float = 12.0,
        hop_ms: float = 10.0,
        prior_duty: float = 0.25,
        num_classes: int = len(PROFICIENCY_LABELS),
    ) -> None:
        super().__init__()
        per_frame = audio_rate_hz / clip_fps
        hop = audio_rate_hz * hop_ms / 1000.0
        if per_frame != int(per_frame) or hop != int(hop):
            raise ConfigError(
                f"audio_rate_hz / clip_fps ({per_frame}) and the hop ({hop} samples) must be whole numbers"
            )
        if not 0.0 < prior_duty <= 1.0:
            raise ConfigError(f"prior_duty must be in (0, 1], got {prior_duty}")
        self.num_frames, self.image_size = int(num_frames), int(image_size)
        self.num_samples = int(per_frame) * self.num_frames
        self.trigger = AudioEventTrigger(self.num_frames, int(per_frame), int(hop), threshold_db)
        self.frame_encoder = FrameCNN(tuple(frame_widths), tuple(frame_blocks))
        dim = self.frame_encoder.feature_dim
        self.nothing_captured = nn.Parameter(torch.zeros(dim))
        self.classifier = nn.Linear(dim, int(num_classes))
        self.prior_duty = float(prior_duty)
        self.register_buffer("trigger_count", torch.zeros((), dtype=torch.float64))
        self.register_buffer("frame_count", torch.zeros((), dtype=torch.float64))
        self.input_options = {"audio_rate_hz": int(audio_rate_hz)}

    @property
    def camera_duty(self) -> float:
        """Fraction of frames triggered over the training clips seen (``prior_duty`` before any)."""
        n = float(self.frame_count)
        return float(self.trigger_count) / n if n > 0 else self.prior_duty

    @property
    def duty_cycles(self) -> dict[str, float]:
        """Sensor duty cycles for the power model: the measured camera duty; the microphone always on."""
        return {"rgb": self.camera_duty, "microphone": 1.0}

    def classify(self, frames: torch.Tensor, weights: torch.Tensor) -> dict[str, torch.Tensor]:
        """frames (B, F, 3, S, S), weights (B, F) in {0, 1} -> logits of the weighted mean frame feature."""
        B, F = weights.shape
        S = self.image_size
        feats = self.frame_encoder(frames.reshape(B * F, 3, S, S)).reshape(B, F, -1)  # (B, F, D)
        count = weights.sum(1, keepdim=True)  # (B, 1)
        pooled = (weights.unsqueeze(-1) * feats).sum(1) / count.clamp(min=1.0)  # (B, D)
        pooled = pooled + (count == 0).to(pooled.dtype) * self.nothing_captured  # (B, D)
        return {"logits": self.classifier(pooled), "features": pooled}

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """video (B, T, 3, S, S) normalised; audio (B, N) samples of the clip window.

        Returns:
            "logits" (B, classes), "features" (B, D), "triggered" (B, T) (1 = the camera captured it).
        """
        self.check_input_names(inputs)
        T, S = self.num_frames, self.image_size
        video = check_video(type(self).__name__, "video", inputs["video"], (-1, T, 3, S, S))
        audio = self.check_shape("audio", inputs["audio"], (video.shape[0], self.num_samples))
        if not audio.is_floating_point():
            raise DataFormatError(type(self).__name__, "audio", str(audio.dtype), "expected float samples")
        triggered = self.trigger(audio)  # (B, T)
        if self.training:  # the measured duty cycle, like BatchNorm's running statistics
            self.trigger_count += triggered.detach().sum().double()
            self.frame_count += float(triggered.numel())
        out = self.classify(video, triggered)
        out["triggered"] = triggered
        return out

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        """Random frames; quiet noise with a click in frames 0 and 1 of every clip (so some frames fire)."""
        B, T, S = batch_size, self.num_frames, self.image_size
        gen = torch.Generator().manual_seed(0)
        audio = 0.01 * torch.randn(B, self.num_samples, generator=gen)
        per_frame = self.num_samples // T
        for frame in (0, min(1, T - 1)):
            audio[:, frame * per_frame + 10 : frame * per_frame + 90] += 0.5
        return {"video": torch.randn(B, T, 3, S, S, generator=gen), "audio": audio}

    def deployed(self) -> tuple[DeclaredInputsModule, str | None]:
        """The device's computation: the detector on the audio, the CNN on round(duty x T) frames only."""
        n_on = max(1, round(self.camera_duty * self.num_frames))
        note = (
            f"camera on for {n_on} of {self.num_frames} frames per window (the measured trigger rate "
            f"{self.camera_duty:.3f}); the CNN runs on those frames only"
        )
        return _TriggeredFramesOnly(self, n_on).eval(), note


class _TriggeredFramesOnly(DeclaredInputsModule):
    """What runs on the glasses: detector on ``audio``, CNN on ``triggered_frames`` (B, n_on, 3, S, S)."""

    input_names: tuple[str, ...] = ("audio", "triggered_frames")
    sensors: tuple[str, ...] = ("rgb", "microphone")

    def __init__(self, model: EgoTriggerClassifier, n_on: int) -> None:
        super().__init__()
        self.model, self.n_on = model, int(n_on)
        self.duty_cycles = model.duty_cycles
        self.model_name = f"{getattr(model, 'model_name', 'egotrigger')} (deployed)"

    def forward(self, **inputs: torch.Tensor) -> dict[str, torch.Tensor]:
        """audio (B, N); triggered_frames (B, n_on, 3, S, S) -> logits of those frames."""
        self.check_input_names(inputs)
        self.model.trigger(inputs["audio"])  # the detector runs on every window
        frames = inputs["triggered_frames"]
        return self.model.classify(frames, torch.ones(frames.shape[:2], dtype=frames.dtype))

    def example_inputs(self, batch_size: int = 2) -> dict[str, torch.Tensor]:
        S = self.model.image_size
        audio = self.model.example_inputs(batch_size)["audio"]
        return {"audio": audio, "triggered_frames": torch.randn(batch_size, self.n_on, 3, S, S)}


# ------------------------------------------------------------------------------ registered variants
#: Constructor arguments of each registered variant.
EGOTRIGGER_PRESETS: dict[str, dict[str, Any]] = {
    # Paper size: the clip protocol (16 frames at 2 fps), 224 px frames through a ResNet-18 layout.
    "egotrigger": dict(num_frames=16, image_size=224),
    "egotrigger_tiny": dict(
        num_frames=16, image_size=64, frame_widths=(16, 32, 64, 128), frame_blocks=(1, 1, 1, 1)
    ),
    "test_egotrigger": dict(
        num_frames=4,
        clip_fps=2.0,
        audio_rate_hz=8000,
        image_size=32,
        frame_widths=(8, 16),
        frame_blocks=(1, 1),
    ),
}


def _egotrigger_data_args(cfg: RunConfig, facts: DataFacts) -> dict[str, Any]:
    """EgoTrigger: frames per clip, the clip frame rate (audio windows per frame) and the frame size."""
    del facts  # its sizes follow from the config alone
    return {**clip_frames_args(cfg), "clip_fps": cfg.data.sample_fps, "image_size": cfg.data.frame_px}


def _register(name: str) -> None:
    def factory(**kwargs: Any) -> EgoTriggerClassifier:
        return EgoTriggerClassifier(**{**EGOTRIGGER_PRESETS[name], **kwargs})

    factory.__name__ = name
    factory.__doc__ = f"EgoTriggerClassifier preset {name!r}: {EGOTRIGGER_PRESETS[name]}"
    register_model(name, data_args=_egotrigger_data_args)(factory)


for _name in EGOTRIGGER_PRESETS:
    _register(_name)
