"""Promotion through real registries on disk: gates, approvals, soak, deployment, rollback, retire, audit."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lifecycle_ext import GateFailed, PermissionDenied, PolicyError, UsageInputError, open_registry
from lifecycle_ext.core.clock import ManualClock
from lifecycle_ext.core.errors import ConflictError, IntegrityError
from tests.support.policy import MODELS, TEAM_PERMISSIONS, approvals, build_policy, gate, metric
from tests.support.users import ALICE, BOB, CAROL, DAVE

POLICY = build_policy(
    users=(ALICE, BOB, CAROL, DAVE),
    permissions={**TEAM_PERMISSIONS, "approve": ["reviewer", "release-manager"]},
    gates={
        "staging": [
            metric("accuracy >= 0.8"),
            gate("lineage", kinds=MODELS, stage="validated", licences=["MIT", "CC-BY-4.0"]),
        ],
        "production": [
            gate("compare", kinds=MODELS, threshold="accuracy >= production.accuracy - 0.005"),
            approvals("reviewer", 2, name="review"),
            approvals("release-manager", name="release"),
            gate("soak", kinds=MODELS, hours=24),
            gate("integrity"),
        ],
    },
)


@pytest.fixture
def reg(tmp_path: Any, make_registry: Any) -> Any:
    return make_registry(
        tmp_path / "reg", user="alice", policy=POLICY, policy_by="carol", policy_reason="initial policy"
    )


@pytest.fixture
def dataset(reg: Any) -> Any:
    v = reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"licence": "MIT", "source": "crm"})
    reg.promote("dataset:churn@1")
    reg.promote("dataset:churn@1", to="validated")
    return v


def staged_model(reg: Any, clock: ManualClock, accuracy: float, author: str = "alice", **kw: Any) -> str:
    """Save a model (by ``author``) trained on dataset:churn@1 and bring it to staging; return its exact ref."""
    v = reg.as_user(author).save(
        {"w": [accuracy]},
        "model:churn",
        metrics={"accuracy": accuracy},
        inputs=["dataset:churn@1"],
        params={"seed": 1},
        **kw,
    )
    reg.promote(v.ref)
    reg.promote(v.ref, to="staging")
    return v.ref


def request(reg: Any, ref: str, to: str = "production") -> None:
    """Open the promotion request that approvals answer (alice, a data scientist, may request)."""
    if reg.state.get("requests", {}).get(f"{ref}>{to}", {}).get("status") not in ("open", "rejected"):
        reg.as_user("alice").request_promotion(ref, to=to, reason="ready for review")


def approve_all(reg: Any, ref: str) -> None:
    request(reg, ref)
    reg.as_user("bob").approve(ref, to="production", reason="metrics look right")
    reg.as_user("carol").approve(ref, to="production", reason="release ok")


def _events(reg: Any) -> list[dict[str, Any]]:
    return list(reg.log.events())


def test_full_path_development_staging_production(reg: Any, clock: Any, dataset: Any) -> None:
    ref = staged_model(reg, clock, 0.91, author="dave")  # dave, a reviewer, trained it
    assert reg.get(ref).stage == "staging" and reg.get(ref).author == "dave"
    rep = reg.gates(ref, to="production")
    assert not rep.passed and rep.status == "pending"
    assert {c.name: c.status for c in rep.checks} == {
        "compare": "pass",
        "review": "pending",
        "release": "pending",
        "soak": "pending",
        "integrity": "pass",
    }
    # the author may not approve their own version: refused and recorded
    request(reg, ref)
    with pytest.raises(PermissionDenied, match="authors may not approve"):
        reg.as_user("dave").approve(ref, to="production")
    assert _events(reg)[-1]["type"] == "ActionDenied" and _events(reg)[-1]["actor"] == "dave"
    with pytest.raises(PermissionDenied, match="requires role reviewer or release-manager"):
        reg.as_user("alice").approve(ref, to="production")
    reg.as_user("bob").approve(ref, to="production", reason="looks right")
    rep = reg.gates(ref, to="production")
    assert {c.name: c.status for c in rep.checks}["review"] == "pending"
    reg.as_user("carol").approve(ref, to="production", reason="release ok")
    rep = reg.gates(ref, to="production")
    assert {c.name: c.status for c in rep.checks} == {
        "compare": "pass",
        "review": "pass",
        "release": "pass",
        "soak": "pending",
        "integrity": "pass",
    }
    assert rep.checks[1].evidence["approved_by"] == ["bob", "carol"]
    assert rep.checks[2].evidence["approved_by"] == ["carol"]
    with pytest.raises(GateFailed) as ei:  # soak still running
        reg.as_user("carol").promote(ref, to="production", known_limitations="none known")
    assert ei.value.report.status == "pending" and ei.value.report.failing() == ["soak"]
    clock.advance(hours=24)
    v = reg.as_user("carol").promote(ref, to="production", reason="Q1 release", known_limitations="weak on new users")
    assert v.stage == "production" and reg.get("model:churn@production").ref == ref
    dep = reg.deployment("model:churn")
    assert dep.ref == ref and dep.deployed_by == "carol" and dep.rollback_to is None
    assert dep.content_hash == v.content_hash and dep.serialization_format == "json"
    assert dep.training_data["datasets"] == ["dataset:churn@1"]
    assert dep.known_limitations == "weak on new users"
    assert {g["name"]: g["status"] for g in dep.gate_results} == {
        "compare": "pass",
        "review": "pass",
        "release": "pass",
        "soak": "pass",
        "integrity": "pass",
    }
    assert dep.policy_hash == reg.policy().hash
    # the second model must beat production within the tolerance
    worse = staged_model(reg, clock, 0.80)
    rep = reg.gates(worse, to="production")
    assert [c.status for c in rep.checks if c.name == "compare"] == ["fail"]
    assert "from model:churn@1" in rep.checks[0].message


def test_deployment_record_carries_framework_lineage_and_rollback_pointer(reg: Any, clock: Any, dataset: Any) -> None:
    reg.save(
        {"classes": [{"name": "churn", "description": "left"}, {"name": "stay", "description": "stayed"}]},
        "label_schema:churn",
    )
    reg.save({"steps": ["scale"]}, "pipeline:prep")
    ds2 = reg.save(
        {"rows": [4]}, "dataset:churn", metadata={"licence": "MIT"}, inputs=["label_schema:churn@1", "pipeline:prep@1"]
    )
    reg.promote(ds2.ref)
    reg.promote(ds2.ref, to="validated")
    first = staged_model(reg, clock, 0.9)
    approve_all(reg, first)
    clock.advance(days=1)
    reg.as_user("carol").promote(first, to="production", known_limitations="none known")
    v = reg.save(
        {"w": [2]},
        "model:churn",
        metrics={"accuracy": 0.92},
        inputs=[ds2.ref],
        record={"framework": "sklearn", "packages": {"sklearn": "1.5.0"}},
    )
    reg.promote(v.ref)
    reg.promote(v.ref, to="staging")
    approve_all(reg, v.ref)
    clock.advance(days=1)
    reg.as_user("carol").promote(v.ref, to="production", known_limitations="none known")
    dep = reg.deployment(v.ref)
    assert (dep.framework, dep.framework_version) == ("sklearn", "1.5.0")
    assert dep.training_data["datasets"] == ["dataset:churn@2"]
    assert dep.training_data["label_schemas"] == ["label_schema:churn@1"]
    assert dep.training_data["pipelines"] == ["pipeline:prep@1"]
    assert dep.rollback_to == first
    assert reg.get(first).stage is None  # displaced from production


def test_known_limitations_are_required_for_production(reg: Any, clock: Any, dataset: Any) -> None:
    ref = staged_model(reg, clock, 0.9)
    n = len(_events(reg))
    with pytest.raises(UsageInputError, match="known_limitations"):
        reg.as_user("carol").promote(ref, to="production")
    assert len(_events(reg)) == n


def test_failing_gate_blocks_and_is_recorded(reg: Any, clock: Any, dataset: Any) -> None:
    v = reg.save({"w": [0]}, "model:churn", metrics={"accuracy": 0.5}, inputs=["dataset:churn@1"])
    reg.promote(v.ref)
    with pytest.raises(GateFailed, match="metric did not pass") as ei:
        reg.promote(v.ref, to="staging", reason="try")
    assert ei.value.report.passed is False
    assert reg.get(v.ref).stage == "development"
    last = _events(reg)[-1]
    assert last["type"] == "PromotionRefused" and last["actor"] == "alice"
    assert last["data"]["to"] == "staging" and last["data"]["policy_hash"] == reg.policy().hash
    metric = next(c for c in last["data"]["checks"] if c["name"] == "metric")
    assert metric["status"] == "fail" and metric["evidence"]["accuracy >= 0.8"]["value"] == 0.5


def test_lineage_gate_blocks_unvalidated_or_unlicensed_data(reg: Any, clock: Any) -> None:
    reg.save({"rows": [1]}, "dataset:raw", metadata={"licence": "GPL-3.0"})
    v = reg.save({"w": [1]}, "model:churn", metrics={"accuracy": 0.95}, inputs=["dataset:raw@1"])
    reg.promote(v.ref)
    rep = reg.gates(v.ref, to="staging")
    lineage = next(c for c in rep.checks if c.name == "lineage")
    assert lineage.status == "fail"
    assert "needs validated or later" in lineage.message and "'GPL-3.0' is not in the allow list" in lineage.message


def test_skipping_a_stage_is_refused_and_recorded(reg: Any, dataset: Any) -> None:
    v = reg.save({"w": [1]}, "model:churn", metrics={"accuracy": 0.95}, inputs=["dataset:churn@1"])
    with pytest.raises(GateFailed, match="transition"):
        reg.promote(v.ref, to="staging")
    assert _events(reg)[-1]["data"]["problem"].startswith("staging skips development")
    assert reg.get(v.ref).stage is None


def test_force_needs_an_allowed_role_and_a_reason(reg: Any, clock: Any, dataset: Any) -> None:
    v = reg.save({"w": [0]}, "model:churn", metrics={"accuracy": 0.5}, inputs=["dataset:churn@1"])
    reg.promote(v.ref)
    with pytest.raises(PermissionDenied, match="may not force"):
        reg.promote(v.ref, to="staging", force=True, reason="demo tomorrow")
    assert _events(reg)[-1]["type"] == "ActionDenied" and _events(reg)[-1]["data"]["action"] == "force"
    n = len(_events(reg))
    with pytest.raises(UsageInputError, match="needs a reason"):
        reg.as_user("carol").promote(v.ref, to="staging", force=True)
    assert len(_events(reg)) == n
    reg.as_user("carol").promote(v.ref, to="staging", force=True, reason="demo tomorrow")
    last = _events(reg)[-1]
    assert last["type"] == "VersionPromoted" and last["data"]["forced"] is True
    assert last["data"]["override"] == {"by": "carol", "reason": "demo tomorrow", "failed": ["metric"]}
    assert reg.get(v.ref).stage == "staging"


def test_rollback_restores_the_previous_production_version(reg: Any, clock: Any, dataset: Any) -> None:
    refs = []
    for acc in (0.9, 0.91):
        ref = staged_model(reg, clock, acc)
        approve_all(reg, ref)
        clock.advance(days=1)
        reg.as_user("carol").promote(ref, to="production", known_limitations="none known")
        refs.append(ref)
    with pytest.raises(PermissionDenied, match="may not rollback"):
        reg.rollback("model:churn", reason="latency")
    assert reg.get("model:churn@production").ref == refs[1]
    with pytest.raises(UsageInputError, match="needs a reason"):
        reg.as_user("carol").rollback("model:churn")
    restored = reg.as_user("carol").rollback("model:churn", reason="p95 latency doubled")
    assert restored.ref == refs[0] and restored.stage == "production"
    assert reg.deployment("model:churn").ref == refs[0]
    assert reg.deployment(refs[1]).rolled_back["reason"] == "p95 latency doubled"
    last = _events(reg)[-1]
    assert last["type"] == "RolledBack" and (last["data"]["from_number"], last["data"]["to_number"]) == (2, 1)
    with pytest.raises(ConflictError, match="no previous version"):
        reg.as_user("carol").rollback("model:churn", reason="again")


def test_retire_keeps_content_loadable_and_blocks_promotion(reg: Any, clock: Any, dataset: Any) -> None:
    old = staged_model(reg, clock, 0.9)
    clock.advance(hours=5)
    new = staged_model(reg, clock, 0.92)
    with pytest.raises(PermissionDenied):
        reg.retire(old, reason="superseded")
    v = reg.as_user("carol").retire(old, reason="superseded by a better model", replaced_by=new)
    assert v.retired and v.stage is None
    assert reg.load(old) == {"w": [0.9]}
    served = _events(reg)[-1]["data"]["served"]
    assert [s["stage"] for s in served] == ["development", "staging"]
    assert served[1]["entered"] == "2026-01-01T00:00:00.000000Z"
    assert served[1]["left"] == "2026-01-01T05:00:00.000000Z"  # displaced when the new one reached staging
    assert _events(reg)[-1]["data"]["replaced_by"] == new
    with pytest.raises(ConflictError, match="never be promoted again"):
        reg.as_user("carol").promote(old, to="staging")
    with pytest.raises(ConflictError):
        reg.request_promotion(old, to="staging")
    assert reg.gates(old, to="staging").problem.startswith("the version is retired")
    assert bool(reg.versions("model:churn").set_index("version").loc[1, "retired"]) is True
    with pytest.raises(ConflictError, match="already retired"):
        reg.as_user("carol").retire(old, reason="again")


def test_forbidden_actions_change_nothing_but_are_recorded(reg: Any, dataset: Any) -> None:
    v = reg.save({"w": [1]}, "model:churn", metrics={"accuracy": 0.9}, inputs=["dataset:churn@1"])
    reg.promote(v.ref)
    before = json.dumps({k: reg.state[k] for k in ("assets", "requests", "policy")}, sort_keys=True)
    attempts = [
        lambda: reg.as_user("bob").promote(v.ref, to="staging"),  # reviewer may not promote
        lambda: reg.as_user("mallory").approve(v.ref, to="staging"),  # no roles at all
        lambda: reg.set_policy("version = 1\n"),  # alice may not change policy
        lambda: reg.as_user("bob").retire(v.ref, reason="x"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    after = json.dumps({k: reg.state[k] for k in ("assets", "requests", "policy")}, sort_keys=True)
    assert before == after
    denied = _events(reg)[-4:]
    assert [e["type"] for e in denied] == ["ActionDenied"] * 4
    assert [(e["actor"], e["data"]["action"]) for e in denied] == [
        ("bob", "promote"),
        ("mallory", "approve"),
        ("alice", "set_policy"),
        ("bob", "retire"),
    ]
    assert denied[1]["data"]["user_roles"] == [] and denied[1]["data"]["required_roles"] == [
        "reviewer",
        "release-manager",
    ]


def test_malformed_policy_is_rejected_with_its_line_and_the_old_one_stays(reg: Any) -> None:
    before, n = reg.policy().hash, len(_events(reg))
    bad = 'version = 1\n\n[[gates.staging]]\ntype = "metric"\nthreshold = "accuracy >>= 0.9"\n'
    with pytest.raises(PolicyError) as ei:
        reg.as_user("carol").set_policy(bad)
    assert ei.value.line == 5 and "bad threshold" in str(ei.value)
    assert reg.policy().hash == before and len(_events(reg)) == n


def test_set_policy_from_file_records_hash_and_previous(reg: Any, tmp_path: Any) -> None:
    path = tmp_path / "lifecycle.toml"
    path.write_text('version = 1\n[permissions]\nset_policy = ["release-manager"]\n')
    old = reg.policy().hash
    view = reg.as_user("carol").set_policy(str(path), reason="relax gates")
    assert view.hash != old and not view.is_default and view.set_by == "carol"
    last = _events(reg)[-1]
    assert last["type"] == "PolicySet" and last["data"]["previous"] == old and last["data"]["hash"] == view.hash
    with pytest.raises(Exception, match="not found"):
        reg.as_user("carol").set_policy(str(tmp_path / "missing.toml"))


def test_request_reject_and_supersede(reg: Any, clock: Any, dataset: Any) -> None:
    ref = staged_model(reg, clock, 0.9)
    req = reg.request_promotion(ref, to="production", reason="ready for release")
    assert req.status == "open" and req.requested_by == "alice"
    with pytest.raises(UsageInputError, match="needs a reason"):
        reg.as_user("bob").reject(ref)
    req = reg.as_user("bob").reject(ref, reason="calibration is off")  # `to` inferred from the open request
    assert req.status == "rejected" and req.to == "production" and req.rejected_by[0]["user"] == "bob"
    reg.as_user("carol").approve(ref, to="production")
    reg.as_user("dave").approve(ref, to="production")
    clock.advance(days=2)
    rep = reg.gates(ref, to="production")
    review = next(c for c in rep.checks if c.name == "review")
    assert review.status == "fail" and "rejected by bob" in review.message
    pend = reg.pending()
    row = pend[pend["ref"] == ref].iloc[0]
    assert row["kind"] == "request" and row["status"] == "rejected"
    with pytest.raises(GateFailed, match="review"):
        reg.as_user("carol").promote(ref, to="production", known_limitations="none")
    reg.request_promotion(ref, to="production", reason="recalibrated thresholds")
    assert reg.gates(ref, to="production").passed


def test_pending_lists_requests_and_completed_soak(reg: Any, clock: Any, dataset: Any) -> None:
    ref = staged_model(reg, clock, 0.9)
    pend = reg.pending()
    row = pend[pend["ref"] == ref].iloc[0]
    assert row["kind"] == "soak" and row["status"] == "soaking" and row["ready_at"] == "2026-01-02T00:00:00.000000Z"
    clock.advance(hours=25)
    pend = reg.pending()
    assert pend[pend["ref"] == ref].iloc[0]["status"] == "soak complete"
    reg.request_promotion(ref, to="production")
    pend = reg.pending()
    row = pend[pend["ref"] == ref].iloc[0]
    assert row["kind"] == "request" and row["status"] == "waiting"
    assert any("review: 0/2" in w for w in row["waiting_on"])


def test_audit_and_explain(reg: Any, clock: Any, dataset: Any) -> None:
    first = staged_model(reg, clock, 0.9)
    approve_all(reg, first)
    clock.advance(days=1)
    reg.as_user("carol").promote(first, to="production", reason="first release", known_limitations="none")
    second = staged_model(reg, clock, 0.93)
    approve_all(reg, second)
    clock.advance(days=1)
    reg.as_user("carol").promote(second, to="production", reason="better recall", known_limitations="none")
    df = reg.audit(second)
    assert list(df.columns) == [
        "seq",
        "time",
        "actor",
        "action",
        "ref",
        "from_stage",
        "to_stage",
        "reason",
        "policy_hash",
        "evidence",
    ]
    assert list(df["action"]) == [
        "VersionCreated",
        "VersionPromoted",
        "VersionPromoted",
        "PromotionRequested",
        "PromotionApproved",
        "PromotionApproved",
        "VersionPromoted",
    ]
    last = df.iloc[-1]
    assert (last["actor"], last["from_stage"], last["to_stage"], last["reason"]) == (
        "carol",
        "staging",
        "production",
        "better recall",
    )
    assert last["policy_hash"] == reg.policy().hash
    assert last["evidence"]["compare"]["evidence"]["accuracy >= production.accuracy - 0.005"]["against"] == first
    everything = reg.audit()
    assert everything.iloc[0]["action"] == "PolicySet" and len(everything) == len(_events(reg))
    assert set(reg.audit("model:churn")["ref"]) == {first, second}
    ex = reg.explain(second)
    assert ex.stage == "production" and ex.previous == first
    assert "replaced at production" in ex.previous_why
    assert ex.changes["metrics"] == {"accuracy": (0.9, 0.93)} and ex.changes["content_changed"]
    text = repr(ex)
    assert "approved promotion to production as reviewer" in text and "better recall" in text
    assert "metrics.accuracy: 0.9 -> 0.93" in text
    assert reg.explain("dataset:churn@1").previous is None


def test_verify_detects_a_tampered_approval(reg: Any, clock: Any, dataset: Any, tmp_path: Any) -> None:
    ref = staged_model(reg, clock, 0.9)
    request(reg, ref)
    reg.as_user("bob").approve(ref, to="production", reason="ok")
    assert reg.verify().ok
    ev = _events(reg)[-1]
    path = tmp_path / "reg" / "log" / "events" / "00000000" / f"{ev['seq']:012d}.json"
    forged = json.loads(path.read_text())
    forged["actor"] = "carol"  # pretend the release manager approved
    path.write_text(json.dumps(forged))
    rep = reg.verify()
    assert not rep.ok
    assert any("PromotionApproved" in p["problem"] and "does not match its hash" in p["problem"] for p in rep.problems)
    forged["hash"] = __import__("lifecycle_ext.core.events", fromlist=["event_hash"]).event_hash(forged)
    path.write_text(json.dumps(forged))  # recomputing the event's own hash breaks the chain after it
    reg.as_user("carol").approve(ref, to="production")
    rep = reg.verify()
    assert not rep.ok and any("chain broken" in p["problem"] for p in rep.problems)


def test_verify_detects_a_tampered_policy(reg: Any, tmp_path: Any) -> None:
    pol = reg.state["policy"]
    h = pol["blob"].split(":", 1)[1]
    path = tmp_path / "reg" / "blobs" / h[:2] / h[2:]
    text = path.read_bytes()
    assert b'"promote.production" = ["release-manager"]' in text
    path.write_bytes(text.replace(b'"promote.production" = ["release-manager"]', b'"promote.production" = ["*"]'))
    rep = reg.verify()
    assert not rep.ok
    assert [p for p in rep.problems if p["ref"] == "(policy)" and p["problem"].startswith("corrupt")]
    fresh = open_registry(tmp_path / "reg", user="alice")
    with pytest.raises(IntegrityError):
        fresh.policy()


def test_concurrent_registries_share_decisions(reg: Any, clock: Any, dataset: Any, tmp_path: Any) -> None:
    ref = staged_model(reg, clock, 0.9)
    other = open_registry(tmp_path / "reg", user="bob", clock=clock)  # another process on the same storage
    request(reg, ref)
    other.approve(ref, to="production")
    other.as_user("dave").approve(ref, to="production")
    reg.as_user("carol").approve(ref, to="production")
    clock.advance(days=1)
    v = reg.as_user("carol").promote(ref, to="production", known_limitations="none")
    assert v.stage == "production" and other.get("model:churn@production").ref == ref


def test_default_policy_lets_everybody_promote_in_order(tmp_path: Any) -> None:
    r = open_registry(tmp_path / "r", user="anyone")
    v = r.save([1, 2], "model:m")
    assert r.policy().is_default
    assert r.promote(v.ref).stage == "development"
    with pytest.raises(GateFailed):
        r.promote(v.ref, to="production", known_limitations="x")
    r.promote(v.ref)
    v = r.promote(v.ref, known_limitations="toy model")
    assert v.stage == "production" and r.deployment("model:m").policy_hash == r.policy().hash
    d = r.save({"a": 1}, "dataset:d")
    assert r.promote(d.ref).stage == "draft"


def test_html_reprs_escape_hostile_text(reg: Any, clock: Any, dataset: Any) -> None:
    hostile = "<script>alert(1)</script>"
    ref = staged_model(reg, clock, 0.9)
    request(reg, ref)
    reg.as_user("bob").approve(ref, to="production", reason=hostile)
    reg.as_user("dave").approve(ref, to="production", reason=hostile)
    reg.as_user("carol").approve(ref, to="production", reason=hostile)
    clock.advance(days=1)
    reg.as_user("carol").promote(ref, to="production", reason=hostile, known_limitations=hostile)
    for view in (
        reg.gates(ref, to="production"),
        reg.deployment(ref),
        reg.explain(ref),
        reg.policy(),
        reg.request_promotion(reg.save({"w": 9}, "model:churn").ref, to="development", reason=hostile),
    ):
        html = view._repr_html_()
        assert "<script>" not in html
    assert "&lt;script&gt;" in reg.deployment(ref)._repr_html_()


def test_checkpointed_state_equals_a_full_replay(tmp_path: Any, clock: Any) -> None:
    r = open_registry(tmp_path / "cp", user="carol", clock=clock, checkpoint_every=3)
    r.set_policy(POLICY)
    r.as_user("alice").save({"rows": [1]}, "dataset:churn", metadata={"licence": "MIT"})
    r.as_user("alice").promote("dataset:churn@1")
    r.as_user("alice").promote("dataset:churn@1", to="validated")
    ref = staged_model(r, clock, 0.9, author="alice")
    approve_all(r, ref)
    r.as_user("bob").reject(ref, to="production", reason="wait")
    clock.advance(days=1)
    r.as_user("carol").retire(ref, reason="obsolete")
    reopened = open_registry(tmp_path / "cp", user="carol", clock=clock)  # loads a checkpoint + tail
    problems, replayed = reopened.log.verify()
    assert problems == []
    assert json.dumps(reopened.state, sort_keys=True) == json.dumps(replayed, sort_keys=True)
    assert replayed["requests"][f"{ref}>production"]["rejected_by"][0]["user"] == "bob"
    assert list((tmp_path / "cp" / "log" / "checkpoints").iterdir())


def test_request_for_a_disallowed_move_is_refused_without_recording(reg: Any, dataset: Any) -> None:
    v = reg.save({"w": [1]}, "model:churn", metrics={"accuracy": 0.95})
    n = len(_events(reg))
    with pytest.raises(ConflictError, match="skips development"):
        reg.request_promotion(v.ref, to="staging")
    assert len(_events(reg)) == n
    with pytest.raises(UsageInputError, match="unknown stage 'prod'"):
        reg.gates(v.ref, to="prod")


def test_every_promotion_event_matches_the_event_schema(reg: Any, clock: Any, dataset: Any) -> None:
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("lifecycle_ext.schemas").joinpath("event.schema.json").read_text())
    first = staged_model(reg, clock, 0.91, author="dave")
    reg.as_user("alice").request_promotion(first, to="production", reason="ready")
    approve_all(reg, first)
    with pytest.raises(PermissionDenied):
        reg.as_user("bob").promote(first, to="production", known_limitations="x")
    with pytest.raises(GateFailed):
        reg.as_user("carol").promote(first, to="production", known_limitations="none")  # soak pending
    clock.advance(hours=25)
    reg.as_user("carol").promote(first, to="production", reason="go", known_limitations="weak on new users")
    second = staged_model(reg, clock, 0.92)
    reg.as_user("bob").reject(second, to="production", reason="needs more data")
    reg.as_user("alice").request_promotion(second, to="production", reason="more data added")
    approve_all(reg, second)
    clock.advance(hours=25)
    reg.as_user("carol").promote(second, to="production", reason="better", known_limitations="none known")
    reg.as_user("carol").rollback("model:churn", reason="latency regression")
    reg.as_user("carol").retire(second, reason="superseded", replaced_by=None)
    events = _events(reg)
    types = {e["type"] for e in events}
    assert {
        "PolicySet",
        "PromotionRequested",
        "PromotionApproved",
        "PromotionRejected",
        "VersionPromoted",
        "PromotionRefused",
        "ActionDenied",
        "RolledBack",
        "VersionRetired",
    } <= types
    for e in events:
        jsonschema.validate(e, schema)
    promoted = [e for e in events if e["type"] == "VersionPromoted" and e["data"].get("deployment")]
    assert promoted[-1]["data"]["deployment"]["rollback_to"] == first
