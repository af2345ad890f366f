"""Row-range access to a DataFrame laid out by :mod:`.frames`, without loading the whole frame.

A *frame source* is either a stored version (manifest entries + blob store) or a :class:`Payload` that has
not been written yet (a save hook compares the new object against its parent before anything is stored).
Both expose the same three things: the chunk content ids of every buffer, the chunk bytes on demand, and the
Arrow schema with the per-column buffer layout. From those, :func:`read_rows` rebuilds rows ``[lo, hi)`` of
one column from only the chunks that cover them, and :func:`chunk_ids` lists the chunks that cover them so
two versions can be compared by content id without reading anything.
"""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any

from .blobs import BlobStore, content_id
from .zarrio import CHUNK_TARGET

__all__ = [
    "FrameSource",
    "StoredFrame",
    "PayloadFrame",
    "read_rows",
    "chunk_ids",
    "chunk_keys",
    "row_unit",
    "to_pandas",
]


class FrameSource:
    """Common reading logic; subclasses provide ``_cid``, ``_fetch``, ``_doc`` and ``attrs``."""

    attrs: dict[str, Any]

    def __init__(self) -> None:
        self._cache: OrderedDict[str, bytes | memoryview] = OrderedDict()
        self._lengths: dict[str, tuple[int, int]] = {}
        self._schema: Any = None
        self._pending: dict[str, Any] = {}

    # subclass hooks ----------------------------------------------------------------------------
    def _cid(self, key: str) -> str | None:
        raise NotImplementedError

    def _fetch(self, key: str) -> bytes | memoryview:
        raise NotImplementedError

    def _doc(self, key: str) -> bytes:
        raise NotImplementedError

    # shared ------------------------------------------------------------------------------------
    @property
    def schema(self) -> Any:
        if self._schema is None:
            import pyarrow as pa

            self._schema = pa.ipc.read_schema(pa.py_buffer(self.read_bytes("arrow_schema")))
        return self._schema

    @property
    def nrows(self) -> int:
        cols = self.attrs.get("columns") or []
        return int(_length(cols[0])) if cols else 0

    def geometry(self, path: str) -> tuple[int, int]:
        """(length in bytes, chunk length in bytes) of the uint8 array stored at ``path``."""
        if path not in self._lengths:
            doc = json.loads(self._doc(f"{path}/zarr.json"))
            n = int(doc["shape"][0])
            chunk = int(doc["chunk_grid"]["configuration"]["chunk_shape"][0])
            self._lengths[path] = (n, chunk)
        return self._lengths[path]

    def cids(self, path: str, lo: int, hi: int) -> list[str | None]:
        """Content ids of the chunks covering bytes ``[lo, hi)`` of the array at ``path``."""
        n, c = self.geometry(path)
        hi = min(hi, n)
        if hi <= lo:
            return []
        return [self._cid(f"{path}/c/{j}") for j in range(lo // c, (hi - 1) // c + 1)]

    def prefetch(self, keys: list[str]) -> None:
        """Start fetching (and verifying) these chunks in the background; :meth:`_chunk` collects them."""
        pool = self._pool()
        if pool is None:
            return
        for key in keys:
            if key not in self._cache and key not in self._pending:
                self._pending[key] = pool.submit(self._fetch, key)

    def _chunk(self, key: str) -> bytes | memoryview:
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        pending = self._pending.pop(key, None)
        data = pending.result() if pending is not None else self._fetch(key)
        self._cache[key] = data
        if len(self._cache) > 8:
            self._cache.popitem(last=False)
        return data

    def read_bytes(self, path: str, lo: int = 0, hi: int | None = None) -> bytes | memoryview:
        """Bytes ``[lo, hi)`` of the array at ``path`` (a zero-copy view when they lie in one chunk)."""
        n, c = self.geometry(path)
        hi = n if hi is None else min(hi, n)
        if hi <= lo:
            return b""
        first, last = lo // c, (hi - 1) // c
        if first == last:
            return memoryview(self._chunk(f"{path}/c/{first}"))[lo - first * c : hi - first * c]
        import numpy as np

        out = np.empty(hi - lo, dtype=np.uint8)
        whole = []
        for j in range(first, last + 1):
            a, b = max(lo - j * c, 0), min(hi - j * c, c)
            dst = out[j * c + a - lo : j * c + b - lo]
            key = f"{path}/c/{j}"
            if b - a == c and key not in self._cache:
                whole.append((key, dst))
            else:  # a partly needed edge chunk: through the cache, its neighbour range may want it next
                dst[:] = np.frombuffer(self._chunk(key), dtype=np.uint8)[a:b]
        pool = self._pool()
        if pool is None or len(whole) < 2:
            for key, dst in whole:
                self._fetch_into(key, dst.data)
        else:  # whole chunks straight into place, in parallel (reads and hashing release the GIL)
            list(pool.map(lambda job: self._fetch_into(job[0], job[1].data), whole))
        return out.data

    def _pool(self) -> Any:
        return None

    def _fetch_into(self, key: str, out: memoryview) -> None:
        out[:] = self._fetch(key)


class StoredFrame(FrameSource):
    """A stored dataframe version: chunks are read from the blob store and verified."""

    def __init__(self, entries: dict[str, str], blobs: BlobStore) -> None:
        super().__init__()
        self.entries, self.blobs = entries, blobs
        root = json.loads(blobs.get_cached(entries["zarr.json"]))
        self.attrs = root["attributes"]["lifecycle"]

    def _cid(self, key: str) -> str | None:
        return self.entries.get(key)

    def _fetch(self, key: str) -> bytes | memoryview:
        return self.blobs.get_view(self.entries[key])

    def _fetch_into(self, key: str, out: memoryview) -> None:
        self.blobs.get_into(self.entries[key], out)

    def _pool(self) -> Any:
        return self.blobs.pool

    def _doc(self, key: str) -> bytes:
        return self.blobs.get_cached(self.entries[key])


class PayloadFrame(FrameSource):
    """A dataframe payload not yet written; content ids are computed on first use."""

    def __init__(self, payload: Any) -> None:
        super().__init__()
        self.chunks: dict[str, memoryview] = dict(payload.chunks)
        self.docs: dict[str, bytes] = payload.docs
        self.attrs = {"type": payload.object_type, **payload.attrs}
        self._ids: dict[str, str] = {}

    def _cid(self, key: str) -> str | None:
        if key not in self.chunks:
            return None
        if key not in self._ids:
            self._ids[key] = content_id(self.chunks[key])
        return self._ids[key]

    def _fetch(self, key: str) -> memoryview:
        return self.chunks[key]

    def _doc(self, key: str) -> bytes:
        return self.docs[key]


def _length(layout: dict[str, Any]) -> int:
    return int(layout["length"])


def row_unit(src: FrameSource, typ: Any, lay: dict[str, Any]) -> int:
    """Rows per chunk of a column's main row-aligned buffer (comparison blocks follow the key's chunks)."""
    import pyarrow as pa

    if "dict_indices" in lay:
        return row_unit(src, typ.index_type, lay["dict_indices"])
    try:
        bits = typ.bit_width
        path = lay["buffers"][1]["path"] if lay["buffers"][1] else None
    except (ValueError, IndexError, TypeError):
        bits = 64 if (pa.types.is_large_string(typ) or pa.types.is_large_binary(typ)) else 32
        path = lay["buffers"][1]["path"] if len(lay["buffers"]) > 1 and lay["buffers"][1] else None
    chunk = src.geometry(path)[1] if path else CHUNK_TARGET
    return max(8, int(chunk) * 8 // max(int(bits), 1) // 8 * 8)


def _is_var(typ: Any) -> bool:
    import pyarrow as pa

    return any(
        f(typ) for f in (pa.types.is_string, pa.types.is_large_string, pa.types.is_binary, pa.types.is_large_binary)
    )


def _var_bounds(src: FrameSource, typ: Any, lay: dict[str, Any], first: int, last: int) -> tuple[Any, int, int]:
    """Offsets for elements ``[first, last]`` and the byte range of their values."""
    import numpy as np
    import pyarrow as pa

    width = 8 if (pa.types.is_large_string(typ) or pa.types.is_large_binary(typ)) else 4
    raw = src.read_bytes(lay["buffers"][1]["path"], first * width, (last + 1) * width)
    offs = np.frombuffer(raw, dtype=np.int64 if width == 8 else np.int32)
    return offs, int(offs[0]), int(offs[-1])


def chunk_ids(src: FrameSource, typ: Any, lay: dict[str, Any], lo: int, hi: int) -> list[Any] | None:
    """Content ids of every chunk that rows ``[lo, hi)`` of this column depend on (None: cannot tell)."""
    import pyarrow as pa

    if "dict_indices" in lay:
        vals = lay["dict_values"]
        inner = chunk_ids(src, typ.value_type, vals, 0, _length(vals))
        idx = chunk_ids(src, typ.index_type, lay["dict_indices"], lo, hi)
        return None if inner is None or idx is None else ["dict", *inner, "idx", *idx]
    if lay.get("offset", 0) != 0:
        return None
    bufs = lay["buffers"]
    out: list[Any] = []
    if bufs and bufs[0] is not None:
        out += ["valid", *src.cids(bufs[0]["path"], lo // 8, (hi + 7) // 8)]
    if pa.types.is_null(typ):
        return out
    if _is_var(typ):
        offs, a, b = _var_bounds(src, typ, lay, lo, hi)
        return out + ["offs", offs.tobytes(), "data", *src.cids(bufs[2]["path"], a, b)]
    bits = typ.bit_width
    return out + ["data", *src.cids(bufs[1]["path"], lo * bits // 8, (hi * bits + 7) // 8)]


def chunk_keys(src: FrameSource, typ: Any, lay: dict[str, Any], lo: int, hi: int) -> list[str]:
    """Storage keys of the chunks rows ``[lo, hi)`` of a fixed-width column are read from (for
    :meth:`FrameSource.prefetch`); empty for variable-width columns, whose byte ranges need their offsets."""
    if "dict_indices" in lay:
        return chunk_keys(src, typ.index_type, lay["dict_indices"], lo, hi)
    if lay.get("offset", 0) != 0 or _is_var(typ) or len(lay["buffers"]) < 2 or lay["buffers"][1] is None:
        return []
    bits = typ.bit_width
    spans = [(lay["buffers"][1]["path"], lo * bits // 8, (hi * bits + 7) // 8)]
    if lay["buffers"][0] is not None and lay["null_count"]:
        spans.append((lay["buffers"][0]["path"], lo // 8, (hi + 7) // 8))
    keys = []
    for path, a, b in spans:
        n, c = src.geometry(path)
        b = min(b, n)
        keys += [f"{path}/c/{j}" for j in range(a // c, (b - 1) // c + 1)] if b > a else []
    return keys


def read_rows(src: FrameSource, typ: Any, lay: dict[str, Any], lo: int, hi: int) -> Any:
    """Rows ``[lo, hi)`` of one column as a ``pyarrow.Array``, from the chunks covering them only."""
    import pyarrow as pa

    if "dict_indices" in lay:
        vals = lay["dict_values"]
        idx = read_rows(src, typ.index_type, lay["dict_indices"], lo, hi)
        values = read_rows(src, typ.value_type, vals, 0, _length(vals))
        return _dictionary(idx, values, typ.ordered)
    n = hi - lo
    if pa.types.is_null(typ):
        return pa.nulls(n)
    start = lay.get("offset", 0) + lo
    base, shift = start - start % 8, start % 8
    end = start + n
    bufs = lay["buffers"]
    valid = None
    if bufs[0] is not None and lay["null_count"]:
        valid = pa.py_buffer(src.read_bytes(bufs[0]["path"], base // 8, (end + 7) // 8))
    if _is_var(typ):
        offs, a, b = _var_bounds(src, typ, lay, base, end)
        rebased = (offs - offs.dtype.type(a)).astype(offs.dtype)
        data = src.read_bytes(bufs[2]["path"], a, b)
        arr = pa.Array.from_buffers(typ, n, [valid, pa.py_buffer(rebased.tobytes()), pa.py_buffer(data)], offset=shift)
    else:
        bits = typ.bit_width
        data = src.read_bytes(bufs[1]["path"], base * bits // 8, math.ceil(end * bits / 8))
        arr = pa.Array.from_buffers(typ, n, [valid, pa.py_buffer(data)], offset=shift)
    return arr


def _dictionary(idx: Any, values: Any, ordered: bool) -> Any:
    """A dictionary array whose codes are checked to lie within the dictionary (numpy min/max when there are
    no nulls: several times faster than Arrow's own validation, which stays for codes with nulls)."""
    import numpy as np
    import pyarrow as pa

    if idx.null_count or not len(idx):
        return pa.DictionaryArray.from_arrays(idx, values, ordered=ordered)
    codes = idx.to_numpy()
    lo, hi = int(np.min(codes)), int(np.max(codes))
    if lo < 0 or hi >= len(values):
        from ..core.errors import IntegrityError

        raise IntegrityError(f"categorical codes {lo}..{hi} lie outside the {len(values)} stored categories")
    return pa.DictionaryArray.from_arrays(idx, values, ordered=ordered, safe=False)


def to_pandas(schema: Any, arrays: dict[str, Any]) -> Any:
    """Arrays of some of ``schema``'s columns as a DataFrame with the dtypes pandas saved them with."""
    import pyarrow as pa

    meta = schema.pandas_metadata or {}
    names = list(arrays)
    cols = [c for c in meta.get("columns", []) if c.get("field_name") in arrays]
    sub = {**meta, "columns": cols, "index_columns": []}
    fields = [schema.field(n) for n in names]
    sch = pa.schema(fields, metadata={b"pandas": json.dumps(sub).encode()})
    return pa.Table.from_arrays([arrays[n] for n in names], schema=sch).to_pandas()
