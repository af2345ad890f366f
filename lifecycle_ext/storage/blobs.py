"""Content-addressed blobs: ``xxh3-128:<hex>`` ids, stored once, verified on every read."""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import xxhash

from ..core.errors import IntegrityError, NotFound
from .ports import Storage

__all__ = ["BlobStore", "content_id", "ALGO"]

ALGO = "xxh3-128"
_PREFIX = ALGO + ":"
WORKERS = max(2, min(8, (os.cpu_count() or 2) * 2))


def content_id(data: bytes | memoryview) -> str:
    return _PREFIX + xxhash.xxh3_128_hexdigest(data)


def _key(cid: str) -> str:
    if not cid.startswith(_PREFIX) or len(cid) != len(_PREFIX) + 32:
        raise IntegrityError(f"malformed content id {cid!r}; expected {ALGO}:<32 hex digits>")
    h = cid[len(_PREFIX) :]
    return f"blobs/{h[:2]}/{h[2:]}"


SMALL = 64 * 1024  # metadata documents (zarr.json, manifests of small artifacts) are cached once verified
_SMALL_CACHE_ITEMS = 4096


class BlobStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._pool: ThreadPoolExecutor | None = None
        self._small: OrderedDict[str, bytes] = OrderedDict()

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="lifecycle-blob")
        return self._pool

    def put(self, data: bytes | memoryview, *, durable: bool = True) -> tuple[str, int]:
        """Store ``data``; return (id, bytes newly written: 0 when it was already stored)."""
        cid = content_id(data)
        key = _key(cid)
        if self.storage.exists(key):
            return cid, 0
        created = self.storage.create(key, data, durable=durable)
        return cid, (memoryview(data).nbytes if created else 0)

    def put_many(self, chunks: Iterable[bytes | memoryview], *, durable: bool = True) -> list[tuple[str, int]]:
        """Store many chunks in parallel (hashing and writing release the GIL)."""
        return list(self.pool.map(lambda c: self.put(c, durable=durable), chunks))

    def get(self, cid: str, *, verify: bool = True) -> bytes:
        data: bytes = self._read(cid, self.storage.read, verify)
        return data

    def get_view(self, cid: str) -> bytes | memoryview:
        """:meth:`get` without copying where the backend can map the blob (local folders): the verified bytes
        as a read-only buffer over the file. For reading and comparing large chunks; copy what is kept."""
        data: bytes | memoryview = self._read(cid, getattr(self.storage, "read_mapped", self.storage.read), True)
        return data

    def _read(self, cid: str, reader: Callable[[str], Any], verify: bool) -> Any:
        try:
            data = reader(_key(cid))
        except NotFound:
            raise NotFound(f"blob {cid} is missing from the registry at {self.storage.location}") from None
        if verify and content_id(data) != cid:
            raise IntegrityError(f"blob {cid} is corrupt: its bytes hash to {content_id(data)}")
        return data

    def get_into(self, cid: str, out: memoryview) -> None:
        """Read blob ``cid``, which must be exactly ``len(out)`` bytes, into ``out`` (verified)."""
        data = self.get_view(cid)
        if len(data) != len(out):
            raise IntegrityError(f"blob {cid} holds {len(data)} bytes where {len(out)} were expected")
        out[:] = data

    def get_cached(self, cid: str) -> bytes:
        """:meth:`get` for small immutable documents read again and again (zarr metadata): a verified copy is
        kept in memory, which is safe because the id is the content's hash. ``verify()`` never uses it."""
        hit = self._small.get(cid)
        if hit is not None:
            self._small.move_to_end(cid)
            return hit
        data = self.get(cid)
        if len(data) <= SMALL:
            self._small[cid] = data
            if len(self._small) > _SMALL_CACHE_ITEMS:
                self._small.popitem(last=False)
        return data

    def check(self, cid: str) -> str | None:
        """None if the blob is present and intact, else a short reason."""
        try:
            self.get(cid)
        except NotFound:
            return "missing"
        except IntegrityError:
            return "corrupt"
        return None

    def has(self, cid: str) -> bool:
        return self.storage.exists(_key(cid))

    def ids(self) -> Iterator[str]:
        for d in self.storage.list("blobs"):
            for rest in self.storage.list(f"blobs/{d}"):
                yield f"{_PREFIX}{d}{rest}"

    def key(self, cid: str) -> str:
        return _key(cid)

    def delete(self, cid: str) -> None:
        self.storage.delete(_key(cid))
