"""Registry state as a pure fold over events.

The state is plain JSON-able data so that checkpoints are a JSON snapshot of it::

    {"seq": last applied sequence number (-1 when empty), "head": hash of that event,
     "assets": {"model:churn": {"kind", "name", "versions": [record, ...], "stages": {stage: number},
                                "aliases": {alias: number}}},
     "policy": {"hash", "blob"} | None, "extra": {...}}

Handlers for each event type live here (core) or are registered by other core modules with
:func:`handler`. Unknown event types are counted and otherwise ignored (forward compatibility).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import IntegrityError

__all__ = ["empty_state", "apply", "fold", "handler", "asset_state", "version_record", "STATE_FORMAT",
           "LazyAssets", "encode_checkpoint_state", "decode_checkpoint_state"]

STATE_FORMAT = 1
State = dict[str, Any]
Event = dict[str, Any]
_HANDLERS: dict[str, Callable[[State, Event], None]] = {}


def handler(event_type: str) -> Callable[[Callable[[State, Event], None]], Callable[[State, Event], None]]:
    def deco(fn: Callable[[State, Event], None]) -> Callable[[State, Event], None]:
        _HANDLERS[event_type] = fn
        return fn

    return deco


class LazyAssets(dict):  # type: ignore[type-arg]
    """asset key -> asset state. Values read from a checkpoint stay JSON text until first used, so opening
    a registry with a large history parses only the asset index; behaves as a plain dict otherwise."""

    def __getitem__(self, key: str) -> Any:
        value = dict.__getitem__(self, key)
        if isinstance(value, str):
            value = json.loads(value)
            dict.__setitem__(self, key, value)
        return value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default

    def setdefault(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        if key not in self:
            dict.__setitem__(self, key, default)
        return self[key]

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[k] for k in self]

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(k, self[k]) for k in self]

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
    state["assets"] = LazyAssets(assets) if lazy else {k: json.loads(v) for k, v in assets.items()}
    return state


def empty_state() -> State:
    return {"format": STATE_FORMAT, "seq": -1, "head": None, "assets": LazyAssets(), "policy": None,
            "requests": {}, "unknown_events": 0}


def apply(state: State, event: Event) -> State:
    """Apply one event in place and return the state."""
    fn = _HANDLERS.get(event["type"])
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


def asset_state(state: State, asset: str) -> dict[str, Any] | None:
    return state["assets"].get(asset)


def version_record(state: State, asset: str, number: int) -> dict[str, Any] | None:
    a = state["assets"].get(asset)
    if a is None or not 1 <= number <= len(a["versions"]):
        return None
    return a["versions"][number - 1]


@handler("VersionCreated")
def _version_created(state: State, e: Event) -> None:
    d = e["data"]
    asset = f"{d['kind']}:{d['name']}"
    a = state["assets"].setdefault(
        asset, {"kind": d["kind"], "name": d["name"], "versions": [], "stages": {}, "aliases": {}})
    record = dict(d)
    expected = len(a["versions"]) + 1
    if record.setdefault("number", expected) != expected:
        raise IntegrityError(f"event {e['seq']}: {asset} version {record['number']} out of order (expected {expected})")
    record["created_at"] = e["at"]
    record["author"] = e["actor"]
    record["seq"] = e["seq"]
    record.setdefault("tags", [])
    record["stage"] = None
    a["versions"].append(record)


@handler("TagAdded")
def _tag_added(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None and d["tag"] not in rec["tags"]:
        rec["tags"].append(d["tag"])


@handler("TagRemoved")
def _tag_removed(state: State, e: Event) -> None:
    d = e["data"]
    rec = version_record(state, d["asset"], d["number"])
    if rec is not None and d["tag"] in rec["tags"]:
        rec["tags"].remove(d["tag"])


@handler("AliasSet")
def _alias_set(state: State, e: Event) -> None:
    d = e["data"]
    a = state["assets"].get(d["asset"])
    if a is not None:
        if d.get("number") is None:
            a["aliases"].pop(d["alias"], None)
        else:
            a["aliases"][d["alias"]] = d["number"]


from . import monitoring_policy as _monitoring  # noqa: E402,F401  (registers the monitoring handlers)
from . import promotion_state as _promotion_state  # noqa: E402,F401  (policy, promotion, retirement handlers)
