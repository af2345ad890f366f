"""Events: the append-only, hash-chained record of every change of registry state.

An event is a JSON object ``{"seq", "prev", "at", "actor", "type", "data", "hash"}``. ``hash`` is the
SHA-256 of the event's canonical JSON without the ``hash`` field; ``prev`` is the hash of the event before it
(``GENESIS`` for the first). Event types are past-tense names; their ``data`` is documented in
``lifecycle_ext/schemas/event.schema.json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .errors import IntegrityError

__all__ = ["GENESIS", "canonical", "event_hash", "make_event", "check_event", "EVENT_TYPES"]

GENESIS = "0" * 64

EVENT_TYPES = {
    # registry core
    "VersionCreated", "TagAdded", "TagRemoved", "AliasSet",
    # promotion, approvals, deployment (gates issue)
    "PolicySet", "PromotionRequested", "PromotionApproved", "PromotionRejected", "VersionPromoted",
    "PromotionRefused", "ActionDenied", "RolledBack", "VersionRetired",
    # monitoring
    "BatchMonitored", "AlertRaised", "RevalidationCleared", "ReviewRecorded",
}


def canonical(obj: Any) -> bytes:
    """The canonical JSON encoding used for hashing (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def event_hash(event: dict[str, Any]) -> str:
    body = {k: v for k, v in event.items() if k != "hash"}
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
