"""Wait on a condition, never for a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(
    condition: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    what: str = "the condition",
    on_timeout: Callable[[], str] | None = None,
) -> T:
    """Call ``condition`` until it returns something truthy and return that; raise ``TimeoutError`` naming
    ``what`` (plus ``on_timeout()``, e.g. a log tail) after ``timeout`` seconds. Exceptions it raises propagate,
    so catch the expected ones (``OSError`` while a server starts) inside ``condition``."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            detail = on_timeout() if on_timeout else ""
            raise TimeoutError(f"{what} did not happen within {timeout} s" + (f":\n{detail}" if detail else ""))
        time.sleep(interval)
