"""The clock port: all times the core records come from a clock, so tests can inject time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["Clock", "SystemClock", "ManualClock", "iso", "parse_time"]


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that only moves when told to (for soak periods and monitoring tests)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._t = start or datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        return self._t

    def advance(self, **kwargs: float) -> datetime:
        self._t += timedelta(**kwargs)
        return self._t


def iso(t: datetime) -> str:
    """UTC ISO-8601 with microseconds and a Z suffix."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
