"""Encoders and decoders for every supported object type. No pickling, ever.

Supported: numpy arrays, pandas DataFrames and Series, JSON-able values, bytes, files and directories
(``pathlib.Path``) and dicts of numpy arrays (state dicts). Anything else raises :class:`UnsupportedType`.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import UnsupportedType
from .payload import Payload, restore_array

__all__ = ["encode", "decode", "SUPPORTED"]

SUPPORTED = ("numpy.ndarray", "pandas.DataFrame", "pandas.Series", "JSON-able dict/list/str/int/float/bool/None",
             "bytes", "pathlib.Path (file or directory)", "dict of numpy arrays (state dict)")


def _unsupported(obj: object, why: str = "") -> UnsupportedType:
    t = type(obj)
    name = f"{t.__module__}.{t.__qualname__}" if t.__module__ != "builtins" else t.__qualname__
    extra = f" ({why})" if why else ""
    return UnsupportedType(f"cannot store an object of type {name}{extra}; supported: {'; '.join(SUPPORTED)}. "
                           "Objects are never pickled: convert it to one of these first.")


def encode(obj: Any) -> Payload:
    if isinstance(obj, np.ndarray):
        return _encode_ndarray(obj)
    if isinstance(obj, Path):
        from .files import encode_path
        return encode_path(obj)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        p = Payload("bytes")
        data = np.frombuffer(bytes(obj), dtype=np.uint8)
        p.attrs["data"] = p.add_array("data", data)
        p.summary = {"size": len(data)}
        p.finish()
        return p
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(obj, (pd.DataFrame, pd.Series)):
        from .frames import encode_frame
        return encode_frame(obj)
    if isinstance(obj, dict) and obj and all(isinstance(v, np.ndarray) for v in obj.values()):
        return _encode_state_dict(obj)
    if obj is None or isinstance(obj, (dict, list, str, int, float, bool)):
        return _encode_json(obj)
    raise _unsupported(obj)


def _encode_ndarray(arr: np.ndarray) -> Payload:
    if arr.dtype.hasobject:
        raise _unsupported(arr, "object dtype arrays would need pickling")
    p = Payload("ndarray")
    p.attrs["data"] = p.add_array("data", arr)
    p.summary = {"shape": list(arr.shape), "dtype": str(arr.dtype), "nbytes": int(arr.nbytes)}
    p.finish()
    return p


def _encode_state_dict(d: dict[str, np.ndarray]) -> Payload:
    p = Payload("state_dict")
    items = []
    for i, (k, v) in enumerate(d.items()):
        if not isinstance(k, str):
            raise _unsupported(d, f"state-dict key {k!r} is not a string")
        if v.dtype.hasobject:
            raise _unsupported(v, f"entry {k!r} has object dtype")
        items.append([k, p.add_array(f"a{i}", v)])
    p.attrs["items"] = items
    p.summary = {"keys": len(d), "nbytes": int(sum(v.nbytes for v in d.values()))}
    p.finish()
    return p


def _encode_json(obj: Any) -> Payload:
    try:
        text = json.dumps(obj, sort_keys=False, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise _unsupported(obj, f"not JSON-able: {exc}") from None
    if json.loads(text) != obj and obj == obj:
        raise _unsupported(obj, "it would not round-trip exactly through JSON (tuples, non-string keys?)")
    p = Payload("json")
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    p.attrs["data"] = p.add_array("json", data)
    p.summary = {"json_type": type(obj).__name__, "size": len(data)}
    if isinstance(obj, dict):
        p.summary["keys"] = len(obj)
    p.finish()
    return p


def decode(group: Any, attrs: dict[str, Any], dest: str | os.PathLike[str] | None = None) -> Any:
    t = attrs["type"]
    if t == "ndarray":
        return restore_array(group, attrs["data"])
    if t == "bytes":
        return restore_array(group, attrs["data"]).tobytes()
    if t == "json":
        return json.loads(restore_array(group, attrs["data"]).tobytes().decode())
    if t == "state_dict":
        return {k: restore_array(group, info) for k, info in attrs["items"]}
    if t in ("dataframe", "series"):
        from .frames import decode_frame
        return decode_frame(group, attrs)
    if t in ("file", "directory"):
        from .files import decode_path
        target = Path(dest) if dest is not None else Path(tempfile.mkdtemp(prefix="lifecycle-"))
        return decode_path(group, attrs, target)
    raise UnsupportedType(f"stored object type {t!r} is not known to this version of lifecycle_ext; upgrade it")


def file_mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
