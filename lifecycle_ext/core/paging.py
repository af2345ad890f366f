"""Pages of a sorted list: ``limit``, an opaque ``cursor`` (where the previous page ended) and ``since``.

Pure. A cursor is the sort key of the last item served, as URL-safe base64 of its JSON, so it survives query
strings and shells unquoted; a page holds the items whose key is greater. ``since`` is an event number (what
came after it) or an ISO-8601 date/time (what happened at or after it).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from .errors import UsageInputError

__all__ = ["encode_cursor", "decode_cursor", "Since", "parse_since", "take_page", "MAX_LIMIT"]

T = TypeVar("T")

MAX_LIMIT = 10_000


def encode_cursor(key: Any) -> str:
    raw = json.dumps(key, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Any:
    """The key inside ``cursor``; :class:`UsageInputError` when it is not one this registry gave out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise UsageInputError(f"cursor {cursor!r} is not a cursor from a previous page") from None


@dataclass(frozen=True)
class Since:
    """``seq`` (after this event number) or ``at`` (at or after this ISO-8601 time), one of them."""

    seq: int | None = None
    at: str | None = None

    def admits(self, seq: int | None, at: str | None) -> bool:
        if self.seq is not None:
            return seq is not None and seq > self.seq
        return at is not None and self.at is not None and at >= self.at


def parse_since(since: str | int | None) -> Since | None:
    """``"1234"`` -> events after #1234; ``"2026-11-30"`` / ``"2026-11-30T12:00:00+00:00"`` -> at or after."""
    if since is None or since == "":
        return None
    if isinstance(since, int) and not isinstance(since, bool):
        return Since(seq=since)
    text = str(since).strip()
    if text.lstrip("-").isdigit() and len(text) < 8:
        return Since(seq=int(text))
    from datetime import datetime

    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise UsageInputError(
            f"since must be an event number or an ISO-8601 date/time (2026-11-30T12:00), not {since!r}"
        ) from None
    return Since(at=text)


def take_page(
    items: Iterable[T], key: Callable[[T], Any], *, limit: int | None, cursor: str | None
) -> tuple[list[T], str | None]:
    """The items (already sorted by ``key``) after ``cursor``, at most ``limit`` of them, and the cursor of the
    next page (None when this is the last). ``items`` may be a generator: it is read only as far as needed."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT):
        raise UsageInputError(f"limit must be an integer from 1 to {MAX_LIMIT}, not {limit!r}")
    after = decode_cursor(cursor) if cursor else None
    out: list[T] = []
    for item in items:
        k = key(item)
        if after is not None and not _greater(k, after):
            continue
        if limit is not None and len(out) == limit:
            return out, encode_cursor(key(out[-1]))
        out.append(item)
    return out, None


def _greater(k: Any, after: Any) -> bool:
    try:
        return bool(k > (tuple(after) if isinstance(k, tuple) and isinstance(after, list) else after))
    except TypeError:
        raise UsageInputError("cursor does not belong to this list") from None
