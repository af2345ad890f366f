"""The one serializer: service results (view models, DataFrames, numpy scalars) as JSON-able data.

Used by the CLI and ``%lifecycle`` (``--json``) and by the REST API, so a result has one JSON shape on every
surface. :func:`jsonable` converts any value; :func:`result_json` applies an action's named shape from the
catalogue (``Result.shape``) on top. Imports nothing heavy (DataFrames are recognised by duck typing).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable
from typing import Any

__all__ = ["jsonable", "frame_records", "version_dict", "result_json", "dumps", "SHAPES", "next_cursor"]


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
    if _is_frame(obj):
        return frame_records(obj)
    to_dict = getattr(obj, "to_dict", None)
    if callable(to_dict):
        return jsonable(to_dict())
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
    d: dict[str, Any] = jsonable(v)
    d["asset"] = f"{d['kind']}:{d['name']}"
    return d


# -- named result shapes (``Result.shape`` in the catalogue) ---------------------------------------------


def _version_record(result: Any, reg: Any, args: dict[str, Any]) -> dict[str, Any]:
    """A version's record, its asset and its deployment record (null when never deployed)."""
    from ..core.errors import NotFound

    out = version_dict(result)
    out["deployment"] = None
    if reg is not None:
        try:
            out["deployment"] = jsonable(reg.deployment(out["ref"]))
        except NotFound:  # never deployed: no record, not an error for this view
            pass
    return out


def _version_list(result: Any, reg: Any, args: dict[str, Any]) -> dict[str, Any]:
    """``{"asset", "versions"}``; each row's ``metric.X`` columns nested as ``metrics`` (absent ones left out)."""
    rows = []
    for r in frame_records(result):
        metrics = {k[len("metric.") :]: r.pop(k) for k in list(r) if k.startswith("metric.")}
        r["metrics"] = {k: v for k, v in metrics.items() if v is not None}
        rows.append(r)
    asset = rows[0]["ref"].split("@", 1)[0] if rows else args.get("name")
    return {"asset": asset, "versions": rows}


def _lineage(result: Any, reg: Any, args: dict[str, Any]) -> dict[str, Any]:
    from .views.lineage_layout import columns

    return {
        "root": result.root,
        "direction": result.direction,
        "nodes": jsonable(result.nodes),
        "edges": [list(e) for e in result.edges],
        "upstream": result.upstream,
        "downstream": result.downstream,
        # the layered layout the notebook's SVG uses: upstream columns left of the root, downstream right
        "columns": columns(result),
    }


SHAPES: dict[str, Callable[[Any, Any, dict[str, Any]], Any]] = {
    "version_record": _version_record,
    "version_list": _version_list,
    "lineage": _lineage,
}


def result_json(action: Any, result: Any, reg: Any = None, args: dict[str, Any] | None = None) -> Any:
    """``result`` of catalogue ``action`` as JSON data, in the action's shape (``reg`` for shapes that look
    something up, ``args`` the values the action was called with)."""
    shape = getattr(getattr(action, "result", None), "shape", None)
    if shape is not None:
        return SHAPES[shape](result, reg, args or {})
    return jsonable(result)


def next_cursor(result: Any) -> str | None:
    """The next page's cursor of a paged result (a view's ``next``, a DataFrame's ``attrs["next"]``), or None."""
    attrs = getattr(result, "attrs", None)
    if isinstance(attrs, dict):
        nxt = attrs.get("next")
    else:
        nxt = getattr(result, "next", None)
    return nxt if isinstance(nxt, str) else None


def dumps(data: Any) -> str:
    """JSON text for the terminal (indented, non-ASCII kept)."""
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)
