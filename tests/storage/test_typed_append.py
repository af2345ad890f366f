"""EventLog.append takes typed events as well as (type, data) pairs; both store the same bytes."""

from __future__ import annotations

from lifecycle_ext.core.clock import ManualClock
from lifecycle_ext.core.event_types import AliasSet, TagAdded, VersionCreated
from lifecycle_ext.core.records import VersionRecord
from lifecycle_ext.storage.eventlog import EventLog, event_key
from lifecycle_ext.storage.memory import MemoryStorage

CID = "xxh3-128:" + "2" * 32
CREATED = VersionCreated(
    kind="model",
    name="m",
    number=1,
    parent=None,
    content_hash=CID,
    meta_hash=CID,
    object_type="json",
    size=1,
    new_bytes=1,
)


def _logs() -> tuple[EventLog, EventLog]:
    return (EventLog(MemoryStorage("a"), clock=ManualClock()), EventLog(MemoryStorage("b"), clock=ManualClock()))


def test_typed_and_pair_appends_store_identical_events() -> None:
    typed, pairs = _logs()
    for spec in (
        CREATED,
        TagAdded(asset="model:m", number=1, tag="gold"),
        AliasSet(asset="model:m", alias="champion", number=1),
    ):
        a = typed.append(lambda st, s=spec: s, "alice")
        b = pairs.append(lambda st, s=spec: (s.TYPE, s.to_data()), "alice")
        assert a == b
        assert typed.storage.read(event_key(a["seq"])) == pairs.storage.read(event_key(b["seq"]))
    assert typed.state == pairs.state
    rec = typed.state["assets"]["model:m"]["versions"][0]
    assert isinstance(rec, VersionRecord) and rec.tags == ("gold",) and rec.ref == "model:m@1"
    assert typed.state["assets"]["model:m"]["aliases"] == {"champion": 1}
    assert typed.append(lambda st: None, "alice") is None


def test_build_sees_the_latest_state() -> None:
    log, _ = _logs()
    log.append(lambda st: CREATED, "alice")
    ev = log.append(
        lambda st: TagAdded(asset="model:m", number=len(st["assets"]["model:m"]["versions"]), tag="t"), "bob"
    )
    assert ev is not None and ev["type"] == "TagAdded" and ev["data"] == {"asset": "model:m", "number": 1, "tag": "t"}
