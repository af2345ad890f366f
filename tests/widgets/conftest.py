"""A small registry with a policy: alice builds, bob reviews, carol releases; hostile text in user fields."""

from __future__ import annotations

import pytest

from tests.support.policy import approvals, build_policy, metric

POLICY = build_policy(
    users={"alice": ["data-scientist", "release-manager"], "bob": ["reviewer"], "eve": []},
    permissions={
        "promote": ["data-scientist", "release-manager"],
        "request": ["data-scientist"],
        "approve": ["reviewer"],
        "reject": ["reviewer"],
        "set_policy": ["release-manager"],
    },
    gates={"staging": [metric("accuracy >= 0.8"), approvals("reviewer", 1, name="review")]},
)

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def built(tmp_path, make_registry, act_as):
    """(path, registry as alice): dataset -> model@1, model@2 (hostile note/metadata/params/reason)."""
    act_as("alice")
    path = tmp_path / "registry"
    reg = make_registry(path, user=None, policy=POLICY, policy_reason=HOSTILE)
    d = reg.save(
        {"rows": [1, 2, 3]},
        "dataset:churn",
        metadata={"source": HOSTILE, "licence": "MIT"},
        tags=["gold"],
        note=HOSTILE,
    )
    reg.save({"w": [0.1]}, "model:churn", inputs=[d.ref], params={"lr": 0.1}, metrics={"accuracy": 0.7})
    reg.save(
        {"w": [0.2]},
        "model:churn",
        inputs=[d.ref],
        params={"lr": HOSTILE},
        metrics={"accuracy": 0.9},
        metadata={"owner": HOSTILE},
        note=HOSTILE,
    )
    reg.promote("model:churn@1", "development", reason=HOSTILE)
    reg.promote("model:churn@2", "development", reason="first")
    reg.request_promotion("model:churn@2", "staging", reason="ready for review")  # approvals need a request
    return path, reg
