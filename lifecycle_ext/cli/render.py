"""Render command results as text for the terminal (JSON goes through :mod:`lifecycle_ext.registry.serialize`)."""

from __future__ import annotations

from typing import Any

__all__ = ["render_text", "to_json"]


def to_json(result: Any) -> str:
    """``result`` as JSON text through the one serializer (no action shape: see ``Command.to_json``)."""
    from ..registry.serialize import dumps, jsonable

    return dumps(jsonable(result))


def render_text(result: Any) -> str:
    if hasattr(result, "to_string") and hasattr(result, "columns"):
        return result.to_string(index=False) if len(result) else "(none)"
    return str(result) if not isinstance(result, str) else result
