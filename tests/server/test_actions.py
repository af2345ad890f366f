"""The promotion routes: the REST API can do exactly what the service allows the Jupyter user to do."""

from __future__ import annotations

import pytest

import lifecycle_ext
from tests.support.policy import team_policy

POLICY = team_policy(permissions={"force": None})  # the team policy, force left open to all


@pytest.fixture
def registry_path(registry_path, make_registry):
    reg = make_registry(registry_path, user="carol", policy=POLICY, policy_reason="tests")
    reg.as_user("alice").promote("model:churn@1", to="development", reason="first cut")
    return registry_path


async def post(api, openapi, route, user, status, **body):
    code, out = await api(route, user=user, body=body)
    assert code == status, out
    openapi.validate(route, "POST", status, out)
    return out


async def test_gates_permissions_request_approve_promote(api, openapi, registry_path):
    code, rep = await api("gates", params={"ref": "model:churn@1", "to": "staging"})
    assert code == 200
    openapi.validate("gates", "GET", 200, rep)
    assert rep["passed"] is False and {c["status"] for c in rep["checks"]} == {"pass", "pending"}

    code, perms = await api("permissions", user="bob", params={"ref": "model:churn@1"})
    openapi.validate("permissions", "GET", 200, perms)
    assert perms["stages"] == ["staging", "production"] and perms["to"] == "staging"
    assert perms["actions"]["approve"] == {
        "allowed": False,
        "reason": "no open promotion request for model:churn@1 to staging; request_promotion first",
    }
    assert not perms["actions"]["promote"]["allowed"] and "data-scientist" in perms["actions"]["promote"]["reason"]
    _, mine = await api("permissions", user="alice", params={"ref": "model:churn@1", "to": "staging"})
    assert not mine["actions"]["approve"]["allowed"]  # role, and the author may not approve her own version

    await post(api, openapi, "request_promotion", "alice", 200, ref="model:churn@1", to="staging", reason="ready")
    _, perms = await api("permissions", user="bob", params={"ref": "model:churn@1"})
    assert perms["actions"]["approve"] == {"allowed": True, "reason": ""}  # a request is open now
    code, pend = await api("pending")
    openapi.validate("pending", "GET", 200, pend)
    assert [(p["ref"], p["to"]) for p in pend["pending"]] == [("model:churn@1", "staging")]

    denied = await post(api, openapi, "approve", "victor", 403, ref="model:churn@1", to="staging", reason="me?")
    assert "victor" in denied["message"] and denied["error"] == "PermissionDenied"
    failed = await post(api, openapi, "promote", "alice", 422, ref="model:churn@1", to="staging", reason="now")
    assert failed["report"]["passed"] is False and any(c["status"] != "pass" for c in failed["report"]["checks"])

    await post(api, openapi, "approve", "bob", 200, ref="model:churn@1", to="staging", reason="<b>looks good</b>")
    out = await post(api, openapi, "promote", "alice", 200, ref="model:churn@1", to="staging", reason="gates pass")
    _, rec = await api("get", params={"ref": "model:churn@1"})
    assert rec["stage"] == "staging" and out["seq"] >= 0

    code, audit = await api("audit", params={"ref": "model:churn@1"})
    openapi.validate("audit", "GET", 200, audit)
    reasons = [e["reason"] for e in audit["events"]]
    assert "<b>looks good</b>" in reasons and any(e["actor"] == "victor" for e in audit["events"])  # denial kept


async def test_reject_production_rollback_and_retire(api, openapi, registry_path, clock):
    reg = lifecycle_ext.open_registry(registry_path, user="alice", clock=clock)
    reg.save({"w": [0.5]}, "model:churn", metrics={"accuracy": 0.97}, inputs=["dataset:churn@2"])
    for n in (1, 2):
        if n == 2:
            reg.promote(f"model:churn@{n}", to="development", reason="dev")
        reg.request_promotion(f"model:churn@{n}", to="staging", reason="r")
        reg.as_user("bob").approve(f"model:churn@{n}", to="staging", reason="ok")
        reg.promote(f"model:churn@{n}", to="staging", reason="s")
        reg.as_user("carol").promote(
            f"model:churn@{n}", to="production", reason="p", known_limitations="tested on EU data only"
        )
    out = await post(api, openapi, "reject", "alice", 403, ref="model:churn@2", to="production", reason="no")
    assert "alice" in out["message"]
    _, rec = await api("get", params={"ref": "model:churn@2"})
    assert rec["stage"] == "production" and rec["deployment"] is not None
    await post(api, openapi, "rollback", "alice", 403, name="model:churn", reason="bad")
    await post(api, openapi, "rollback", "carol", 200, name="model:churn", reason="latency regression")
    _, assets = await api("assets")
    assert {a["asset"]: a for a in assets["assets"]}["model:churn"]["stages"]["production"] == 1
    await post(api, openapi, "retire", "carol", 200, ref="model:churn@2", reason="superseded", replaced_by=None)
    _, rec = await api("get", params={"ref": "model:churn@2"})
    assert rec["retired"] is True
    _, perms = await api("permissions", user="carol", params={"ref": "model:churn@2"})
    assert perms["stages"] == [] and not perms["actions"]["promote"]["allowed"]
    out = await post(
        api,
        openapi,
        "promote",
        "carol",
        409,
        ref="model:churn@2",
        to="production",
        reason="again",
        known_limitations="none known",
    )
    assert "retired" in out["message"]


async def test_action_errors(api, openapi, registry_path):
    await post(api, openapi, "promote", "alice", 404, ref="model:ghost@1", to="staging", reason="x")
    await post(api, openapi, "promote", "alice", 400, ref="model:churn@1", to="moon", reason="x")
    out = await post(
        api, openapi, "promote", "alice", 400, ref="model:churn@1", to="staging", reason="x", known_limitations=3
    )
    assert "known_limitations" in out["message"]
    out = await post(api, openapi, "rollback", "carol", 409, name="model:churn", reason="nothing deployed")
    assert "nothing to roll back" in out["message"]
    # `to` is optional on every surface (issue 13): the next stage, as on the CLI and in the notebook
    code, body = await api("gates", params={"ref": "model:churn@1"})
    assert code == 200 and body["to"] == "staging"
    openapi.validate("gates", "GET", 200, body)
