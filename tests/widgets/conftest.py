"""A small registry with a policy: alice builds, bob reviews, carol releases; hostile text in user fields."""

from __future__ import annotations

import pytest

import lifecycle_ext

POLICY = """\
version = 1

[stages]
default = ["development", "staging", "production"]
dataset = ["draft", "validated", "production"]

[users]
alice = ["data-scientist", "release-manager"]
bob = ["reviewer"]
eve = []

[permissions]
promote = ["data-scientist", "release-manager"]
request = ["data-scientist"]
approve = ["reviewer"]
reject = ["reviewer"]
set_policy = ["release-manager"]

[[gates.staging]]
type = "metric"
kinds = ["model"]
threshold = "accuracy >= 0.8"

[[gates.staging]]
name = "review"
type = "approvals"
kinds = ["model"]
role = "reviewer"
count = 1
"""

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'


@pytest.fixture
def built(tmp_path, clock, monkeypatch):
    """(path, registry as alice): dataset -> model@1, model@2 (hostile note/metadata/params/reason)."""
    monkeypatch.setenv("LIFECYCLE_USER", "alice")
    path = tmp_path / "registry"
    reg = lifecycle_ext.open_registry(path, clock=clock)
    reg.set_policy(POLICY, reason=HOSTILE)
    d = reg.save({"rows": [1, 2, 3]}, "dataset:churn", metadata={"source": HOSTILE, "licence": "MIT"},
                 tags=["gold"], note=HOSTILE)
    reg.save({"w": [0.1]}, "model:churn", inputs=[d.ref], params={"lr": 0.1}, metrics={"accuracy": 0.7})
    reg.save({"w": [0.2]}, "model:churn", inputs=[d.ref], params={"lr": HOSTILE}, metrics={"accuracy": 0.9},
             metadata={"owner": HOSTILE}, note=HOSTILE)
    reg.promote("model:churn@1", "development", reason=HOSTILE)
    reg.promote("model:churn@2", "development", reason="first")
    return path, reg
