"""The checkout under test, for subprocesses (CLI runs, crash children, kernels) that must import it."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ROOT", "checkout_env"]

ROOT = Path(__file__).resolve().parents[2]


def checkout_env(**extra: str) -> dict[str, str]:
    """This process's environment with the checkout first on ``PYTHONPATH`` (plus ``extra`` variables)."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, **extra}
