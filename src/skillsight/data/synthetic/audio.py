"""The microphone track of a synthetic take: a short contact sound at every action over background noise.

What a head-worn microphone hears in the skill scenarios: each action (a stroke, a kick, a shot, a cut)
makes a short broadband contact sound -- modelled as a noise burst and a damped resonance (1.5-4 kHz),
a few milliseconds of attack and a 20-60 ms decay -- over a steady background (low-passed noise about
30 dB below the impacts, plus a faint mains hum). Impact loudness varies from action to action; nothing
in the audio depends on the skill level, so an audio-triggered model must still judge skill from the
frames it captures.

Everything is drawn from its own generator (the caller passes one seeded apart from the take's
behaviour generator), so adding audio leaves the gaze, trajectory and video of a seed unchanged.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

__all__ = ["AUDIO_RATE_HZ", "synthesize_take_audio"]

AUDIO_RATE_HZ = 16_000
_BACKGROUND_RMS = 0.01  # ~ -40 dBFS
_HUM_HZ = 50.0


def _impact(rng: np.random.Generator, rate_hz: int) -> np.ndarray:
    """One contact sound (~80 ms): an enveloped noise burst plus a damped resonance, peak ~0.3-0.9."""
    n = int(0.08 * rate_hz)
    t = np.arange(n) / rate_hz
    decay_s = rng.uniform(0.02, 0.06)
    envelope = (1.0 - np.exp(-t / 0.002)) * np.exp(-t / decay_s)
    burst = rng.standard_normal(n)
    resonance = np.sin(2 * np.pi * rng.uniform(1500.0, 4000.0) * t + rng.uniform(0, 2 * np.pi))
    sound = envelope * (0.6 * burst / 3.0 + 0.7 * resonance)
    return rng.uniform(0.3, 0.9) * sound / max(np.abs(sound).max(), 1e-9)


def synthesize_take_audio(
    event_times_s: np.ndarray, duration_s: float, rng: np.random.Generator, rate_hz: int = AUDIO_RATE_HZ
) -> np.ndarray:
    """Mono samples (round(duration_s * rate_hz),) float32 in [-1, 1]: background + one impact per event.

    Args:
        event_times_s: (E,) action times in seconds from the take start (times outside the take are
            ignored; an impact starting near the end is cut off).
        duration_s: take length.
        rng: the audio's own generator.
        rate_hz: sample rate.
    """
    n = round(duration_s * rate_hz)
    # background: one-pole low-passed white noise (a room / outdoor rumble) plus a faint hum
    white = rng.standard_normal(n)
    rumble = lfilter([0.05], [1.0, -0.95], white)
    rumble *= _BACKGROUND_RMS / max(float(np.std(rumble)), 1e-9)
    t = np.arange(n) / rate_hz
    audio = rumble + 0.002 * np.sin(2 * np.pi * _HUM_HZ * t + rng.uniform(0, 2 * np.pi))
    for time_s in np.asarray(event_times_s, dtype=np.float64):
        start = round(time_s * rate_hz)
        if start < 0 or start >= n:
            continue
        sound = _impact(rng, rate_hz)
        stop = min(n, start + len(sound))
        audio[start:stop] += sound[: stop - start]
    return np.clip(audio, -1.0, 1.0).astype(np.float32)
