"""A running estimate over a whole recording, beside the per-window one.

The evaluation protocol scores a take by averaging the logits of its clips; a stream does the same over
the windows seen so far. Windows carry probabilities, and averaging their log-probabilities is exactly
averaging their logits up to a per-window constant, which the softmax removes: the running estimate is
``softmax(mean_w log p_w)``, the take-level estimate the recording would get offline from these windows.
Skipped windows do not count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

__all__ = ["RunningEstimate"]


@dataclass
class RunningEstimate:
    """Accumulates window probabilities; :attr:`probabilities` is the recording-level estimate so far."""

    class_names: Sequence[str] = ()
    _log_sum: np.ndarray | None = field(default=None, repr=False)
    windows: int = 0

    def add(self, probabilities: np.ndarray | None) -> None:
        """Count one window's (C,) probabilities (None: a skipped window, not counted)."""
        if probabilities is None:
            return
        logp = np.log(np.clip(np.asarray(probabilities, dtype=np.float64), 1e-300, None))  # (C,)
        self._log_sum = logp if self._log_sum is None else self._log_sum + logp
        self.windows += 1

    @property
    def probabilities(self) -> np.ndarray | None:
        """(C,) softmax of the mean window log-probability; None before the first estimated window."""
        if self._log_sum is None:
            return None
        mean = self._log_sum / self.windows
        e = np.exp(mean - mean.max())
        return e / e.sum()

    @property
    def label(self) -> str | None:
        """Most probable class so far (its name when class names are given)."""
        p = self.probabilities
        if p is None:
            return None
        k = int(p.argmax())
        return self.class_names[k] if k < len(self.class_names) else str(k)

    def format(self) -> str:
        """``recording so far: <label> 0.41 (12 windows)`` or a note that nothing was estimated yet."""
        p = self.probabilities
        if p is None:
            return "recording so far: no window estimated yet"
        return f"recording so far: {self.label} {p.max():.2f} ({self.windows} windows)"
