"""Monitoring wired into promotion: policy responses, the drift gate, revalidation, explain."""

import numpy as np
import pytest

from lifecycle_ext.core.errors import GateFailed, PolicyError
from tests.support.monitor_data import frame
from tests.support.policy import build_policy, gate


def _deploy(reg, ref):
    for stage in ("development", "staging", "production"):
        reg.promote(ref, to=stage, reason="ok", known_limitations="none known" if stage == "production" else None)


@pytest.fixture
def prod(reg):
    """model:churn@1 then @2 deployed to production (rollback pointer -> @1), trained on dataset:train@1."""
    reg.save(frame(20_000, seed=1), "dataset:train")
    reg.save({"w": 1}, "model:churn", inputs=["dataset:train@1"])
    reg.save({"w": 2}, "model:churn", inputs=["dataset:train@1"])
    _deploy(reg, "model:churn@1")
    _deploy(reg, "model:churn@2")
    return reg


def _types(reg):
    return [e["type"] for e in reg.log.events()]


def test_policy_rollback_on_alert_restores_previous_production_version(prod):
    prod.set_policy(build_policy(monitoring={"on_alert": "rollback"}), reason="auto rollback")
    ok = prod.monitor("model:churn", frame(5_000, seed=2))
    assert ok.level == "ok" and ok.ref == "model:churn@2"
    assert prod.state["assets"]["model:churn"]["stages"]["production"] == 2
    bad = prod.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert bad.level == "alert" and bad.response == "rollback" and bad.outcome == "rolled back model:churn to version 1"
    assert prod.state["assets"]["model:churn"]["stages"]["production"] == 1
    rolled = [e for e in prod.log.events() if e["type"] == "RolledBack"]
    # recorded by whoever recorded the batch (alice here), as an automatic response naming the rule that fired
    assert len(rolled) == 1 and rolled[0]["actor"] == "alice"
    assert rolled[0]["data"]["automatic"]["alert_seq"] == bad.alert_seq
    assert 'on_alert = "rollback"' in rolled[0]["data"]["automatic"]["rule"]
    assert f"event {bad.alert_seq}" in rolled[0]["data"]["reason"]
    assert _types(prod)[-3:] == ["BatchMonitored", "AlertRaised", "RolledBack"]
    audit = prod.audit("model:churn@2")
    row = audit[audit["actor"] == "alice"].iloc[-1]
    assert row["evidence"]["automatic"]["alert_seq"] == bad.alert_seq
    assert prod.health("churn").ref == "model:churn@1"


def test_record_response_leaves_production_alone(prod):
    prod.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert prod.state["assets"]["model:churn"]["stages"]["production"] == 2
    assert "RolledBack" not in _types(prod)


def test_revalidation_blocks_promotion_until_cleared(reg):
    reg.set_policy(build_policy(monitoring={"on_alert": "revalidate", "stage": "staging"}))
    reg.save(frame(20_000, seed=1), "dataset:train")
    reg.save({"w": 1}, "model:churn", inputs=["dataset:train@1"])
    reg.promote("model:churn@1", to="development", reason="ok")
    reg.promote("model:churn@1", to="staging", reason="ok")
    r = reg.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert r.response == "revalidate" and reg.revalidation_required("model:churn@1")
    with pytest.raises(GateFailed, match="revalidation"):
        reg.promote("model:churn@1", to="production", reason="ship", known_limitations="none known")
    assert "PromotionRefused" in _types(reg)
    reg.clear_revalidation("model:churn@1", reason="retrained features checked; drift is seasonal")
    assert not reg.revalidation_required("model:churn@1") and reg.health("churn").open_alerts == []
    reg.promote("model:churn@1", to="production", reason="ship", known_limitations="none known")
    assert reg.state["assets"]["model:churn"]["stages"]["production"] == 1


def test_drift_gate_blocks_challenger_trained_on_stale_data(prod):
    prod.set_policy(build_policy(gates={"production": [gate("drift", max_psi=0.25, window=2)]}))
    for i in range(2):
        prod.monitor("model:churn", frame(5_000, seed=10 + i, shift=1.0))  # traffic has moved
    prod.save({"w": 3}, "model:churn", inputs=["dataset:train@1"])  # stale training data
    prod.save(frame(20_000, seed=5, shift=1.0), "dataset:train")  # fresh data like the traffic
    prod.save({"w": 4}, "model:churn", inputs=["dataset:train@2"])
    stale = prod.gates("model:churn@3", to="production")
    check = next(c for c in stale.checks if c.type == "drift")
    assert check.status == "fail" and "income" in check.message and check.evidence["batches"]
    assert check.evidence["psi"]["income"] > 0.25 and check.evidence["baseline"] == "dataset:train@1"
    fresh = next(c for c in prod.gates("model:churn@4", to="production").checks if c.type == "drift")
    assert fresh.status == "pass" and max(fresh.evidence["psi"].values()) < 0.25


def test_drift_gate_without_traffic_follows_missing_option(reg):
    reg.set_policy(build_policy(gates={"staging": [gate("drift", stage="production", missing="pending")]}))
    reg.save(frame(1_000, seed=1), "dataset:train")
    reg.save({"w": 1}, "model:churn", inputs=["dataset:train@1"])
    reg.promote("model:churn@1", to="development", reason="ok")
    check = next(c for c in reg.gates("model:churn@1", to="staging").checks if c.type == "drift")
    assert check.status == "pending" and "no monitored production traffic" in check.message


def test_latency_and_error_targets_from_policy(prod):
    prod.set_policy(
        build_policy(
            monitoring={"latency_p95_ms": {"warn": 40, "alert": 50}, "error_rate": {"warn": 0.01, "alert": 0.05}}
        )
    )
    r = prod.monitor("model:churn", frame(1_000, seed=2), latency_ms=np.full(1_000, 45.0), errors=60)
    got = {f["metric"]: f["level"] for f in r.findings}
    assert got == {"latency_p95_ms": "warn", "error_rate": "alert"}
    ev = [e for e in prod.log.events() if e["type"] == "BatchMonitored"][-1]
    assert ev["data"]["policy_hash"] == prod.policy().hash


def test_bad_monitoring_section_is_rejected_with_its_line(prod):
    before = prod.policy().hash
    with pytest.raises(PolicyError, match="on_alert") as exc:
        prod.set_policy(build_policy(monitoring={"on_alert": "panic"}))
    assert exc.value.line == 6 and prod.policy().hash == before  # the on_alert line
    with pytest.raises(PolicyError, match="max_psi"):
        prod.set_policy(build_policy(gates={"production": [gate("drift", max_psi=-1)]}))


def test_rollback_response_needs_policy_user_allowed_to_roll_back(prod):
    def text(users):
        return build_policy(
            users=users,
            permissions={"rollback": ["operator"], "set_policy": ["admin"]},
            monitoring={"on_alert": "rollback"},
        )

    with pytest.raises(PolicyError, match="user 'policy'"):
        prod.set_policy(text({"alice": ["admin"]}))
    prod.set_policy(text({"alice": ["admin"], "policy": ["operator"]}))
    prod.monitor("model:churn", frame(5_000, seed=3, shift=1.0))
    assert prod.state["assets"]["model:churn"]["stages"]["production"] == 1


def test_explain_shows_reviews(prod):
    prod.review(
        "model:churn@2",
        summary="income drift after launch",
        lessons=["monitor income weekly"],
        criteria_changes=["psi alert 0.2"],
    )
    ex = prod.explain("model:churn@2")
    assert "income drift after launch" in repr(ex) and "income drift after launch" in ex._repr_html_()
    assert ex.reviews[0]["lessons"] == ["monitor income weekly"]
