"""In-memory storage: the test twin of every backend (same conformance suite)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ..core.errors import NotFound

__all__ = ["MemoryStorage"]


class MemoryStorage:
    cheap_probe = True

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self._data: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def read(self, key: str) -> bytes:
        try:
            return self._data[key][0]
        except KeyError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def read_head(self, key: str, n: int) -> bytes:
        return self.read(key)[:n]

    def create(
        self,
        key: str,
        data: bytes | memoryview,
        *,
        durable: bool = True,
        meanwhile: Callable[[], object] | None = None,
    ) -> bool:
        with self._lock:
            created = key not in self._data
            if created:
                self._data[key] = (bytes(data), time.time())
        if meanwhile is not None:
            meanwhile()
        return created

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        with self._lock:
            self._data[key] = (bytes(data), time.time())

    def exists(self, key: str) -> bool:
        return key in self._data

    def list(self, prefix: str) -> list[str]:
        p = prefix.rstrip("/") + "/"
        return sorted({k[len(p) :].split("/", 1)[0] for k in self._data if k.startswith(p)})

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def age_seconds(self, key: str) -> float:
        try:
            return time.time() - self._data[key][1]
        except KeyError:
            raise NotFound(f"{key} is missing from the registry at {self.location}") from None

    def sync(self) -> None:
        return None
