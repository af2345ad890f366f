"""VersionRecord: the fold's version dicts with typed read-only properties."""

from __future__ import annotations

import copy
import json
import pickle

from lifecycle_ext.core.events import GENESIS, canonical, make_event
from lifecycle_ext.core.records import VersionRecord, version_record
from lifecycle_ext.core.refs import version_ref
from lifecycle_ext.core.state import decode_checkpoint_state, encode_checkpoint_state, fold

AT = "2026-01-01T00:00:00.000000Z"
CID = "xxh3-128:" + "1" * 32


def _events() -> list[dict]:
    data = {
        "kind": "model",
        "name": "churn",
        "number": 1,
        "parent": None,
        "content_hash": CID,
        "meta_hash": CID,
        "object_type": "json",
        "summary": {},
        "size": 3,
        "params": {"lr": 0.1},
        "metrics": {"acc": 0.9},
        "metadata": {"team": "x"},
        "inputs": ["dataset:d@1"],
        "tags": ["a"],
        "note": "n",
        "record": {"seed": 1},
    }
    e0 = make_event(0, GENESIS, "VersionCreated", "alice", AT, data)
    e1 = make_event(1, e0["hash"], "VersionCreated", "bob", AT, dict(data, number=2, parent=1, tags=[]))
    e2 = make_event(
        2,
        e1["hash"],
        "VersionPromoted",
        "carol",
        AT,
        {"asset": "model:churn", "number": 2, "to": "staging", "checks": []},
    )
    return [e0, e1, e2]


def test_fold_stores_version_records_with_typed_properties() -> None:
    state = fold(_events())
    v1, v2 = state["assets"]["model:churn"]["versions"]
    assert isinstance(v1, VersionRecord) and isinstance(version_record(state, "model:churn", 2), VersionRecord)
    assert (v1.kind, v1.name, v1.number, v1.asset, v1.ref) == ("model", "churn", 1, "model:churn", "model:churn@1")
    assert v1.ref == version_ref("model", "churn", 1) == f"{v1['kind']}:{v1['name']}@{v1['number']}"
    assert (v1.content_hash, v1.created_at, v1.author, v1.seq) == (CID, AT, "alice", 0)
    assert v1.parent is None and v2.parent == 1 and v2.parent_ref == "model:churn@1"
    assert v1.params == {"lr": 0.1} and v1.metrics == {"acc": 0.9} and v1.metadata == {"team": "x"}
    assert v1.inputs == ("dataset:d@1",) and v1.tags == ("a",) and v2.tags == ()
    assert v1.record == {"seed": 1} and v1.note == "n" and v1.size == 3 and v1.object_type == "json"
    assert v1.stage is None and v2.stage == "staging" and v2.history[0]["stage"] == "staging"
    assert not v1.retired and v1.retirement is None and v1.deployment is None and not v1.revalidation_required
    # read-only: the properties hand out copies, the record changes only through the fold
    v1.metrics["acc"] = 0.0
    assert v1["metrics"]["acc"] == 0.9


def test_records_copy_pickle_and_dump_like_plain_dicts() -> None:
    rec = fold(_events())["assets"]["model:churn"]["versions"][0]
    for c in (copy.copy(rec), copy.deepcopy(rec), pickle.loads(pickle.dumps(rec)), rec.copy()):
        assert type(c) is VersionRecord and c == rec and c.ref == "model:churn@1"
    deep = copy.deepcopy(rec)
    deep["tags"].append("b")
    assert rec["tags"] == ["a"]
    assert json.dumps(rec, sort_keys=True) == json.dumps(dict(rec), sort_keys=True)
    assert canonical(rec) == canonical(dict(rec)) and rec == dict(rec)
    assert VersionRecord.of(rec) is rec and type(VersionRecord.of(dict(rec))) is VersionRecord


def test_checkpoint_round_trip_gives_records_and_identical_json() -> None:
    state = fold(_events())
    stored = json.loads(canonical(encode_checkpoint_state(state)))
    for lazy in (True, False):
        back = decode_checkpoint_state(stored, lazy=lazy)
        versions = back["assets"]["model:churn"]["versions"]
        assert all(type(v) is VersionRecord for v in versions) and versions[1].stage == "staging"
        assert back == state
        assert canonical(encode_checkpoint_state(back)) == canonical(encode_checkpoint_state(state))
    lazy_assets = decode_checkpoint_state(stored)["assets"]
    assert all(type(v) is VersionRecord for a in lazy_assets.values() for v in a["versions"])
    assert all(type(v) is VersionRecord for _, a in lazy_assets.items() for v in a["versions"])
