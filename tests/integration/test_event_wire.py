"""Every event a real registry writes is its typed class's to_data(), matches the schema, and the state opened from
checkpoints equals a full replay (STYLE rule 1) through promotion, deployment, monitoring and retirement."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

import lifecycle_ext
from lifecycle_ext.core.event_types import EVENT_CLASSES, AliasSet, parse_data
from lifecycle_ext.core.records import VersionRecord
from lifecycle_ext.core.state import decode_checkpoint_state, fold
from tests.support.monitor_data import frame

POLICY = """\
version = 1
[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]
[users]
alice = ["data-scientist"]
bob = ["reviewer"]
carol = ["reviewer", "release-manager"]
[permissions]
promote = ["data-scientist", "release-manager"]
"promote.production" = ["release-manager"]
request = ["data-scientist"]
approve = ["reviewer", "release-manager"]
reject = ["reviewer"]
rollback = ["release-manager"]
retire = ["release-manager"]
force = ["release-manager"]
erase = ["release-manager"]
set_policy = ["release-manager", "data-scientist"]
[[gates.staging]]
type = "metric"
kinds = ["model"]
threshold = "accuracy >= 0.8"
[monitoring]
on_alert = "revalidate"
"""


@pytest.fixture
def busy(tmp_path, clock, monkeypatch):
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    reg = lifecycle_ext.open_registry(tmp_path / "registry", clock=clock, checkpoint_every=4)
    reg.set_policy(POLICY, reason="start")
    reg.save(frame(3_000, seed=1), "dataset:train")
    low = reg.save({"w": 0}, "model:churn", inputs=["dataset:train@1"], metrics={"accuracy": 0.5})
    v1 = reg.save({"w": 1}, "model:churn", inputs=["dataset:train@1"], metrics={"accuracy": 0.9}, tags=["a"])
    v2 = reg.save({"w": 2}, "model:churn", inputs=["dataset:train@1"], metrics={"accuracy": 0.95})
    tracked = {"tracked": True, "source_hash": "sha256:ab", "output_var": "w", "run_id": "r1"}
    reg.save({"w": 3}, "model:side", record=tracked)
    reg.save({"w": 3}, "model:side", record={**tracked, "run_id": "r2"})  # unchanged re-run: VersionRerun
    reg.tag(v1.ref, "gold")
    reg.untag(v1.ref, "a")
    reg.promote(low.ref, to="development")
    with pytest.raises(lifecycle_ext.GateFailed):
        reg.promote(low.ref, to="staging")
    with pytest.raises(lifecycle_ext.PermissionDenied):
        reg.as_user("bob").promote(v1.ref, to="development")
    carol = reg.as_user("carol")
    for v in (v1, v2):
        reg.request_promotion(v.ref, to="development", reason="try")
        reg.as_user("bob").reject(v.ref, to="development", reason="not yet")
        reg.request_promotion(v.ref, to="development", reason="fixed")  # supersedes the rejection
        carol.approve(v.ref, to="development", reason="fine")
        for stage in ("development", "staging", "production"):
            carol.promote(
                v.ref, to=stage, reason="ok", known_limitations="none known" if stage == "production" else None
            )
    reg.log.append(lambda st: AliasSet(asset="model:churn", alias="champion", number=2), "alice")
    ok = reg.monitor("model:churn", frame(2_000, seed=2))
    bad = reg.monitor("model:churn", frame(2_000, seed=3, shift=1.0))
    assert ok.level == "ok" and bad.level == "alert"
    reg.clear_revalidation(v2.ref, reason="checked the upstream feed")
    reg.review(v2.ref, summary="drift was a feed outage", lessons=["alert on feed lag"])
    carol.rollback("model:churn", reason="latency")
    carol.retire(v2.ref, reason="superseded", replaced_by=v1.ref)
    import pandas as pd

    people = pd.DataFrame({"id": ["k1", "k2", "k3"], "x": [1.0, 2.0, 3.0]})
    reg.save(people, "dataset:people", key="id")
    scored = reg.save({"w": 4}, "model:people", inputs=["dataset:people@1"])
    carol.erase("dataset:people", ["k2"], reason="erasure request", basis="GDPR Art. 17")  # ContentErased
    reg.accept_erasure(scored.ref, reason="one row of three")  # ErasureAccepted
    reg.set_policy(POLICY.replace("0.8", "0.85"), reason="stricter")
    return reg


def test_every_written_event_is_its_typed_class_and_matches_the_schema(busy):
    schema = json.loads(resources.files("lifecycle_ext.schemas").joinpath("event.schema.json").read_text())
    events = list(busy.log.events())
    assert {e["type"] for e in events} == set(EVENT_CLASSES), "the flow writes every event type"
    for e in events:
        jsonschema.validate(e, schema)
        typed = parse_data(e["type"], e["data"])
        assert typed.to_data() == e["data"], e["type"]
    assert busy.get("model:churn@champion").number == 2


def test_state_from_checkpoints_equals_a_full_replay(busy):
    root = busy.location
    replay = fold(busy.log.events())
    reopened = lifecycle_ext.open_registry(root)
    assert reopened.state == replay == busy.state
    cps = sorted((busy.log.storage.root / "log" / "checkpoints").iterdir())
    assert len(cps) == 1  # older checkpoints are pruned; the runs before them are sealed in packs
    assert len(list((busy.log.storage.root / "log" / "packs").iterdir())) >= 5
    for p in cps:
        cp = json.loads(p.read_text())
        assert decode_checkpoint_state(cp["state"]) == fold(e for e in busy.log.events() if e["seq"] <= cp["seq"])
    for a in reopened.state["assets"].values():
        assert all(type(v) is VersionRecord for v in a["versions"])
    assert busy.verify().ok
