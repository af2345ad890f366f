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
    "subjects",
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


_HASH_MARK = b',"hash":"'
_SIG_MARK = b',"signature":{'
_PREV_MARK = b',"prev":"'


def body_of_raw(raw: bytes) -> tuple[str, bytes, bytes | None] | None:
    """(the ``hash`` an event's stored bytes carry, the bytes of its body without ``hash`` and ``signature``, the
    encoded ``signature`` or None),
    found textually in the canonical encoding (keys sorted: ``hash`` and ``signature`` follow ``data``, so their
    last occurrences are the top-level ones); None when the bytes are not laid out canonically.

    ``sha256(body) == hash`` proves the bytes are the event as written (its canonical body); then the body's
    ``prev`` (:func:`prev_of_body`) is its real predecessor's hash: a run of events is verified without parsing.
    """
    i = raw.rfind(_HASH_MARK)
    end = i + len(_HASH_MARK) + 64
    if i < 0 or raw[end : end + 1] != b'"':
        return None
    digest = raw[i + len(_HASH_MARK) : end].decode("ascii", "replace")
    j = raw.rfind(_SIG_MARK)
    if j > end:
        k = raw.find(b"}", j)
        if k < 0:
            return None
        return digest, raw[:i] + raw[end + 1 : j] + raw[k + 1 :], raw[j + len(_SIG_MARK) - 1 : k + 1]
    return digest, raw[:i] + raw[end + 1 :], None


def prev_of_body(body: bytes) -> str | None:
    i = body.rfind(_PREV_MARK)
    if i < 0:
        return None
    return body[i + len(_PREV_MARK) : i + len(_PREV_MARK) + 64].decode("ascii", "replace")


def check_event_raw(raw: bytes, event: dict[str, Any], seq: int, prev: str) -> None:
    """:func:`check_event` for an event parsed from ``raw``, without re-serialising it when ``raw`` is its
    canonical encoding (one SHA-256 of the stored bytes); anything else takes the full check."""
    found = body_of_raw(raw)
    if (
        found is not None
        and event.get("seq") == seq
        and event.get("prev") == prev
        and found[0] == event.get("hash")
        and hashlib.sha256(found[1]).hexdigest() == found[0]
        and (found[2] is None if "signature" not in event else found[2] == canonical(event["signature"]))
    ):
        return
    check_event(event, seq, prev)


def subjects(event: dict[str, Any]) -> list[str]:
    """What ``event`` is about: each asset it names (``KIND:NAME``) followed by each version of it it names
    (``KIND:NAME@N``: ``number``, ``from_number``/``to_number`` of a rollback; every erased version and its
    successor of a ``ContentErased``). One answer for the packs' index, the audit filter and change polling."""
    d = event.get("data") or {}
    if event.get("type") == "ContentErased":
        found: list[str] = []
        for v in d.get("versions") or ():
            va = v.get("asset") if isinstance(v, dict) else None
            if type(va) is not str:
                continue
            for ref in (va, *(f"{va}@{n}" for n in (v.get("number"), v.get("successor")) if type(n) is int)):
                if ref not in found:
                    found.append(ref)
        return found
    if event.get("type") == "VersionCreated":
        kind, name = d.get("kind"), d.get("name")
        if type(kind) is not str or type(name) is not str:
            return []
        a = f"{kind}:{name}"
    else:
        asset = d.get("asset")
        if type(asset) is not str:
            return []
        a = asset
    out = [a]
    for field in ("number", "from_number", "to_number"):
        n = d.get(field)
        if type(n) is int and f"{a}@{n}" not in out:
            out.append(f"{a}@{n}")
    return out
