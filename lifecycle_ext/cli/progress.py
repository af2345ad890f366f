"""Text progress for the terminal: one updating line on stderr per long operation.

Shown when stderr is a terminal, or always with ``LIFECYCLE_PROGRESS=1``; ``LIFECYCLE_PROGRESS=0`` turns it off.
"""

from __future__ import annotations

import os
import sys
import time
from typing import IO, Any

__all__ = ["TextBar", "text_factory", "enabled"]


def enabled(stream: IO[str] | None = None) -> bool:
    flag = os.environ.get("LIFECYCLE_PROGRESS")
    if flag is not None:
        return flag not in ("0", "", "false", "no")
    s = stream or sys.stderr
    return bool(getattr(s, "isatty", lambda: False)())


class TextBar:
    """``label [#####.....]  52% 13/25``; redrawn at most every ``interval`` seconds, final line on close."""

    def __init__(
        self, label: str, total: int, stream: IO[str] | None = None, width: int = 30, interval: float = 0.1
    ) -> None:
        self.label, self.total, self.done = label, total, 0
        self.stream = stream or sys.stderr
        self.width, self.interval, self._last = width, interval, 0.0

    def line(self) -> str:
        frac = self.done / self.total if self.total else 1.0
        fill = int(frac * self.width)
        return (
            f"{self.label} [{'#' * fill}{'.' * (self.width - fill)}] {frac * 100:3.0f}% "
            f"{_units(self.done, self.label)}/{_units(self.total, self.label)}"
        )

    def update(self, done: int, total: int) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self._last >= self.interval or done >= total:
            self._last = now
            self.stream.write("\r" + self.line())
            self.stream.flush()

    def close(self) -> None:
        self.stream.write("\r" + self.line() + "\n")
        self.stream.flush()


def _units(n: int, label: str) -> str:
    if label.startswith("save"):
        return f"{n / 1e6:.1f}MB"
    return str(n)


def text_factory(label: str, total: int) -> Any:
    return TextBar(label, total)
