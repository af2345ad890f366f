"""pandas DataFrames and Series as zarr arrays of Arrow buffers.

Each column becomes its Arrow buffers (validity bitmap, offsets, values; a categorical's codes and
categories), each stored as a 1-D uint8 zarr array whose 4 MiB chunks line up with rows for fixed-width
columns. Strings are an offsets array plus a bytes array (no per-object codec). The Arrow schema with its
pandas metadata restores index, column order and dtypes (categorical, string, tz-aware datetime, nullable).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..core.errors import UnsupportedType
from .payload import Payload, restore_array

__all__ = ["encode_frame", "decode_frame"]


def _buffers(p: Payload, path: str, arr: Any) -> dict[str, Any]:
    import pyarrow as pa

    if pa.types.is_nested(arr.type):
        raise UnsupportedType(
            f"DataFrame column values of Arrow type {arr.type} (lists/structs in cells) are "
            "not supported; store them as separate columns or as JSON"
        )
    if pa.types.is_dictionary(arr.type):
        return {
            "length": len(arr),
            "dict_indices": _buffers(p, f"{path}i", arr.indices),
            "dict_values": _buffers(p, f"{path}v", arr.dictionary),
        }
    bufs: list[dict[str, Any] | None] = []
    for j, b in enumerate(arr.buffers()):
        if b is None:
            bufs.append(None)
        else:
            bufs.append(p.add_array(f"{path}b{j}", np.frombuffer(b, dtype=np.uint8), element=_element(arr.type, j)))
    return {"length": len(arr), "null_count": arr.null_count, "offset": arr.offset, "buffers": bufs}


def _element(typ: Any, j: int) -> tuple[int, bool]:
    """(bytes per value, floating point?) of an Arrow array's buffer ``j``: 0 is the validity bitmap, 1 the
    values of fixed-width types or the offsets of strings/binaries, 2 string bytes (for compression only)."""
    import pyarrow as pa

    if j != 1:
        return 1, False
    if pa.types.is_large_string(typ) or pa.types.is_large_binary(typ):
        return 8, False
    if pa.types.is_string(typ) or pa.types.is_binary(typ):
        return 4, False
    try:
        bits = typ.bit_width
    except ValueError:
        return 1, False
    if bits % 8 or bits > 128:
        return 1, False
    return bits // 8 if bits <= 64 else 8, pa.types.is_floating(typ)


def _rebuild(group: Any, typ: Any, layout: dict[str, Any]) -> Any:
    import pyarrow as pa

    if "dict_indices" in layout:
        indices = _rebuild(group, typ.index_type, layout["dict_indices"])
        values = _rebuild(group, typ.value_type, layout["dict_values"])
        return pa.DictionaryArray.from_arrays(indices, values, ordered=typ.ordered)
    bufs = [None if b is None else pa.py_buffer(restore_array(group, b)) for b in layout["buffers"]]
    return pa.Array.from_buffers(typ, layout["length"], bufs, layout["null_count"], layout["offset"])


def encode_frame(obj: Any) -> Payload:
    import pandas as pd
    import pyarrow as pa

    is_series = isinstance(obj, pd.Series)
    p = Payload("series" if is_series else "dataframe")
    df = obj.to_frame(name="__series__") if is_series else obj
    if not df.columns.is_unique:
        raise UnsupportedType("DataFrame has duplicate column names; rename them before saving")
    cols = df.columns
    if isinstance(cols, pd.RangeIndex):
        p.attrs["columns_range"] = [cols.start, cols.stop, cols.step]
    elif not all(isinstance(c, str) for c in cols):
        raise UnsupportedType(
            "DataFrame column names must all be strings (or a RangeIndex) to round-trip "
            f"exactly; got {[c for c in cols if not isinstance(c, str)][:3]!r}"
        )
    if is_series:
        try:
            import json

            json.dumps(obj.name)
        except TypeError:
            raise UnsupportedType(f"Series name {obj.name!r} is not JSON-able") from None
        p.attrs["series_name"] = obj.name
    freq = getattr(df.index, "freq", None)
    if freq is not None:
        p.attrs["index_freq"] = freq.freqstr
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            table = pa.Table.from_pandas(df.set_axis([str(c) for c in cols], axis=1), preserve_index=None)
    except (pa.ArrowException, UserWarning, TypeError, ValueError) as exc:
        raise UnsupportedType(f"DataFrame cannot be stored without pickling: {exc}") from None
    p.add_array("arrow_schema", np.frombuffer(table.schema.serialize(), dtype=np.uint8))
    # a column in one chunk is used as it is: combine_chunks() would copy it (half a GB for the benchmark frame)
    p.attrs["columns"] = [
        _buffers(p, f"c{i}", col.chunk(0) if col.num_chunks == 1 else col.combine_chunks())
        for i, col in enumerate(table.columns)
    ]
    p.summary = {
        "rows": int(len(df)),
        "columns": [str(c) for c in cols][:200],
        "ncolumns": len(cols),
        "dtypes": {str(c): str(t) for c, t in list(df.dtypes.items())[:200]},
    }
    p.finish()
    return p


def decode_frame(group: Any, attrs: dict[str, Any]) -> Any:
    import pandas as pd
    import pyarrow as pa

    schema = pa.ipc.read_schema(pa.py_buffer(group["arrow_schema"][...]))
    arrays = [_rebuild(group, f.type, lay) for f, lay in zip(schema, attrs["columns"])]
    df = pa.Table.from_arrays(arrays, schema=schema).to_pandas()
    if "columns_range" in attrs:
        df.columns = pd.RangeIndex(*attrs["columns_range"])
    if "index_freq" in attrs:
        df.index.freq = attrs["index_freq"]
    if attrs["type"] == "series":
        s = df["__series__"]
        s.name = attrs.get("series_name")
        return s
    return df
