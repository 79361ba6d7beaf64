"""Silence Lightning's start-up chatter (accelerator lines, tips) and its known-harmless warnings.

Our own warnings and errors are never filtered: only messages of the ``lightning`` packages.
"""

from __future__ import annotations

import logging
import warnings

__all__ = ["quiet_lightning"]


def quiet_lightning() -> None:
    """Lightning loggers to ERROR and warnings raised inside ``lightning`` ignored (process-wide)."""
    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"lightning(\..*)?")
