"""Content-addressed blobs: ``xxh3-128:<hex>`` ids, stored once, verified on every read.

The id is the hash of the blob's *uncompressed* bytes; how the bytes are stored (raw, zstd-compressed with byte
grouping, or as a delta against the same chunk of the parent version) is :mod:`.blobformat`'s business and
is decided per blob when it is written. Reads undo it and verify the result against the id.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Container, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import xxhash

from ..core.errors import IntegrityError, NotFound
from . import blobformat as bf
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


_PIECE = 1 << 20  # verify_blob hashes raw blobs in pieces of this size (both hashes while a piece is cached)
SMALL = 64 * 1024  # metadata documents (zarr.json, manifests of small artifacts) are cached once verified
_SMALL_CACHE_ITEMS = 4096
# Decoded compressed/delta blobs kept in memory (bytes), as the page cache keeps raw blobs that are mapped:
# a dataset diff reads a chunk and, as a delta's base, again. Verified before they enter; ``verify()`` bypasses.
DECODED_CACHE_BYTES = int(os.environ.get("LIFECYCLE_DECODED_CACHE_MB", "256")) << 20


class BlobStore:
    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self._pool: ThreadPoolExecutor | None = None
        self._small: OrderedDict[str, bytes] = OrderedDict()
        self._decoded: OrderedDict[str, tuple[np.ndarray, int]] = OrderedDict()
        self._decoded_bytes = 0
        self._lock = threading.Lock()

    @property
    def pool(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="lifecycle-blob")
        return self._pool

    def put(
        self,
        data: bytes | memoryview,
        *,
        durable: bool = True,
        itemsize: int = 1,
        base: str | None = None,
        compress: bool = True,
        known: Container[str] = (),
        cid: str | None = None,
        meanwhile: Callable[[], object] | None = None,
    ) -> tuple[str, int]:
        """Store ``data``; return (id, bytes newly stored: 0 when it was already stored).

        One conditional create decides whether it is new: no existence probe first, except on backends where a
        probe is a cheap local call (``storage.cheap_probe``), which spares compressing what is stored already.
        ``itemsize`` is the element width byte grouping uses (8 for float64...); ``base`` is the id of the blob
        this one replaces (same position in the parent version): when given and a delta against it is smaller,
        the delta is stored. ``compress=False`` stores the raw bytes (and keeps them mappable). Ids in ``known``
        (the parent version's chunks) are taken as stored without a request. ``cid``: the content id of
        ``data`` when the caller has already computed it. ``meanwhile``: work to run while the blob is being
        written (see ``Storage.create``); called exactly once, also when nothing needs writing."""
        if cid is None:
            cid = content_id(data)
        key = _key(cid)
        if cid in known or (getattr(self.storage, "cheap_probe", False) and self.storage.exists(key)):
            if meanwhile is not None:
                meanwhile()
            return cid, 0
        stored: bytes | memoryview | None = self._encode(data, itemsize, base, cid) if compress else None
        if stored is None:
            stored = bf.raw(data)
        created = self.storage.create(key, stored, durable=durable, meanwhile=meanwhile)
        return cid, (memoryview(stored).nbytes if created else 0)

    def _encode(self, data: bytes | memoryview, itemsize: int, base: str | None, cid: str) -> bytes | None:
        """The frame to store for ``data`` (None: the raw bytes). With a ``base``, the delta against it is tried
        first; a delta of at most 60% of the size is taken without also compressing the chunk on its own (a
        float chunk that changed in every value rarely compresses better than that on its own)."""
        n = memoryview(data).nbytes
        delta = None
        if base is not None and base != cid and n >= bf.MIN_SIZE:
            try:
                base_data, depth = self._load(base, getattr(self.storage, "read_mapped", self.storage.read), True)
            except (NotFound, IntegrityError):
                base_data, depth = None, bf.MAX_DEPTH  # no usable base: store the chunk on its own
            if depth < bf.MAX_DEPTH and base_data is not None and len(base_data) == n:
                delta = bf.encode_delta(data, base_data, bytes.fromhex(base[len(_PREFIX) :]), depth + 1, itemsize)
                if len(delta) <= n * 0.6:
                    return delta
        packed = bf.encode(data, itemsize)
        if delta is not None and len(delta) < (len(packed) if packed is not None else n * (1 - bf.MIN_SAVING)):
            return delta
        return packed

    def put_many(self, chunks: Iterable[bytes | memoryview], *, durable: bool = True) -> list[tuple[str, int]]:
        """Store many chunks in parallel (hashing, compressing and writing release the GIL)."""
        return list(self.pool.map(lambda c: self.put(c, durable=durable), chunks))

    def get(self, cid: str, *, verify: bool = True) -> bytes:
        data, _ = self._load(cid, self.storage.read, verify)
        return data if isinstance(data, bytes) else bytes(data)

    def get_view(self, cid: str, *, fresh: bool = False) -> bytes | memoryview:
        """:meth:`get` without copying where the backend can map the blob (local folders) and it is stored raw:
        the verified bytes as a read-only buffer over the file. Compressed blobs are decoded into memory and
        kept in a bounded cache of decoded blobs (``fresh=True``: read and check the stored object again, as
        ``verify`` does). For reading and comparing large chunks; copy what is kept."""
        data, _ = self._load(cid, getattr(self.storage, "read_mapped", self.storage.read), True, cached=not fresh)
        return data if isinstance(data, bytes) else memoryview(data)

    def _load(self, cid: str, reader: Callable[[str], Any], verify: bool, cached: bool = False) -> tuple[Any, int]:
        """(raw bytes of blob ``cid``, its delta depth): read, decoded, and verified unless ``verify`` is False.
        ``cached``: a decoded blob may come from (and goes into) the cache of decoded blobs."""
        if cached:
            with self._lock:
                hit = self._decoded.get(cid)
                if hit is not None:
                    self._decoded.move_to_end(cid)
                    return hit
        try:
            stored = reader(_key(cid))
        except NotFound:
            raise NotFound(f"blob {cid} is missing from the registry at {self.storage.location}") from None
        try:
            frame = bf.parse(stored)
        except bf.FormatError:
            frame = None
            if content_id(stored) != cid:
                raise IntegrityError(f"blob {cid} is corrupt: its stored frame is unreadable") from None
        if frame is None:
            if verify and content_id(stored) != cid:
                raise IntegrityError(f"blob {cid} is corrupt: its bytes hash to {content_id(stored)}")
            return stored, 0
        base = None
        if frame.base is not None:
            base_id = _PREFIX + frame.base.hex()
            try:
                base, _ = self._load(base_id, getattr(self.storage, "read_mapped", self.storage.read), True, cached)
            except NotFound:
                raise NotFound(f"blob {cid} is stored as a delta against blob {base_id}, which is missing") from None
            except IntegrityError as exc:
                raise IntegrityError(f"blob {cid} is stored as a delta against a corrupt blob: {exc}") from None
        try:
            data: np.ndarray = bf.decode(frame, stored, base)
        except bf.FormatError as exc:
            if content_id(stored) == cid:  # an old raw blob that happens to begin with the frame marker
                return stored, 0
            raise IntegrityError(f"blob {cid} is corrupt: {exc}") from None
        got = content_id(data.data)
        if got != cid:  # decoded bytes are always checked: the frame itself is not hashed
            if content_id(stored) == cid:
                return stored, 0
            raise IntegrityError(f"blob {cid} is corrupt: its decoded bytes hash to {got}")
        data.flags.writeable = False
        if cached and data.nbytes <= DECODED_CACHE_BYTES // 8:
            with self._lock:
                if cid not in self._decoded:
                    self._decoded[cid] = (data, frame.depth)
                    self._decoded_bytes += data.nbytes
                while self._decoded_bytes > DECODED_CACHE_BYTES:
                    _, (old, _) = self._decoded.popitem(last=False)
                    self._decoded_bytes -= old.nbytes
        return data, frame.depth

    def base_of(self, cid: str) -> str | None:
        """The blob a delta-stored blob is reconstructed from (None when stored on its own). Reads only the header."""
        try:
            frame = bf.parse(self.storage.read_head(_key(cid), bf.HEAD_BYTES))
        except bf.FormatError:
            return None
        return None if frame is None or frame.base is None else _PREFIX + frame.base.hex()

    def get_into(self, cid: str, out: memoryview) -> None:
        """Read blob ``cid``, which must be exactly ``len(out)`` bytes, into ``out`` (verified). Compressed
        blobs are decoded straight into ``out`` (no intermediate copy, nothing kept in the decoded cache)."""
        with self._lock:
            hit = self._decoded.get(cid)
        read_into = getattr(self.storage, "read_into", None)
        if hit is None and read_into is not None and read_into(_key(cid), out):
            # a raw blob of the expected size: read straight into place and hash it there (xxh3 at memory
            # speed; the SHA-256 digests are for verify() and signatures, not for every load)
            if content_id(out) == cid:
                return
        if hit is not None:
            data: Any = hit[0]
        else:
            stored = self._read_stored(cid, getattr(self.storage, "read_mapped", self.storage.read))
            try:
                frame = bf.parse(stored)
            except bf.FormatError:
                frame = None
            if frame is not None and frame.method != bf.STORED:
                self._decode_into(cid, stored, frame, out)
                return
            data = stored if frame is None and content_id(stored) == cid else self.get_view(cid)
        if len(data) != len(out):
            raise IntegrityError(f"blob {cid} holds {len(data)} bytes where {len(out)} were expected")
        out[:] = data

    def _decode_into(self, cid: str, stored: Any, frame: bf.Frame, out: memoryview) -> None:
        if frame.length != out.nbytes:
            raise IntegrityError(f"blob {cid} holds {frame.length} bytes where {out.nbytes} were expected")
        target = np.frombuffer(out, dtype=np.uint8)
        base = None
        if frame.base is not None:
            base = self.get_view(_PREFIX + frame.base.hex())
        try:
            bf.decode(frame, stored, base, out=target)
        except bf.FormatError:
            target[:] = np.frombuffer(self.get_view(cid), dtype=np.uint8)  # the slow path names the problem
            return
        if content_id(out) != cid:
            target[:] = np.frombuffer(self.get_view(cid, fresh=True), dtype=np.uint8)  # raises IntegrityError

    def _read_stored(self, cid: str, reader: Callable[[str], Any]) -> Any:
        try:
            return reader(_key(cid))
        except NotFound:
            raise NotFound(f"blob {cid} is missing from the registry at {self.storage.location}") from None

    def verify_blob(self, cid: str, digest: str | None = None) -> tuple[int, bool]:
        """Re-read blob ``cid`` from storage (never from a cache) and check it: its content against the id
        (xxh3), and, when given, against ``digest`` (``blake3:<hex>`` or ``sha256:<hex>``, the digest a manifest
        records, which is what signatures cover; see :mod:`.digests`). A blob stored raw is hashed in one pass of
        1 MiB pieces, both hashes on each piece while it is in the CPU cache. Return (content length, whether the
        digest matches: True when none is given); a content that does not match its id raises
        ``IntegrityError``, as does a digest of an unknown algorithm; a missing blob raises ``NotFound``."""
        from . import digests

        h, expected = digests.hasher(digest) if digest is not None else (None, "")
        reader = getattr(self.storage, "read_mapped", self.storage.read)
        stored = self._read_stored(cid, reader)
        try:
            frame = bf.parse(stored)
        except bf.FormatError:
            frame = None
        if frame is None:
            view = memoryview(stored)
            ours = xxhash.xxh3_128()
            for i in range(0, len(view), _PIECE):
                piece = view[i : i + _PIECE]
                ours.update(piece)
                if h is not None:
                    h.update(piece)
            size = len(view)
            del view, piece
            if _PREFIX + ours.hexdigest() != cid:
                raise IntegrityError(f"blob {cid} is corrupt: its bytes hash to {content_id(stored)}")
        else:
            data, _ = self._load(cid, reader, True)  # decoded (deltas with their bases) and checked against the id
            size = len(data)
            if h is not None:
                h.update(digests.as_bytes(data))
        return size, h is None or h.hexdigest() == expected

    def get_cached(self, cid: str) -> bytes:
        """:meth:`get` for small immutable documents read again and again (zarr metadata): a verified copy is
        kept in memory, which is safe because the id is the content's hash. ``verify()`` never uses it."""
        with self._lock:  # a save's hooks and its chunk writer may read documents from two threads
            hit = self._small.get(cid)
            if hit is not None:
                self._small.move_to_end(cid)
                return hit
        data = self.get(cid)
        if len(data) <= SMALL:
            with self._lock:
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

    def rematerialize(self, cid: str) -> None:
        """Store blob ``cid`` on its own (compressed or raw) instead of as a delta against its base, so the base
        can be removed (erasure). Atomic replace of an object whose content id does not change."""
        stored = self.storage.read(_key(cid))
        frame = bf.parse(stored)
        if frame is None or frame.base is None:
            return
        data = self.get(cid)  # decoded through the base and verified
        packed = bf.encode(data, frame.itemsize)
        self.storage.replace(_key(cid), packed if packed is not None else bf.raw(data))
        with self._lock:
            hit = self._decoded.pop(cid, None)
            if hit is not None:
                self._decoded_bytes -= hit[0].nbytes

    def forget(self, cid: str) -> None:
        """Drop ``cid`` from the in-memory caches (after it was removed)."""
        self._small.pop(cid, None)
        with self._lock:
            hit = self._decoded.pop(cid, None)
            if hit is not None:
                self._decoded_bytes -= hit[0].nbytes
