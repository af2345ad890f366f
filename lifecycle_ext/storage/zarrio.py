"""zarr v3 on content-addressed chunks.

Writing: zarr itself produces the metadata documents (``zarr.json``) in a scratch memory store; the chunk
bytes (uncompressed ``bytes`` codec, little-endian) are cut directly from the source buffers and stored as
content-addressed blobs in parallel. Reading: a read-only zarr ``MemoryStore`` whose mapping fetches and
verifies each blob on access, so any zarr reader sees an ordinary v3 hierarchy.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from .blobs import BlobStore

if TYPE_CHECKING:
    import zarr

__all__ = [
    "ArraySpec",
    "array_spec",
    "array_metadata",
    "group_metadata",
    "iter_chunks",
    "open_group",
    "TYPED_KINDS",
    "CHUNK_TARGET",
]

CHUNK_TARGET = 4 * 1024 * 1024  # bytes per chunk: small enough that a 1% edit rewrites ~1-2% of an array
TYPED_KINDS = "biufcmM"


class ArraySpec:
    """How one numpy array is laid out as a zarr array: its stored dtype, shape and chunk shape."""

    __slots__ = ("shape", "dtype", "chunks", "raw")

    def __init__(self, shape: tuple[int, ...], dtype: np.dtype, chunks: tuple[int, ...], raw: bool) -> None:
        self.shape, self.dtype, self.chunks, self.raw = shape, dtype, chunks, raw


def _chunk_shape(shape: tuple[int, ...], itemsize: int, target: int | None = None) -> tuple[int, ...]:
    """Split leading axes first, so a chunk is a contiguous run of C-order rows where possible."""
    target = CHUNK_TARGET if target is None else target
    chunks = [max(1, s) for s in shape]
    for axis in range(len(shape)):
        inner = itemsize * math.prod(chunks[axis + 1 :])
        if inner * chunks[axis] <= target:
            break
        chunks[axis] = max(1, target // inner) if inner <= target else 1
    return tuple(chunks)


def array_spec(arr: np.ndarray) -> tuple[ArraySpec, np.ndarray]:
    """Return the layout and the (little-endian, C-contiguous) array whose bytes are stored."""
    dt = arr.dtype
    if dt.kind in TYPED_KINDS:
        stored = arr.astype(dt.newbyteorder("<"), copy=False) if dt.byteorder == ">" else arr
        stored = stored if stored.flags.c_contiguous else stored.copy(order="C")
        return ArraySpec(stored.shape, stored.dtype, _chunk_shape(stored.shape, stored.dtype.itemsize), False), stored
    contiguous = arr if arr.flags.c_contiguous else arr.copy(order="C")
    raw = contiguous.reshape(-1).view(np.uint8).reshape(arr.shape + (dt.itemsize,))
    return ArraySpec(raw.shape, raw.dtype, _chunk_shape(raw.shape, 1), True), raw


@lru_cache(maxsize=4096)
def _array_doc(shape: tuple[int, ...], dtype: str, chunks: tuple[int, ...]) -> bytes:
    import zarr
    from zarr.storage import MemoryStore

    store = MemoryStore()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        zarr.create_array(
            store=store,
            shape=shape,
            dtype=np.dtype(dtype),
            chunks=chunks,
            compressors=None,
            filters=None,
            write_data=False,
        )
    return store._store_dict["zarr.json"].to_bytes()


def array_metadata(spec: ArraySpec) -> bytes:
    return _array_doc(spec.shape, spec.dtype.str, spec.chunks)


def group_metadata(attributes: dict[str, Any]) -> bytes:
    import json

    doc = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), allow_nan=False).encode()


def iter_chunks(spec: ArraySpec, stored: np.ndarray) -> Iterator[tuple[str, memoryview]]:
    """Yield (chunk key relative to the array, chunk bytes) for every chunk; edge chunks are zero-padded."""
    shape, chunks = spec.shape, spec.chunks
    if len(shape) == 0:
        yield "c", stored.reshape(1).view(np.uint8).data
        return
    if any(s == 0 for s in shape):
        return
    grid = [math.ceil(s / c) for s, c in zip(shape, chunks)]
    contiguous_rows = chunks[1:] == shape[1:]
    for coords in np.ndindex(*grid):
        sl = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(coords, chunks, shape))
        block = stored[sl]
        if block.shape != chunks:
            padded = np.zeros(chunks, dtype=stored.dtype)
            padded[tuple(slice(0, n) for n in block.shape)] = block
            block = padded
        elif not contiguous_rows:
            block = np.ascontiguousarray(block)
        yield "c/" + "/".join(map(str, coords)), block.reshape(-1).view(np.uint8).data


class _BlobMapping(Mapping[str, Any]):
    """zarr key -> Buffer, fetched from the blob store and verified on access."""

    def __init__(self, entries: dict[str, str], blobs: BlobStore) -> None:
        from zarr.core.buffer import default_buffer_prototype

        self._entries, self._blobs = entries, blobs
        self._buffer = default_buffer_prototype().buffer

    def __getitem__(self, key: str) -> Any:
        cid = self._entries[key]
        return self._buffer.from_bytes(self._blobs.get(cid))

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


def open_group(entries: dict[str, str], blobs: BlobStore) -> zarr.Group:
    """Open a stored version's zarr hierarchy read-only."""
    import zarr
    from zarr.storage import MemoryStore

    # zarr types store_dict as a MutableMapping; a read-only store only ever reads it
    store = MemoryStore(store_dict=_BlobMapping(entries, blobs), read_only=True)  # type: ignore[arg-type]
    return zarr.open_group(store=store, mode="r")
