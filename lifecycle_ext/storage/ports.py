"""The storage port: a flat key/value space of immutable objects with atomic writes.

Keys are ``/``-separated relative paths (``blobs/ab/cdef...``). Every backend (local folder, fsspec/object
storage, memory) implements :class:`Storage` and passes ``tests/storage/test_conformance.py``.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

__all__ = ["Storage"]


@runtime_checkable
class Storage(Protocol):
    location: str

    def read(self, key: str) -> bytes:
        """Return the object's bytes; raise ``NotFound`` when absent."""

    def create(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> bool:
        """Create ``key`` with ``data`` only if absent (atomically, whole or not at all). False if it existed."""

    def replace(self, key: str, data: bytes | memoryview, *, durable: bool = True) -> None:
        """Atomically write ``key`` (temp + rename); only for rebuildable caches such as checkpoints."""

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> list[str]:
        """Names directly under the folder ``prefix`` (files and sub-folders), sorted."""

    def delete(self, key: str) -> None: ...

    def age_seconds(self, key: str) -> float:
        """Seconds since the object was written (for grace periods in gc)."""

    def sync(self) -> None:
        """Make previously written objects' directory entries durable (no-op where not needed)."""
