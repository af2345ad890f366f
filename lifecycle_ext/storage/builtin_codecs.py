"""The built-in codecs, listed once in :func:`builtin_codecs` (registered by :mod:`.codecs` on first use).

numpy arrays, files and directories (``pathlib.Path``), bytes, pandas DataFrames and Series, dicts of numpy
arrays (state dicts), fitted models of scikit-learn, PyTorch, XGBoost, LightGBM and ONNX (one module each in
:mod:`.models`) and, tried last, JSON-able values (label schemas, configs).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .codecs import FALLBACK_PRIORITY, Codec, unsupported
from .files import decode_path, encode_path
from .frames import decode_frame, encode_frame
from .payload import Payload, restore_array

__all__ = ["builtin_codecs"]


def builtin_codecs() -> list[Codec]:
    """Every built-in codec, in the order they are tried among equal priorities."""
    from .models import model_codecs

    return [
        Codec(
            "ndarray",
            "numpy.ndarray",
            _encode_ndarray,
            _decode_ndarray,
            types=(np.ndarray,),
            diff=_array_diff,
            schema_keys=("shape", "dtype"),
        ),
        Codec(
            "file",
            "pathlib.Path (file or directory)",
            encode_path,
            _decode_path,
            types=(Path,),
            accepts=lambda p: p.is_file(),
        ),
        Codec("directory", "pathlib.Path (file or directory)", encode_path, _decode_path, types=(Path,)),
        Codec("bytes", "bytes", _encode_bytes, _decode_bytes, types=(bytes, bytearray, memoryview)),
        Codec(
            "dataframe", "pandas.DataFrame", encode_frame, _decode_frame, types=("pandas.DataFrame",), diff=_frame_diff
        ),
        Codec("series", "pandas.Series", encode_frame, _decode_frame, types=("pandas.Series",)),
        Codec(
            "state_dict",
            "dict of numpy arrays (state dict)",
            _encode_state_dict,
            _decode_state_dict,
            types=(dict,),
            accepts=lambda d: bool(d) and all(isinstance(v, np.ndarray) for v in d.values()),
            diff=_mapping_diff,
        ),
        Codec(
            "json",
            "JSON-able dict/list/str/int/float/bool/None",
            _encode_json,
            _decode_json,
            accepts=lambda o: o is None or isinstance(o, (dict, list, str, int, float, bool)),
            priority=FALLBACK_PRIORITY,
            diff=_json_diff,
        ),
        *model_codecs(),  # fitted models in their frameworks' own formats (storage/models/)
    ]


# -- numpy arrays -------------------------------------------------------------------------------------
def _encode_ndarray(arr: np.ndarray) -> Payload:
    if arr.dtype.hasobject:
        raise unsupported(arr, "object dtype arrays would need pickling")
    p = Payload("ndarray")
    p.attrs["data"] = p.add_array("data", arr)
    p.summary = {"shape": list(arr.shape), "dtype": str(arr.dtype), "nbytes": int(arr.nbytes)}
    p.finish()
    return p


def _decode_ndarray(group: Any, attrs: dict[str, Any], dest: Path | None) -> np.ndarray:
    return restore_array(group, attrs["data"])


def _array_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape or a.dtype != b.dtype:
        return f"shape/dtype {a.shape} {a.dtype} -> {b.shape} {b.dtype}"
    if a.dtype.kind in "biufc":
        d = np.abs(a.astype(np.float64) - b.astype(np.float64)) if a.dtype.kind != "c" else np.abs(a - b)
        n = int(np.count_nonzero(d)) if d.size else 0
        return f"{n} of {a.size} values differ, max abs diff {float(np.nanmax(d)) if d.size else 0:.6g}"
    return f"{int(np.count_nonzero(a != b))} of {a.size} values differ"


# -- bytes ----------------------------------------------------------------------------------------------
def _encode_bytes(obj: bytes | bytearray | memoryview) -> Payload:
    p = Payload("bytes")
    data = np.frombuffer(bytes(obj), dtype=np.uint8)
    p.attrs["data"] = p.add_array("data", data)
    p.summary = {"size": len(data)}
    p.finish()
    return p


def _decode_bytes(group: Any, attrs: dict[str, Any], dest: Path | None) -> bytes:
    return restore_array(group, attrs["data"]).tobytes()


# -- files and directories ------------------------------------------------------------------------------
def _decode_path(group: Any, attrs: dict[str, Any], dest: Path | None) -> Path:
    return decode_path(group, attrs, dest if dest is not None else Path(tempfile.mkdtemp(prefix="lifecycle-")))


# -- pandas ---------------------------------------------------------------------------------------------
def _decode_frame(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    return decode_frame(group, attrs)


def _frame_diff(old: Any, new: Any) -> str:
    pd = sys.modules.get("pandas")
    if pd is None or not (isinstance(old, pd.DataFrame) and isinstance(new, pd.DataFrame)):
        return f"type {type(old).__name__} -> {type(new).__name__}"
    parts = []
    if old.shape != new.shape:
        parts.append(f"shape {old.shape} -> {new.shape}")
    cols_o, cols_n = list(map(str, old.columns)), list(map(str, new.columns))
    if cols_o != cols_n:
        parts.append(f"columns removed {sorted(set(cols_o) - set(cols_n))} added {sorted(set(cols_n) - set(cols_o))}")
    common = [c for c in old.columns if c in new.columns]
    if old.shape[0] == new.shape[0] and common:
        o, n = old[common].reset_index(drop=True), new[common].reset_index(drop=True)
        neq = ~((o == n) | (o.isna() & n.isna()))
        parts.append(
            f"{int(neq.any(axis=1).sum())} rows differ in columns {[str(c) for c in common if neq[c].any()][:10]}"
        )
    return "; ".join(parts) or "index or dtypes differ"


# -- state dicts ----------------------------------------------------------------------------------------
def _encode_state_dict(d: dict[Any, np.ndarray]) -> Payload:
    p = Payload("state_dict")
    items = []
    for i, (k, v) in enumerate(d.items()):
        if not isinstance(k, str):
            raise unsupported(d, f"state-dict key {k!r} is not a string")
        if v.dtype.hasobject:
            raise unsupported(v, f"entry {k!r} has object dtype")
        items.append([k, p.add_array(f"a{i}", v)])
    p.attrs["items"] = items
    p.summary = {"keys": len(d), "nbytes": int(sum(v.nbytes for v in d.values()))}
    p.finish()
    return p


def _decode_state_dict(group: Any, attrs: dict[str, Any], dest: Path | None) -> dict[str, np.ndarray]:
    return {k: restore_array(group, info) for k, info in attrs["items"]}


def _mapping_diff(old: dict[Any, Any], new: dict[Any, Any]) -> str:
    if set(old) != set(new):
        return f"keys removed {sorted(set(old) - set(new))[:10]} added {sorted(set(new) - set(old))[:10]}"
    diffs = []
    for k in old:
        if isinstance(old[k], np.ndarray) and isinstance(new[k], np.ndarray):
            if not np.array_equal(old[k], new[k]):
                diffs.append(f"{k}: {_array_diff(old[k], new[k])}")
        elif old[k] != new[k]:
            diffs.append(f"{k}: value differs")
    more = f"; ... {len(diffs) - 5} more" if len(diffs) > 5 else ""
    return "; ".join(diffs[:5]) + more or "same values, different layout or dtypes"


# -- JSON-able values -----------------------------------------------------------------------------------
def _encode_json(obj: Any) -> Payload:
    try:
        text = json.dumps(obj, sort_keys=False, ensure_ascii=False, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise unsupported(obj, f"not JSON-able: {exc}") from None
    if json.loads(text) != obj and obj == obj:
        raise unsupported(obj, "it would not round-trip exactly through JSON (tuples, non-string keys?)")
    p = Payload("json")
    data = np.frombuffer(text.encode(), dtype=np.uint8)
    p.attrs["data"] = p.add_array("json", data)
    p.summary = {"json_type": type(obj).__name__, "size": len(data)}
    if isinstance(obj, dict):
        p.summary["keys"] = len(obj)
    p.finish()
    return p


def _decode_json(group: Any, attrs: dict[str, Any], dest: Path | None) -> Any:
    return json.loads(restore_array(group, attrs["data"]).tobytes().decode())


def _json_diff(old: Any, new: Any) -> str:
    if isinstance(old, dict) and isinstance(new, dict):
        return _mapping_diff(old, new)
    if type(old) is not type(new):
        return f"type {type(old).__name__} -> {type(new).__name__}"
    return "values differ"
