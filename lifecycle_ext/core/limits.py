"""Size and nesting limits on what an event may carry (documented in docs/security.md, "Limits").

Everything an event holds is stored forever and replayed on every open, so free text and metadata are bounded:
a reason, summary, note or known-limitations text is at most :data:`MAX_TEXT` characters, ``metadata``,
``params`` and ``metrics`` at most :data:`MAX_METADATA` bytes of JSON each, a whole event at most
:data:`MAX_EVENT` bytes, and nothing nests deeper than :data:`MAX_DEPTH` levels. A breach is a
:class:`UsageInputError` naming the field, raised before anything is stored.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import UsageInputError

__all__ = ["MAX_TEXT", "MAX_METADATA", "MAX_EVENT", "MAX_DEPTH", "TEXT_KEYS", "check_event_data", "nesting_depth"]

MAX_TEXT = 10_000
MAX_METADATA = 64 * 1024
MAX_EVENT = 1024 * 1024
MAX_DEPTH = 32
#: keys whose string (or list of strings) values are free text bounded by MAX_TEXT, wherever they appear
TEXT_KEYS = frozenset({"reason", "summary", "known_limitations", "lessons", "criteria_changes", "notes", "note"})
_SIZED_KEYS = ("metadata", "params", "metrics")


def nesting_depth(obj: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``obj`` nests dicts and lists (iteratively; stops counting once past ``limit``)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list | tuple):
            deepest = max(deepest, depth)
            if depth > limit:
                return depth
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)
    return deepest


def _text_problem(key: str, value: Any) -> str | None:
    texts = (
        [value]
        if isinstance(value, str)
        else [v for v in value if isinstance(v, str)]
        if isinstance(value, list | tuple)
        else []
    )
    for t in texts:
        if len(t) > MAX_TEXT:
            return f"{key} is {len(t):,} characters long; the limit is {MAX_TEXT:,} (see docs/security.md, Limits)"
    return None


def check_event_data(etype: str, data: dict[str, Any]) -> None:
    """Raise :class:`UsageInputError` naming the first field of ``data`` over a limit."""
    depth = nesting_depth(data)
    if depth > MAX_DEPTH:
        raise UsageInputError(f"{etype}: data nests more than {MAX_DEPTH} levels deep; the limit is {MAX_DEPTH}")
    stack: list[Any] = [data]
    while stack:
        value = stack.pop()
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list | tuple) else ()
        )
        for k, v in items:
            if isinstance(k, str) and k in TEXT_KEYS and (why := _text_problem(k, v)) is not None:
                raise UsageInputError(why)
            if isinstance(v, dict | list | tuple):
                stack.append(v)
    for key in _SIZED_KEYS:
        if key in data:
            size = len(json.dumps(data[key], ensure_ascii=False, default=str).encode())
            if size > MAX_METADATA:
                raise UsageInputError(
                    f"{key} is {size:,} bytes of JSON; the limit is {MAX_METADATA:,} (store large content as a "
                    "version, see docs/security.md, Limits)"
                )
    size = len(json.dumps(data, ensure_ascii=False, default=str).encode())
    if size > MAX_EVENT:
        raise UsageInputError(f"{etype}: the event is {size:,} bytes; the limit is {MAX_EVENT:,}")
