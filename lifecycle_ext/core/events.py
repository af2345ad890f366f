"""Events: the append-only, hash-chained record of every change of registry state.

An event is a JSON object ``{"seq", "prev", "at", "actor", "type", "data", "hash"}``. ``hash`` is the
SHA-256 of the event's canonical JSON without the ``hash`` field; ``prev`` is the hash of the event before it
(``GENESIS`` for the first). Event types are past-tense names; each has a frozen dataclass in
:mod:`.event_types` (``VersionCreated``, ``VersionPromoted``, ...) whose ``to_data()`` is its ``data``, documented
in ``lifecycle_ext/schemas/event.schema.json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import IntegrityError
from .event_types import EVENT_CLASSES, EventData

__all__ = [
    "GENESIS",
    "canonical",
    "event_hash",
    "make_event",
    "check_event",
    "EVENT_TYPES",
    "EventData",
    "Spec",
    "spec_of",
]

GENESIS = "0" * 64

#: every event type there is (the keys of :data:`.event_types.EVENT_CLASSES`)
EVENT_TYPES: frozenset[str] = frozenset(EVENT_CLASSES)

#: what an append's ``build(state)`` may return: a typed event, or ``(type, data)`` as before typed events
Spec = EventData | tuple[str, dict[str, Any]]


def spec_of(spec: Spec) -> tuple[str, dict[str, Any]]:
    """``(type, data)`` of a typed event or of a ``(type, data)`` pair (the storage edge calls this)."""
    if isinstance(spec, EventData):
        return spec.TYPE, spec.to_data()
    etype, data = spec
    return etype, data


def canonical(obj: Any) -> bytes:
    """The canonical JSON encoding used for hashing (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    """SHA-256 of the event without ``hash`` and ``signature`` (the signature signs this hash)."""
    body = {k: v for k, v in event.items() if k not in ("hash", "signature")}
    return hashlib.sha256(canonical(body)).hexdigest()


def make_event(seq: int, prev: str, type: str, actor: str, at: str, data: dict[str, Any]) -> dict[str, Any]:
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    event = {"seq": seq, "prev": prev, "at": at, "actor": actor, "type": type, "data": data}
    event["hash"] = event_hash(event)
    return event


def check_event(event: dict[str, Any], seq: int, prev: str) -> None:
    """Raise :class:`IntegrityError` unless ``event`` is intact and follows ``prev`` at position ``seq``."""
    if event.get("seq") != seq:
        raise IntegrityError(f"event {seq}: stored sequence number is {event.get('seq')!r}")
    if event.get("hash") != event_hash(event):
        raise IntegrityError(f"event {seq} ({event.get('type')}): content does not match its hash (edited?)")
    if event.get("prev") != prev:
        raise IntegrityError(f"event {seq} ({event.get('type')}): chain broken, previous hash does not match")
