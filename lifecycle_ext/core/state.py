"""Registry state as a pure fold over events.

The state is plain JSON-able data so that checkpoints are a JSON snapshot of it::

    {"seq": last applied sequence number (-1 when empty), "head": hash of that event,
     "assets": {"model:churn": {"kind", "name", "versions": [VersionRecord, ...], "stages": {stage: number},
                                "aliases": {alias: number}}},
     "policy": {"hash", "blob"} | None, "requests": {...}, "monitoring": {...}}

:data:`HANDLERS` is the one table from event type to fold handler, built at the bottom of this module from the
handlers here (versions, tags, aliases), in :mod:`.promotion_state` and in :mod:`.monitoring_policy`; nothing
registers itself on import. Unknown event types are counted and otherwise ignored (forward compatibility).
Handlers read the event's wire ``data`` dict (events are replayed from JSON; the typed classes in
:mod:`.event_types` describe the same shapes).
"""

from __future__ import annotations

import json
from _collections_abc import dict_items, dict_values
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .errors import IntegrityError
from .monitoring_policy import MONITORING_HANDLERS
from .promotion_state import PROMOTION_HANDLERS
from .records import Event, State, VersionRecord, asset_state, version_record

__all__ = [
    "empty_state",
    "apply",
    "fold",
    "HANDLERS",
    "Handler",
    "asset_state",
    "version_record",
    "VersionRecord",
    "STATE_FORMAT",
    "LazyAssets",
    "encode_checkpoint_state",
    "decode_checkpoint_state",
]

STATE_FORMAT = 1
Handler = Callable[[State, Event], None]


def _records(asset: dict[str, Any]) -> dict[str, Any]:
    """``asset`` (decoded from JSON) with its versions as :class:`VersionRecord` (in place)."""
    versions = asset.get("versions")
    if versions:
        asset["versions"] = [VersionRecord.of(v) for v in versions]
    return asset


class LazyAssets(dict[str, Any]):
    """asset key -> asset state. Values read from a checkpoint stay JSON text until first used, so opening
    a registry with a large history parses only the asset index; behaves as a plain dict otherwise."""

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, str):
            value = _records(json.loads(value))
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: str, default: Any = None, /) -> Any:
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None, /) -> Any:
        if key not in self:
            dict.__setitem__(self, key, default)
        return self[key]

    def _decode_all(self) -> None:
        for k in list(dict.keys(self)):
            _ = self[k]

    def values(self) -> dict_values[str, Any]:
        """The decoded asset states (decodes every asset: prefer ``get`` for one)."""
        self._decode_all()
        return dict.values(self)

    def items(self) -> dict_items[str, Any]:
        self._decode_all()
        return dict.items(self)

    def __iter__(self) -> Iterator[str]:
        return iter(list(dict.keys(self)))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, dict):
            return NotImplemented
        return dict(self.items()) == (dict(other.items()) if isinstance(other, LazyAssets) else other)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def raw(self, key: str) -> str:
        """The asset's canonical JSON text (reusing the checkpoint's text when it was never decoded)."""
        value = dict.__getitem__(self, key)
        return value if isinstance(value, str) else _canonical_text(value)


def _canonical_text(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_checkpoint_state(state: State) -> State:
    """The state as stored in a checkpoint: each asset's state as its own canonical JSON text."""
    assets = state["assets"]
    raw = assets.raw if isinstance(assets, LazyAssets) else (lambda k: _canonical_text(assets[k]))
    return {**state, "assets": {k: raw(k) for k in sorted(assets)}}


def decode_checkpoint_state(stored: State, *, lazy: bool = True) -> State:
    state = dict(stored)
    assets = stored["assets"]
    state["assets"] = LazyAssets(assets) if lazy else {k: _records(json.loads(v)) for k, v in assets.items()}
    return state


def empty_state() -> State:
    return {
        "format": STATE_FORMAT,
        "seq": -1,
        "head": None,
        "assets": LazyAssets(),
        "policy": None,
        "requests": {},
        "unknown_events": 0,
    }


def apply(state: State, event: Event) -> State:
    """Apply one event in place and return the state."""
    fn = HANDLERS.get(event["type"])
    if fn is None:
        state["unknown_events"] = state.get("unknown_events", 0) + 1
    else:
        fn(state, event)
    state["seq"] = event["seq"]
    state["head"] = event["hash"]
    return state


def fold(events: Iterable[Event], state: State | None = None) -> State:
    st = empty_state() if state is None else state
    for e in events:
        apply(st, e)
    return st


def _version_created(state: State, e: Event) -> None:
    d = e["data"]
    asset = f"{d['kind']}:{d['name']}"
    a = state["assets"].setdefault(
        asset, {"kind": d["kind"], "name": d["name"], "versions": [], "stages": {}, "aliases": {}}
    )
    record = VersionRecord(d)
    expected = len(a["versions"]) + 1
    if record.setdefault("number", expected) != expected:
        raise IntegrityError(f"event {e['seq']}: {asset} version {record['number']} out of order (expected {expected})")
    record["created_at"] = e["at"]
    record["author"] = e["actor"]
    record["seq"] = e["seq"]
    record.setdefault("tags", [])
    record["stage"] = None
    a["versions"].append(record)


def _tag_added(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None and d["tag"] not in rec["tags"]:
        rec["tags"].append(d["tag"])


def _tag_removed(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None and d["tag"] in rec["tags"]:
        rec["tags"].remove(d["tag"])


def _rerun(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None:
        rec.setdefault("reruns", []).append({"at": e["at"], "by": e["actor"], **dict(d.get("run") or {})})


def _alias_set(state: State, e: Event) -> None:
    """``{"asset", "alias", "number"}`` points ``alias`` at version ``number``; ``number: null`` removes it."""
    d = e["data"]
    a = asset_state(state, d["asset"])
    if a is not None:
        if d.get("number") is None:
            a["aliases"].pop(d["alias"], None)
        else:
            a["aliases"][d["alias"]] = d["number"]


def _content_erased(state: State, e: Event) -> None:
    """Mark each erased version (its record stays: lineage and audit keep it), point record fields of kept
    versions at their filtered copies, and remember which event removed which blob (``verify`` names it)."""
    d = e["data"]
    for v in d.get("versions") or []:
        rec = version_record(state, v["asset"], v["number"])
        if rec is not None:
            rec["erased"] = {
                "seq": e["seq"],
                "at": e["at"],
                "by": e["actor"],
                "reason": d.get("reason", ""),
                "basis": d.get("basis", ""),
                "rows": v.get("rows"),
                "successor": v.get("successor"),
            }
    for r in d.get("records") or []:
        rec = version_record(state, r["asset"], r["number"])
        if rec is None:
            continue
        section, _, key = str(r["field"]).rpartition(".")
        target: Any = rec
        for part in section.split(".") if section else []:
            target = target.get(part) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[key] = r["new"]
        blobs = [b for b in rec.get("blobs") or [] if b != r["old"]]
        rec["blobs"] = [*blobs, r["new"]] if r.get("new") else blobs
    erased = state.setdefault("erased_blobs", {})
    for cid in d.get("blobs") or []:
        erased[cid] = e["seq"]
    hashes = state.setdefault("erased_keys", {})
    for h in d.get("key_hashes") or []:
        hashes.setdefault(h, e["seq"])


def _erasure_accepted(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None:
        rec["erasure_accepted"] = {"seq": e["seq"], "at": e["at"], "by": e["actor"], "reason": d["reason"]}


VERSION_HANDLERS: Mapping[str, Handler] = {
    "ContentErased": _content_erased,
    "ErasureAccepted": _erasure_accepted,
    "VersionCreated": _version_created,
    "TagAdded": _tag_added,
    "VersionRerun": _rerun,
    "TagRemoved": _tag_removed,
    "AliasSet": _alias_set,
}

#: event type -> fold handler: every event type the fold knows, in one table.
HANDLERS: Mapping[str, Handler] = {**VERSION_HANDLERS, **PROMOTION_HANDLERS, **MONITORING_HANDLERS}
