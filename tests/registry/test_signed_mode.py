"""Issue 14: signed events. Every recorded action is attributable to a key holder; forged, rewritten, replayed,
unsigned and wrongly signed events are refused at write time when they go through the product, flagged by
verify() when written behind its back, and never counted by a gate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import lifecycle_ext
from lifecycle_ext.core.errors import PermissionDenied
from lifecycle_ext.core.events import canonical, make_event
from lifecycle_ext.registry import sigpool
from lifecycle_ext.registry.keys import create_key
from lifecycle_ext.storage.eventlog import event_key
from tests.support.policy import approvals, build_policy

PEOPLE = {"alice": ["data-scientist"], "bob": ["reviewer"], "carol": ["reviewer", "admin"], "mallory": ["reviewer"]}
PERMISSIONS = {
    "promote": ["data-scientist", "admin"],
    "request": ["data-scientist"],
    "approve": ["reviewer"],
    "reject": ["reviewer"],
    "set_policy": ["admin"],
}


def signed_policy(keys: dict[str, Any], *, drop: tuple[str, ...] = ()) -> str:
    return build_policy(
        users=PEOPLE,
        permissions=PERMISSIONS,
        keys={n: k.public for n, k in keys.items() if n not in drop},
        require_signatures=True,
        gates={"staging": [approvals("reviewer", count=2)]},
    )


@pytest.fixture(autouse=True, params=["inline", "parallel"])
def signature_checks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs twice: signatures checked one by one in the fold, and checked ahead in worker threads
    (``verify()``'s parallel pre-check, on from the first event, two threads even on one core or a busy machine)."""
    if request.param == "parallel":
        monkeypatch.setattr(sigpool.ParallelVerifier, "threshold", 0)
        monkeypatch.setattr(sigpool.ParallelVerifier, "chunk", 2)
        monkeypatch.setattr(sigpool, "workers", lambda: 2)
        monkeypatch.setattr(sigpool, "busy", lambda: False)
    else:
        monkeypatch.setattr(sigpool.ParallelVerifier, "threshold", 10**9)
    return str(request.param)


@pytest.fixture
def team(tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A registry under a signed policy; ``team.open(name)`` opens it with that person's key."""
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no default key from the real home
    keys = {n: create_key(n, tmp_path / "keys" / f"{n}.key") for n in PEOPLE}
    path = tmp_path / "registry"

    class Team:
        def __init__(self) -> None:
            self.keys, self.path = keys, path

        def open(self, name: str) -> Any:
            return lifecycle_ext.open_registry(path, clock=clock, signing_key=keys[name].path)

    t = Team()
    t.open("carol").set_policy(signed_policy(keys), reason="the team's signed policy")  # the trust root
    alice = t.open("alice")
    alice.save({"w": 1}, "model:m")
    alice.save({"w": 2}, "model:m")
    alice.promote("model:m@1", "development", reason="start")
    alice.request_promotion("model:m@1", "staging", reason="please review")
    return t


def approvals_counted(reg: Any, ref: str) -> int:
    reqs = [r for r in reg.state["requests"].values() if f"{r['asset']}@{r['number']}" == ref]
    return sum(len(r["approvals"]) for r in reqs)


def append_behind_the_back(path: Path, etype: str, actor: str, data: dict[str, Any], key: Any = None) -> dict:
    """Write the next event file directly (correct seq, prev and hash), optionally signed with ``key``."""
    seq = max(int(p.stem) for p in (path / "log" / "events").rglob("*.json")) + 1
    prev = json.loads((path / event_key(seq - 1)).read_text())["hash"]
    ev = make_event(seq, prev, etype, actor, "2026-01-02T00:00:00.000000Z", data)
    if key is not None:
        ev["signature"] = key.sign(ev["hash"])
    (path / event_key(seq)).write_bytes(canonical(ev))
    return ev


def problems(reg: Any) -> str:
    rep = reg.verify()
    assert not rep.ok
    return " | ".join(p["problem"] for p in rep.problems)


def test_signed_flow_verifies_and_acts_as_the_key_holder(team: Any) -> None:
    bob, carol = team.open("bob"), team.open("carol")
    assert bob.user == "bob" and carol.user == "carol"  # the name the policy binds to the loaded key
    bob.approve("model:m@1", "staging", reason="ok")
    carol.approve("model:m@1", "staging", reason="ok")
    assert bob.gates("model:m@1", "staging").passed
    team.open("alice").promote("model:m@1", "staging", reason="approved")
    rep = bob.verify()
    assert rep.ok, rep
    assert rep.unsigned == "0"  # the trust root: the first policy, judged by the default policy (no keys)


def test_forged_approval_events_are_flagged_and_never_counted(team: Any) -> None:
    data = {"asset": "model:m", "number": 1, "to": "staging", "reason": "lgtm", "roles": ["reviewer"]}
    append_behind_the_back(team.path, "PromotionApproved", "bob", data)  # unsigned
    append_behind_the_back(team.path, "PromotionApproved", "carol", data)
    reg = team.open("alice")
    assert approvals_counted(reg, "model:m@1") == 0
    assert not reg.gates("model:m@1", "staging").passed
    text = problems(reg)
    assert "PromotionApproved) by bob is unsigned" in text and "by carol is unsigned" in text


def test_a_rewrite_re_signed_by_another_member_is_flagged(team: Any) -> None:
    team.open("bob").approve("model:m@1", "staging", reason="ok")
    data = {"asset": "model:m", "number": 1, "to": "staging", "reason": "ok", "roles": ["reviewer"]}
    # mallory writes a second approval in carol's name, signed with her own (bound, valid) key
    append_behind_the_back(team.path, "PromotionApproved", "carol", data, key=team.keys["mallory"])
    reg = team.open("alice")
    assert approvals_counted(reg, "model:m@1") == 1 and not reg.gates("model:m@1", "staging").passed
    assert "does not verify against carol's key" in problems(reg) and "mallory's key" in problems(reg)


def test_a_replayed_approval_from_another_version_is_flagged(team: Any) -> None:
    ev = team.open("bob").approve("model:m@1", "staging", reason="ok")
    assert ev.status == "open"
    stored = max((team.path / "log" / "events").rglob("*.json"))
    original = json.loads(stored.read_text())
    forged = append_behind_the_back(team.path, "PromotionApproved", "bob", {**original["data"], "number": 2})
    # the signature bob made for version 1, copied onto the event about version 2
    (team.path / event_key(forged["seq"])).write_bytes(canonical({**forged, "signature": original["signature"]}))
    reg = team.open("alice")
    assert approvals_counted(reg, "model:m@2") == 0
    assert f"event {forged['seq']} (PromotionApproved) by bob: the signature does not verify" in problems(reg)


def test_a_removed_signature_is_flagged_and_the_event_not_counted(team: Any) -> None:
    team.open("bob").approve("model:m@1", "staging", reason="ok")
    stored = max((team.path / "log" / "events").rglob("*.json"))
    ev = json.loads(stored.read_text())
    del ev["signature"]  # the hash does not cover the signature: the chain stays intact
    stored.write_bytes(canonical(ev))
    reg = team.open("carol")
    assert approvals_counted(reg, "model:m@1") == 0
    assert "by bob is unsigned" in problems(reg)


def test_a_policy_change_by_a_non_admin(team: Any) -> None:
    bob = team.open("bob")
    with pytest.raises(PermissionDenied, match="bob may not set policy"):
        bob.set_policy(build_policy(users=PEOPLE, permissions={**PERMISSIONS, "set_policy": ["reviewer"]}))
    # behind the back: a correctly signed PolicySet by bob, pointing at an open policy blob
    text = build_policy(users={"bob": ["admin"]}, permissions={**PERMISSIONS, "approve": ["admin"]})
    blob, _ = bob.blobs.put(text.encode())
    from lifecycle_ext.core.policy import policy_hash

    before = bob.policy().hash
    append_behind_the_back(
        team.path,
        "PolicySet",
        "bob",
        {"hash": policy_hash(text), "blob": blob, "size": len(text), "reason": "x", "previous": before},
        key=team.keys["bob"],
    )
    reg = team.open("alice")
    assert reg.policy().hash == before  # the change does not count
    assert "a policy change by someone the policy before it does not allow" in problems(reg)


def test_a_revoked_key_is_refused_at_write_time_and_flagged_behind_the_back(team: Any) -> None:
    team.open("carol").set_policy(signed_policy(team.keys, drop=("bob",)), reason="bob's laptop was stolen")
    assert team.open("bob").user != "bob"  # the key no longer names anybody
    with pytest.raises(PermissionDenied, match="binds no key to bob"):
        team.open("bob").as_user("bob").approve("model:m@1", "staging", reason="ok")
    assert team.open("alice").verify().refused == 1
    data = {"asset": "model:m", "number": 1, "to": "staging", "reason": "ok", "roles": ["reviewer"]}
    append_behind_the_back(team.path, "PromotionApproved", "bob", data, key=team.keys["bob"])
    reg = team.open("alice")
    assert approvals_counted(reg, "model:m@1") == 0
    assert "binds no key to bob" in problems(reg)


@pytest.mark.parametrize("how", ["env", "as_user"])
def test_claiming_another_name_is_refused_and_recorded(team: Any, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    if how == "env":
        monkeypatch.setenv("LIFECYCLE_USER", "bob")
        reg = team.open("mallory")
    else:
        reg = team.open("mallory").as_user("bob")
    assert reg.user == "bob"
    seq = reg.state["seq"]
    with pytest.raises(PermissionDenied, match="does not verify against bob's key"):
        reg.approve("model:m@1", "staging", reason="trust me")
    assert reg.state["seq"] == seq and approvals_counted(reg, "model:m@1") == 0
    refused = reg.log.refusals()
    assert refused[-1]["claimed_actor"] == "bob" and refused[-1]["key"] == team.keys["mallory"].fingerprint


def test_a_process_without_a_key_cannot_write(team: Any, clock: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    reg = lifecycle_ext.open_registry(team.path, clock=clock)
    with pytest.raises(PermissionDenied, match="unsigned"):
        reg.save({"w": 3}, "model:m")
    assert len(reg.state["assets"]["model:m"]["versions"]) == 2


def test_unsigned_registries_work_as_before_and_verify_names_unsigned_events(reg: Any) -> None:
    reg.save({"w": 1}, "model:m")
    reg.tag("model:m@1", "x")
    rep = reg.verify()
    assert rep.ok and rep.unsigned == "0-1"


def test_a_re_digested_checkpoint_is_not_trusted_under_require_signatures(team: Any, clock: Any) -> None:
    alice = lifecycle_ext.open_registry(team.path, clock=clock, signing_key=team.keys["alice"].path, checkpoint_every=3)
    while alice.state["seq"] < 8:
        alice.save({"w": alice.state["seq"]}, "model:c", metrics={"acc": 0.5})
    cp_path = sorted((team.path / "log" / "checkpoints").iterdir())[-1]
    cp = json.loads(cp_path.read_text())
    assert cp["signature"]["key"] == team.keys["alice"].fingerprint
    asset = json.loads(cp["state"]["assets"]["model:c"])
    asset["versions"][0]["metrics"]["acc"] = 0.99
    cp["state"]["assets"]["model:c"] = json.dumps(asset)
    from lifecycle_ext.storage.eventlog import checkpoint_digest

    cp["digest"] = checkpoint_digest(cp)  # an adversary recomputes the digest, but cannot re-sign it
    cp_path.write_text(json.dumps(cp))
    again = team.open("bob")
    assert again.get("model:c@1").metrics["acc"] == 0.5
    assert not again.verify().ok  # the checkpoint differs from a full replay


def test_verify_checks_signatures_ahead_in_parallel_with_the_same_verdicts(team: Any, signature_checks: str) -> None:
    """The parallel pre-check gives the verdicts (not only the inline check), and a forged, a wrongly keyed and a
    replayed signature among many good ones are still each named."""
    bob = team.open("bob")
    for i in range(20):
        bob.tag("model:m@1", f"t{i}")
    good = json.loads(max((team.path / "log" / "events").rglob("*.json")).read_text())
    data = {"asset": "model:m", "number": 1, "tag": "x"}
    wrong_key = append_behind_the_back(team.path, "TagAdded", "bob", data, key=team.keys["mallory"])
    forged = append_behind_the_back(team.path, "TagAdded", "bob", data, key=team.keys["bob"])
    forged_sig = dict(forged["signature"], value=good["signature"]["value"])  # bob's real signature, copied
    (team.path / event_key(forged["seq"])).write_bytes(canonical({**forged, "signature": forged_sig}))
    for i in range(5):
        append_behind_the_back(team.path, "TagAdded", "bob", {**data, "tag": f"y{i}"}, key=team.keys["bob"])
    reg = team.open("alice")
    text = problems(reg)
    assert f"event {wrong_key['seq']} (TagAdded) by bob: the signature does not verify" in text
    assert "(it names mallory's key)" in text
    assert f"event {forged['seq']} (TagAdded) by bob: the signature does not verify" in text
    assert len(reg.verify().problems) == 2  # the good ones around them verify
    check = reg.context.log.admission
    if signature_checks == "parallel":
        assert check.checked_ahead > 20
    else:
        assert check.checked_ahead == 0


def test_a_busy_machine_checks_signatures_inline(team: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """With no core to spare, worker threads would only compete with the fold: verify() checks inline."""
    monkeypatch.setattr(sigpool.ParallelVerifier, "threshold", 0)
    monkeypatch.setattr(sigpool, "workers", lambda: 2)
    monkeypatch.setattr(sigpool, "busy", lambda: True)
    reg = team.open("bob")
    assert reg.verify().ok
    assert reg.context.log.admission.checked_ahead == 0
