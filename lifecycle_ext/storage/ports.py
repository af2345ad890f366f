"""The storage port: a flat key/value space of immutable objects with atomic writes.

Keys are ``/``-separated relative paths (``blobs/ab/cdef...``). Every backend (local folder, fsspec/object
storage, memory) implements :class:`Storage` and passes ``tests/storage/test_conformance.py``.

Request economy: on object stores each method is one request where one request can decide (``create`` is one
conditional PUT, ``read`` one GET, a missing object one 404). A backend whose ``exists`` is a cheap local call
sets ``cheap_probe = True``; callers may then probe before expensive work (compressing a blob already stored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

__all__ = ["Storage"]


@runtime_checkable
class Storage(Protocol):
    location: str

    def read(self, key: str) -> bytes:
        """Return the object's bytes; raise ``NotFound`` when absent."""

    def create(
        self,
        key: str,
        data: bytes | memoryview,
        *,
        durable: bool = True,
        meanwhile: Callable[[], object] | None = None,
    ) -> bool:
        """Create ``key`` with ``data`` only if absent (atomically, whole or not at all). False if it existed.

        ``meanwhile``: work to do while the write is in flight (a local folder runs it after handing the data to
        the kernel and starting its writeback, before waiting for it to be durable). Called exactly once before
        ``create`` returns, whether or not the object existed; its exceptions propagate."""

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        """Atomically write ``key`` (temp + rename); only for rebuildable caches such as checkpoints."""

    def read_head(self, key: str, n: int) -> bytes:
        """The first ``n`` bytes of the object (all of it when shorter); ``NotFound`` when absent."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Names directly under the folder ``prefix`` (files and sub-folders), sorted."""

    def delete(self, key: str) -> None: ...

    def age_seconds(self, key: str) -> float:
        """Seconds since the object was written (for grace periods in gc)."""

    def sync(self) -> None:
        """Make previously written objects' directory entries durable (no-op where not needed)."""
