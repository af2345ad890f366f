"""Issue 14 bug 6: closed defaults once a policy has [permissions], no silent emptying of production, bounded
free text and metadata, deep nesting refused with a clear error."""

import pytest

from lifecycle_ext.core.errors import ConflictError, GateFailed, PermissionDenied, PolicyError, UsageInputError
from lifecycle_ext.core.limits import MAX_METADATA, MAX_TEXT
from tests.support.policy import build_policy, metric

POLICY = build_policy(
    users={"alice": ["data-scientist"], "carol": ["release-manager"], "victor": []},
    permissions={"promote": ["data-scientist", "release-manager"], "set_policy": ["release-manager"]},
    gates={"production": [metric("accuracy >= 0.9")]},
)


def _events(reg):
    return reg.state["seq"]


def test_unlisted_guarded_actions_are_denied_and_recorded(make_registry):
    reg = make_registry(user="carol", policy=POLICY)
    alice = reg.as_user("alice")
    alice.save({"w": 1}, "model:m", metrics={"accuracy": 0.5})
    alice.promote("model:m@1", "development", reason="start")
    with pytest.raises(PermissionDenied, match="nobody"):
        alice.promote("model:m@1", "staging", reason="x", force=True)
    with pytest.raises(PermissionDenied):
        reg.as_user("victor").retire("model:m@1", reason="mine now")
    with pytest.raises(PermissionDenied, match="promote to production"):
        alice.promote("model:m@1", "production", reason="x", known_limitations="none known")
    assert reg.audit("model:m@1").iloc[-1]["action"] == "ActionDenied"
    assert not reg.get("model:m@1").retired


def _deployed(make_registry):
    pol = build_policy(
        users={"carol": ["release-manager"]},
        permissions={
            "promote": ["release-manager"],
            "promote.production": ["release-manager"],
            "retire": ["release-manager"],
            "set_policy": ["release-manager"],
        },
        gates={"production": [metric("accuracy >= 0.9")]},
    )
    reg = make_registry(user="carol", policy=pol)
    for acc in (0.95, 0.97, 0.5):
        reg.save({"acc": acc}, "model:m", metrics={"accuracy": acc})
    reg.promote("model:m@1", "development", reason="dev")
    reg.promote("model:m@1", "staging", reason="stg")
    reg.promote("model:m@1", "production", reason="go", known_limitations="none known")
    reg.promote("model:m@2", "development", reason="dev")
    reg.promote("model:m@2", "staging", reason="stg")
    reg.promote("model:m@3", "development", reason="dev")
    return reg


def test_retiring_production_needs_a_replacement_or_allow_empty(make_registry):
    reg = _deployed(make_registry)
    before = _events(reg)
    with pytest.raises(ConflictError, match="leave production empty"):
        reg.retire("model:m@1", reason="bad")
    with pytest.raises(GateFailed, match="cannot enter production"):
        reg.retire("model:m@1", reason="bad", replaced_by="model:m@3")  # the replacement fails the gates
    record = reg.deployment("model:m")
    assert record.ref == "model:m@1"
    head = record.log_head  # the log head the promotion was decided on (issue 14, anchors)
    assert head["hash"] == reg.log.read_event(head["seq"])["hash"]
    assert _events(reg) == before
    reg.retire("model:m@1", reason="bad", replaced_by="model:m@2")
    assert reg.get("model:m@1").retired and reg.get("model:m@2").stage == "production"
    assert reg.verify().ok
    reg.retire("model:m@2", reason="withdrawn entirely", allow_empty=True)
    assert reg.get("model:m@2").retired and "production" not in reg.state["assets"]["model:m"]["stages"]


def test_size_limits_on_reasons_notes_and_metadata(reg):
    v = reg.save({"w": 1}, "model:m")
    before = _events(reg)
    with pytest.raises(UsageInputError, match=f"reason is 2,000,000 characters long; the limit is {MAX_TEXT:,}"):
        reg.retire(v.ref, reason="r" * 2_000_000)
    with pytest.raises(UsageInputError, match="metadata is .* bytes of JSON"):
        reg.save({"w": 2}, "model:m", metadata={"blob": "x" * (MAX_METADATA + 1)})
    deep: list = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(UsageInputError, match="nests more than"):
        reg.save({"w": 3}, "model:m", metadata={"deep": deep})
    assert _events(reg) == before


def test_deep_toml_is_a_policy_error(reg):
    text = "version = 1\nx = " + "[" * 100_000 + "]" * 100_000 + "\n"
    with pytest.raises(PolicyError):
        reg.set_policy(text, reason="deep")
    assert reg.policy().is_default
