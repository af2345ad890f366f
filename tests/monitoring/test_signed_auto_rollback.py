"""Issue 14: under ``require_signatures = true`` an automatic rollback on a drift alert is signed by the principal
whose recorded batch raised the alert (a person or a CI bot, with their key), recorded as automatic with the rule
that fired, and counted: it takes effect, survives reopening and verifies. (It used to be written by a keyless
``policy`` actor, and refused.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import lifecycle_ext
from lifecycle_ext.registry.keys import create_key
from tests.support.monitor_data import frame
from tests.support.policy import build_policy

ROLES = {"carol": ["admin"], "alice": ["data-scientist"], "ci": ["monitor-bot"], "policy": ["operator"]}


@pytest.fixture
def signed_prod(tmp_path: Path, clock: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """model:churn@1 then @2 deployed to production under a signed policy whose alerts roll back."""
    monkeypatch.delenv("LIFECYCLE_USER", raising=False)
    monkeypatch.delenv("LIFECYCLE_KEY", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    keys = {n: create_key(n, tmp_path / "keys" / f"{n}.key") for n in ("carol", "alice", "ci")}
    path = tmp_path / "registry"

    def open_as(name: str) -> Any:
        return lifecycle_ext.open_registry(path, clock=clock, signing_key=keys[name].path)

    open_as("carol").set_policy(
        build_policy(
            users=ROLES,
            keys={n: k.public for n, k in keys.items()},
            require_signatures=True,
            permissions={
                "promote": ["data-scientist"],
                "promote.production": ["data-scientist"],
                "rollback": ["operator"],
                "set_policy": ["admin"],
            },
            monitoring={"on_alert": "rollback"},
        ),
        reason="signed team policy",
    )
    alice = open_as("alice")
    alice.save(frame(20_000, seed=1), "dataset:train")
    for w in (1, 2):
        alice.save({"w": w}, "model:churn", inputs=["dataset:train@1"])
        for stage in ("development", "staging", "production"):
            alice.promote(
                f"model:churn@{w}",
                to=stage,
                reason="ok",
                known_limitations="none known" if stage == "production" else None,
            )
    assert alice.state["assets"]["model:churn"]["stages"]["production"] == 2
    return open_as, keys


def test_an_automatic_rollback_is_signed_by_whoever_recorded_the_batch(signed_prod: Any) -> None:
    open_as, keys = signed_prod
    ci = open_as("ci")  # the CI bot that records production batches, with its own key
    assert ci.user == "ci"
    bad = ci.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert bad.level == "alert" and bad.response == "rollback"
    assert bad.outcome == "rolled back model:churn to version 1"
    events = list(ci.log.events())
    assert [e["type"] for e in events[-3:]] == ["BatchMonitored", "AlertRaised", "RolledBack"]
    rolled = events[-1]
    assert rolled["actor"] == "ci" and rolled["signature"]["key"] == keys["ci"].fingerprint
    assert rolled["data"]["automatic"] == {
        "rule": 'monitoring.on_alert = "rollback" (stage production)',
        "alert_seq": bad.alert_seq,
    }
    assert f"monitoring alert (event {bad.alert_seq})" in rolled["data"]["reason"]
    # counted: every reader (a fresh open by somebody else) sees production rolled back, and verify() is clean
    alice = open_as("alice")
    assert alice.state["assets"]["model:churn"]["stages"]["production"] == 1
    assert not alice.state.get("uncounted")
    rep = alice.verify()
    assert rep.ok, rep
    assert rep.unsigned == "0"  # only the trust root
    assert not alice.context.log.refusals()


def test_the_rule_authorises_the_rollback_not_the_recorders_roles(signed_prod: Any) -> None:
    """ci may not roll back by hand (it has no operator role); the policy's rule does it on an alert."""
    open_as, _ = signed_prod
    ci = open_as("ci")
    with pytest.raises(lifecycle_ext.PermissionDenied, match="ci may not rollback"):
        ci.rollback("model:churn", reason="by hand")
    assert ci.state["assets"]["model:churn"]["stages"]["production"] == 2
    ci.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert open_as("carol").state["assets"]["model:churn"]["stages"]["production"] == 1
