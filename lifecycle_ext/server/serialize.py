"""Turn service results (view models, DataFrames, numpy scalars) into JSON-able data."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

__all__ = ["jsonable", "frame_records", "version_dict"]


def jsonable(obj: Any) -> Any:
    """Recursively convert ``obj`` to plain JSON data (NaN and NaT become null)."""
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, int):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [jsonable(v) for v in obj]
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict) and not _is_frame(obj):
        return jsonable(to_dict())
    if _is_frame(obj):
        return frame_records(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return jsonable({f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)})
    if hasattr(obj, "item") and callable(obj.item):  # numpy scalar
        return jsonable(obj.item())
    if hasattr(obj, "isoformat"):
        try:
            return obj.isoformat()
        except ValueError:  # NaT
            return None
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    return str(obj)


def _is_frame(obj: Any) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "to_dict")


def frame_records(df: Any) -> list[dict[str, Any]]:
    return [jsonable(r) for r in df.to_dict(orient="records")]


def version_dict(v: Any) -> dict[str, Any]:
    d = jsonable(v)
    d["asset"] = f"{d['kind']}:{d['name']}"
    return d
