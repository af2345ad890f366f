"""Render command results as text or JSON for the terminal."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

__all__ = ["render_text", "to_json", "jsonable"]


def jsonable(result: Any) -> Any:
    if hasattr(result, "to_dict") and callable(result.to_dict) and not hasattr(result, "to_records"):
        return result.to_dict()
    if hasattr(result, "to_dict") and hasattr(result, "columns"):  # DataFrame
        return json.loads(result.to_json(orient="records", date_format="iso", default_handler=str))
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        return dataclasses.asdict(result)
    return result


def to_json(result: Any) -> str:
    return json.dumps(jsonable(result), indent=2, default=str, ensure_ascii=False)


def render_text(result: Any) -> str:
    if hasattr(result, "to_string") and hasattr(result, "columns"):
        return result.to_string(index=False) if len(result) else "(none)"
    return str(result) if not isinstance(result, str) else result
