"""Issue 16: stages behave as a reviewer expects: displacement is named, orphaned requests are closed, approvals
need an open request and count once per (normalised) person, and an unchanged re-run makes no new version."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from lifecycle_ext.core.errors import ConflictError
from tests.support.policy import TEAM_PERMISSIONS, approvals, build_policy
from tests.support.users import ALICE, BOB, CAROL, DAVE

POLICY = build_policy(
    users=(ALICE, BOB, CAROL, DAVE),
    permissions={**TEAM_PERMISSIONS, "approve": ["reviewer", "release-manager"]},
    gates={"production": [approvals("reviewer", 2)]},
)


@pytest.fixture
def reg(tmp_path: Any, make_registry: Any) -> Any:
    return make_registry(tmp_path / "reg", user="alice", policy=POLICY, policy_by="carol", policy_reason="team")


def staged(reg: Any, value: float) -> str:
    v = reg.save(np.full(3, value), "model:m")
    reg.promote(v.ref, to="development", reason="try")
    reg.promote(v.ref, to="staging", reason="candidate")
    return v.ref


def test_promotion_names_the_version_it_displaces(reg: Any) -> None:
    first = staged(reg, 1.0)
    second = reg.save(np.full(3, 2.0), "model:m").ref
    reg.promote(second, to="development", reason="try")
    got = reg.promote(second, to="staging", reason="better")
    assert got.displaced == first
    assert f"displaces {first} from staging" in repr(got)
    ev = [e for e in reg.context.log.events() if e["type"] == "VersionPromoted"][-1]
    assert ev["data"]["replaced"] == 1
    rows = reg.audit("model:m")  # the asset's audit trail shows what the promotion displaced
    last = rows[rows.action == "VersionPromoted"].iloc[-1]
    assert last.evidence["displaced"] == {"ref": first, "from": "staging", "by": second}
    assert f"displacing {first}" in repr(reg.explain(second))
    assert reg.promote(first, to="development", reason="back").displaced is None  # development was empty


def test_displacing_closes_the_displaced_versions_requests_and_approvals(reg: Any) -> None:
    first = staged(reg, 1.0)
    reg.request_promotion(first, to="production", reason="ready")
    reg.as_user("bob").approve(first, to="production", reason="ok")
    reg.as_user("carol").approve(first, to="production", reason="ok")
    assert list(reg.pending()["ref"]) == [first]
    second = staged(reg, 2.0)
    assert first not in list(reg.pending()["ref"])
    req = reg.state["requests"][f"{first}>production"]
    assert req["status"] == "closed"
    assert req["closed"]["reason"] == f"{first} was displaced from staging by {second}"
    promoted = [e for e in reg.context.log.events() if e["type"] == "VersionPromoted"][-1]
    assert promoted["data"]["closed_requests"] == [f"{first}>production"]
    with pytest.raises(ConflictError, match="no open promotion request"):
        reg.as_user("dave").approve(first, to="production", reason="late")


def test_approval_needs_an_open_request(reg: Any) -> None:
    ref = staged(reg, 1.0)
    with pytest.raises(ConflictError, match="no open promotion request for model:m@1 to production"):
        reg.as_user("bob").approve(ref, to="production", reason="eager")
    assert f"{ref}>production" not in reg.state.get("requests", {})
    bob = reg.as_user("bob")
    got = bob.permissions(ref, to="production")["actions"]["approve"]
    assert got == {
        "allowed": False,
        "reason": f"no open promotion request for {ref} to production; request_promotion first",
    }
    reg.request_promotion(ref, to="production", reason="ready")
    assert bob.permissions(ref, to="production")["actions"]["approve"] == {"allowed": True, "reason": ""}


def test_policy_may_accept_approvals_without_a_request(tmp_path: Any, make_registry: Any) -> None:
    text = POLICY + "[approvals]\nrequire_request = false\n"
    r = make_registry(tmp_path / "r2", user="alice", policy=text, policy_by="carol", policy_reason="team")
    ref = staged(r, 1.0)
    assert r.as_user("bob").approve(ref, to="production", reason="ok").approvals[0]["user"] == "bob"


def test_approvals_are_shown_once_per_person_and_names_are_normalised(reg: Any) -> None:
    ref = staged(reg, 1.0)
    reg.request_promotion(ref, to="production", reason="ready")
    reg.as_user("bob").approve(ref, to="production", reason="first look")
    req = reg.as_user(" bob ").approve(ref, to="production", reason="second look")
    assert [a["user"] for a in req.approvals] == ["bob"]
    assert req.approvals[0]["reason"] == "second look"
    assert list(reg.pending()["approved_by"])[0] == ["bob"]
    check = next(c for c in reg.gates(ref, to="production").checks if c.type == "approvals")
    assert check.status == "pending" and check.evidence["approved_by"] == ["bob"]


def test_policy_user_names_are_normalised(tmp_path: Any, make_registry: Any) -> None:
    text = POLICY.replace("bob = [", '" bob " = [')
    assert '" bob "' in text
    r = make_registry(tmp_path / "r3", user="alice", policy=text, policy_by="carol", policy_reason="team")
    ref = staged(r, 1.0)
    r.request_promotion(ref, to="production", reason="ready")
    r.as_user("bob").approve(ref, to="production", reason="ok")
    check = next(c for c in r.gates(ref, to="production").checks if c.type == "approvals")
    assert check.evidence["approved_by"] == ["bob"] and check.evidence["ignored"] == {}
