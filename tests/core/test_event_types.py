"""Typed events against the wire format, the JSON schema and the fold's handler table."""

from __future__ import annotations

import dataclasses
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest

from lifecycle_ext.core import event_types as et
from lifecycle_ext.core.events import EVENT_TYPES, GENESIS, canonical, make_event, spec_of
from lifecycle_ext.core.state import HANDLERS, fold

AT = "2026-01-01T00:00:00.000000Z"
CID = "xxh3-128:" + "0" * 32
CHECK = {"name": "metric", "type": "metric", "status": "pass", "message": "ok", "evidence": {}}

# one sample per event type, each exactly as today's dict-building writers in registry/ produce it
SAMPLES: dict[str, dict[str, Any]] = {
    "VersionCreated": {
        "kind": "model",
        "name": "churn",
        "number": 1,
        "parent": None,
        "content_hash": CID,
        "meta_hash": CID,
        "object_type": "json",
        "summary": {"type": "dict"},
        "size": 10,
        "new_bytes": 10,
        "params": {"a": 1},
        "metrics": {"acc": 0.9},
        "metadata": {},
        "inputs": ["dataset:d@1"],
        "tags": ["x"],
        "note": "",
        "record": {"seed": 1},
        "blobs": [CID],
        "dataset": {"key": None, "labels": []},
    },
    "TagAdded": {"asset": "model:churn", "number": 1, "tag": "gold"},
    "TagRemoved": {"asset": "model:churn", "number": 1, "tag": "gold"},
    "VersionRerun": {"asset": "model:churn", "number": 1, "run": {"run_id": "ab12", "duration_s": 0.5}},
    "AliasSet": {"asset": "model:churn", "alias": "champion", "number": 1},
    "ContentErased": {
        "reason": "erasure request",
        "basis": "GDPR Art. 17 request #1",
        "versions": [{"asset": "dataset:d", "number": 1, "rows": 2, "successor": 2}],
        "key_hashes": ["hmac-sha256:" + "0" * 64],
        "blobs": [CID],
        "records": [],
    },
    "ErasureAccepted": {"asset": "model:churn", "number": 1, "reason": "rows were not used by the model"},
    "PolicySet": {"hash": "abc", "blob": CID, "size": 12, "reason": "", "previous": "def"},
    "PromotionRequested": {
        "asset": "model:churn",
        "number": 1,
        "to": "staging",
        "reason": "r",
        "from": None,
        "policy_hash": "abc",
        "roles": ["data-scientist"],
    },
    "PromotionApproved": {
        "asset": "model:churn",
        "number": 1,
        "to": "staging",
        "reason": "",
        "from": "development",
        "policy_hash": "abc",
        "roles": ["reviewer"],
    },
    "PromotionRejected": {
        "asset": "model:churn",
        "number": 1,
        "to": "staging",
        "reason": "no",
        "from": None,
        "policy_hash": None,
        "roles": [],
    },
    "VersionPromoted": {
        "asset": "model:churn",
        "number": 1,
        "to": "production",
        "from": "staging",
        "reason": "",
        "policy_hash": "abc",
        "checks": [CHECK],
        "problem": None,
        "forced": True,
        "override": {"by": "carol", "reason": "demo", "failed": ["metric"]},
        "replaced": None,
        "deployment": {
            "ref": "model:churn@1",
            "content_hash": CID,
            "known_limitations": "none",
            "rollback_to": None,
            "gate_results": [CHECK],
        },
    },
    "PromotionRefused": {
        "asset": "model:churn",
        "number": 1,
        "to": "staging",
        "from": None,
        "reason": "",
        "policy_hash": "abc",
        "checks": [dict(CHECK, status="fail")],
        "problem": None,
    },
    "ActionDenied": {
        "action": "promote",
        "asset": "model:churn",
        "number": 1,
        "to": "production",
        "from": None,
        "reason": "",
        "stage": "production",
        "message": "bob may not promote",
        "user_roles": ["reviewer"],
        "required_roles": ["release-manager"],
        "policy_hash": "abc",
    },
    "RolledBack": {
        "asset": "model:churn",
        "reason": "latency",
        "stage": "production",
        "from_number": 2,
        "to_number": 1,
        "policy_hash": "abc",
    },
    "VersionRetired": {
        "asset": "model:churn",
        "number": 1,
        "reason": "old",
        "replaced_by": "model:churn@2",
        "from_stage": None,
        "served": [{"stage": "production", "entered": AT, "left": AT}],
        "policy_hash": "abc",
    },
    "BatchMonitored": {
        "asset": "model:churn",
        "number": 1,
        "ref": "model:churn@1",
        "observed_at": AT,
        "rows": 5,
        "baseline": {"ref": "dataset:d@1"},
        "policy_hash": None,
        "level": "ok",
        "findings": [],
        "evidence": {"rows": 5, "features": {"x": {"kind": "numeric", "psi": 0.01}}, "schema": []},
        "sketch": CID,
        "blobs": [CID],
        "prediction_baseline": CID,
    },
    "AlertRaised": {
        "asset": "model:churn",
        "number": 1,
        "ref": "model:churn@1",
        "batch_seq": 4,
        "findings": [{"metric": "psi", "feature": "x", "level": "alert", "value": 0.4}],
        "response": "revalidate",
        "policy_hash": None,
    },
    "RevalidationCleared": {"asset": "model:churn", "number": 1, "reason": "checked"},
    "ReviewRecorded": {
        "asset": "model:churn",
        "number": 1,
        "ref": "model:churn@1",
        "summary": "fine",
        "lessons": ["a"],
        "criteria_changes": [],
    },
}


def _event(seq: int, prev: str, spec: et.EventData, actor: str = "alice") -> dict[str, Any]:
    etype, data = spec_of(spec)
    return make_event(seq, prev, etype, actor, AT, data)


def _schema() -> dict[str, Any]:
    return json.loads(resources.files("lifecycle_ext.schemas").joinpath("event.schema.json").read_text())


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _wire_keys(cls: type[et.EventData]) -> tuple[set[str], set[str]]:
    """(every key the class may write, the keys it always writes)."""
    every, always = set(), set()
    for f in dataclasses.fields(cls):
        if f.name == "extra":
            continue
        keys = set(f.metadata["spread"]) if f.metadata.get("spread") else {f.metadata.get("key", f.name)}
        every |= keys
        if not f.metadata.get("omit_none") and not f.metadata.get("spread"):
            always |= keys
    return every, always


def test_one_table_of_types_for_classes_fold_and_writer_check() -> None:
    assert set(et.EVENT_CLASSES) == set(EVENT_TYPES) == set(HANDLERS) == set(SAMPLES)
    assert all(cls.TYPE == name for name, cls in et.EVENT_CLASSES.items())


def test_schema_and_classes_agree() -> None:
    schema = _schema()
    branches = {
        b["if"]["properties"]["type"]["const"]: b["then"]["properties"]["data"]["$ref"] for b in schema["allOf"]
    }
    assert set(branches) == set(et.EVENT_CLASSES), "one allOf branch per event class and no other"
    for name, cls in et.EVENT_CLASSES.items():
        assert branches[name] == f"#/$defs/{name}"
        definition = _resolve(schema, schema["$defs"][name])
        every, always = _wire_keys(cls)
        assert every <= set(definition["properties"]), f"{name}: keys missing from the schema"
        assert set(definition["required"]) <= always, f"{name}: schema requires keys the class may omit"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_samples_round_trip_and_validate(name: str) -> None:
    data = SAMPLES[name]
    typed = et.parse_data(name, data)
    assert type(typed) is et.EVENT_CLASSES[name] and typed.type == name
    assert typed.to_data() == data
    assert type(typed).from_data(typed.to_data()) == typed
    event = _event(0, GENESIS, typed)
    jsonschema.validate(event, _schema())
    # the typed event serialises (so hashes) exactly like the dict-built one
    assert event == make_event(0, GENESIS, name, "alice", AT, data)
    assert canonical(event) == canonical(make_event(0, GENESIS, name, "alice", AT, json.loads(json.dumps(data))))


def test_typed_construction_matches_hand_built_dicts() -> None:
    tag = et.TagAdded(asset="model:churn", number=1, tag="gold")
    assert tag.to_data() == SAMPLES["TagAdded"] and tag.ref == "model:churn@1"
    promoted = et.VersionPromoted(
        asset="model:churn", number=2, to="staging", from_="development", policy_hash="abc", checks=(CHECK,), replaced=1
    )
    assert promoted.to_data() == {
        "asset": "model:churn",
        "number": 2,
        "to": "staging",
        "from": "development",
        "reason": "",
        "policy_hash": "abc",
        "checks": [CHECK],
        "problem": None,
        "forced": False,
        "replaced": 1,
    }
    denied = et.ActionDenied(action="set_policy", message="no", user_roles=("a",))
    assert denied.to_data() == {
        "action": "set_policy",
        "stage": None,
        "message": "no",
        "user_roles": ["a"],
        "required_roles": [],
        "policy_hash": None,
    }
    with pytest.raises(ValueError, match="subject"):
        et.ActionDenied(action="x", message="m", subject={"color": "red"})


def test_to_data_is_fresh_json() -> None:
    created = et.VersionCreated.from_data(SAMPLES["VersionCreated"])
    a, b = created.to_data(), created.to_data()
    assert a == b and a["tags"] is not b["tags"] and a["params"] is not b["params"]
    assert isinstance(a["inputs"], list) and isinstance(created.inputs, tuple)
    with pytest.raises(dataclasses.FrozenInstanceError):
        created.number = 2  # type: ignore[misc]


def test_unknown_keys_survive_and_missing_required_keys_are_reported() -> None:
    data = dict(SAMPLES["TagAdded"], by_newer_writer=True)
    typed = et.TagAdded.from_data(data)
    assert typed.extra == {"by_newer_writer": True} and typed.to_data() == data
    with pytest.raises(ValueError, match="lacks 'tag'"):
        et.TagAdded.from_data({"asset": "model:m", "number": 1})
    with pytest.raises(ValueError, match="unknown event type"):
        et.parse_data("SomethingHappened", {})


def _created(seq: int, prev: str, name: str = "m") -> dict[str, Any]:
    return make_event(
        seq,
        prev,
        "VersionCreated",
        "alice",
        AT,
        dict(SAMPLES["VersionCreated"], name=name, number=seq + 1, parent=None),
    )


def test_alias_set_points_and_removes_an_alias() -> None:
    e0 = _created(0, GENESIS)
    e1 = _event(1, e0["hash"], et.AliasSet(asset="model:m", alias="champion", number=1))
    state = fold([e0, e1])
    assert state["assets"]["model:m"]["aliases"] == {"champion": 1}
    e2 = _event(2, e1["hash"], et.AliasSet(asset="model:m", alias="champion", number=None))
    assert e2["data"] == {"asset": "model:m", "alias": "champion", "number": None}
    assert fold([e0, e1, e2])["assets"]["model:m"]["aliases"] == {}
    stray = make_event(1, e0["hash"], "AliasSet", "a", AT, {"asset": "model:nope", "alias": "x", "number": 1})
    assert "model:nope" not in fold([e0, stray])["assets"]
