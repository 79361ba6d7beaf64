"""Silence Lightning's start-up chatter (accelerator lines, tips) and its known-harmless warnings.

Our own warnings and errors are never filtered: only messages of the ``lightning`` packages. Called
where a Trainer is built (importing Lightning resets its loggers to INFO, so silencing must come after
that import; doing it at CLI start-up would import Lightning for every command, ~7 s cold).
"""

from __future__ import annotations

import logging
import warnings

__all__ = ["quiet_lightning"]


def quiet_lightning() -> None:
    """Lightning loggers to ERROR and warnings raised inside ``lightning`` ignored (process-wide)."""
    import lightning.pytorch  # noqa: F401  (import first: lightning sets its loggers to INFO on import)

    for name in ("lightning", "lightning.pytorch", "lightning.fabric"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"lightning(\..*)?")
