"""Direct, parallel reads of a stored version's zarr arrays (the load path).

The layout is the ordinary zarr v3 hierarchy :func:`.zarrio.open_group` exposes; this reader only skips
zarr's per-chunk machinery for the uncompressed ``bytes`` codec we write: it fetches every chunk of an array
in parallel from the blob store (each verified against its content id) and copies it into one preallocated
array. ``reg.open_zarr`` remains the way to read a version with zarr itself.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import numpy as np

from .blobs import BlobStore

__all__ = ["DirectGroup"]


@lru_cache(maxsize=1024)
def _native_dtype(doc: bytes) -> tuple[np.dtype, Any]:
    from zarr.core.metadata.v3 import ArrayV3Metadata

    meta = ArrayV3Metadata.from_dict(json.loads(doc))
    return meta.dtype.to_native_dtype(), meta.fill_value


class DirectArray:
    def __init__(self, doc: bytes, path: str, group: DirectGroup) -> None:
        d = json.loads(doc)
        codecs = [c["name"] for c in d["codecs"]]
        if codecs != ["bytes"] or d["chunk_key_encoding"]["name"] != "default":
            raise ValueError(f"{path}: layout {codecs} is not the plain one this reader handles")
        self.path, self.group = path, group
        self.shape = tuple(d["shape"])
        self.chunks = tuple(d["chunk_grid"]["configuration"]["chunk_shape"])
        self.sep = d["chunk_key_encoding"].get("configuration", {}).get("separator", "/")
        self.dtype, self.fill = _native_dtype(doc)
        self.little = d["codecs"][0].get("configuration", {}).get("endian", "little") == "little"

    def __getitem__(self, item: Any) -> np.ndarray:
        if item is not Ellipsis:
            raise TypeError("DirectArray supports only [...]")
        dt = self.dtype.newbyteorder("<" if self.little else ">") if self.dtype.itemsize > 1 else self.dtype
        out = np.empty(self.shape, dtype=dt)
        if out.size == 0:
            return out
        if not self.shape:
            out[...] = self._chunk("c", ())
            return out
        grid = [math.ceil(s / c) for s, c in zip(self.shape, self.chunks)]
        coords = list(np.ndindex(*grid))

        def fill(coord: tuple[int, ...]) -> None:
            key = "c" + self.sep + self.sep.join(map(str, coord))
            sl = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(coord, self.chunks, self.shape))
            dest = out[sl]
            cid = self.group.entries.get(f"{self.path}/{key}")
            if cid is not None and dest.shape == self.chunks and dest.flags.c_contiguous:
                self.group.blobs.get_into(cid, dest.reshape(-1).view(np.uint8).data)  # straight into place
                return
            block = self._chunk(key, self.chunks, dt)
            out[sl] = block[tuple(slice(0, x.stop - x.start) for x in sl)]

        if len(coords) == 1:
            fill(coords[0])
        else:
            list(self.group.blobs.pool.map(fill, coords))
        return out

    def _chunk(self, key: str, shape: tuple[int, ...], dt: np.dtype | None = None) -> np.ndarray:
        dt = dt or self.dtype
        cid = self.group.entries.get(f"{self.path}/{key}")
        if cid is None:  # never written: zarr's fill value
            return np.full(shape, self.fill, dtype=dt)
        return np.frombuffer(self.group.blobs.get_view(cid), dtype=dt).reshape(shape)  # copied into place


class DirectGroup:
    """``group[path][...]`` over a version's manifest, like the zarr group, but read in parallel."""

    def __init__(self, entries: dict[str, str], blobs: BlobStore) -> None:
        self.entries, self.blobs = entries, blobs
        self.attrs = json.loads(blobs.get(entries["zarr.json"]))["attributes"]

    def __getitem__(self, path: str) -> DirectArray:
        cid = self.entries.get(f"{path}/zarr.json")
        if cid is None:
            raise KeyError(path)
        return DirectArray(self.blobs.get_cached(cid), path, self)
