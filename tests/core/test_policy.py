"""Policy parsing and validation: line numbers for every kind of error, stage order, roles."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lifecycle_ext.core.errors import PolicyError
from lifecycle_ext.core.policy import DEFAULT_POLICY_TEXT, default_policy, parse_policy, policy_hash

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


def _doc_example() -> str:
    blocks = re.findall(r"```toml\n(.*?)```", DOC.read_text(), re.S)
    return max(blocks, key=len)


def test_documented_full_example_parses() -> None:
    p = parse_policy(_doc_example())
    assert p.stages_for("model") == ("development", "staging", "production")
    assert p.stages_for("dataset") == ("draft", "validated", "production")
    assert [c.name for c in p.gates_for("production", "model")] == [
        "compare",
        "review",
        "release sign-off",
        "soak",
        "integrity",
        "schema",
    ]
    assert [c.type for c in p.gates_for("production", "dataset")] == ["integrity"]
    assert p.roles_of("carol") == ("reviewer", "release-manager", "viewer")
    assert p.allows("carol", "promote", "production") and not p.allows("alice", "promote", "production")
    assert p.allows("alice", "promote", "staging")
    assert p.hash == policy_hash(_doc_example())


def test_default_policy_lets_everybody_do_everything() -> None:
    p = default_policy()
    assert p.text == DEFAULT_POLICY_TEXT
    assert p.gates == {}
    for action in ("promote", "approve", "rollback", "retire", "set_policy", "force"):
        assert p.allows("anyone-at-all", action, "production")
    assert p.next_stage("model", None) == "development"
    assert p.deploy_stage("dataset") == "production"


def test_syntax_error_names_the_line() -> None:
    text = 'version = 1\n[stages]\ndefault = ["a", "b"\n'
    with pytest.raises(PolicyError) as ei:
        parse_policy(text)
    assert ei.value.line in (3, 4)
    assert "not valid TOML" in str(ei.value) and str(ei.value).startswith(f"line {ei.value.line}:")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('version = 1\n\n[[gates.staging]]\ntype = "metrik"\n', 4, "unknown check type 'metrik'"),
        ('version = 1\n[[gates.staging]]\ntype = "metric"\n\nthreshold = "accuracy >= high"\n', 5, "not a number"),
        ('version = 1\n[[gates.staging]]\ntype = "metric"\nthreshold = "accuracy"\n', 4, "bad threshold"),
        (
            '[[gates.staging]]\ntype = "metric"\nthreshold = "a >= 1"\n[[gates.staging]]\ntype = "compare"\n'
            'threshold = "a >= prod.a - 1"\n',
            6,
            "unknown stage 'prod'",
        ),
        ('version = 1\n[[gates.prod]]\ntype = "integrity"\n', 2, "unknown stage 'prod'"),
        ('version = 1\n[permissions]\npromote = ["x"]\ndeploy = ["x"]\n', 4, "unknown action 'deploy'"),
        ("version = 1\n[permissions]\nset_policy = []\n", 3, "nobody could ever change"),
        ('version = 1\n[[gates.production]]\ntype = "approvals"\nrole = "reviewer"\ncount = 0\n', 5, "count"),
        ('version = 1\n[[gates.production]]\ntype = "soak"\nweeks = 1\n', 4, "unknown option 'weeks'"),
        ("version = 2\n", 1, "version 2"),
        ("version = 1\nstagez = 1\n", 2, "unknown top-level key"),
        ('[stages]\nmodel = ["dev", "retired"]\n', 2, "implicit terminal"),
        ('[transitions]\nallow = ["staging => dev"]\n', 2, "must look like"),
    ],
)
def test_semantic_errors_name_the_line(text: str, line: int, words: str) -> None:
    with pytest.raises(PolicyError) as ei:
        parse_policy(text)
    assert ei.value.line == line, str(ei.value)
    assert words in str(ei.value)


def test_transitions_in_order_skip_and_extra_moves() -> None:
    p = default_policy()
    assert p.transition_problem("model", None, "development") is None
    assert "skips development" in p.transition_problem("model", None, "staging")
    assert "skips staging" in p.transition_problem("model", "development", "production")
    assert "not allowed" in p.transition_problem("model", "production", "staging")
    assert "retire()" in p.transition_problem("model", "staging", "retired")
    assert "not a stage" in p.transition_problem("dataset", "draft", "staging")
    q = parse_policy('[transitions]\nallow_skip = true\nallow = ["production -> staging"]\n')
    assert q.transition_problem("model", None, "production") is None
    assert q.transition_problem("model", "production", "staging") is None
    assert "not allowed" in q.transition_problem("model", "production", "development")


def test_permissions_stage_specific_and_anyone() -> None:
    p = parse_policy(
        '[users]\nann = ["dev"]\n"*" = ["viewer"]\n[permissions]\npromote = ["dev"]\n'
        '"promote.production" = ["rm"]\napprove = ["*"]\nset_policy = ["rm"]\n'
    )
    assert p.allows("ann", "promote", "staging") and not p.allows("ann", "promote", "production")
    assert p.allows("zed", "approve") and not p.allows("zed", "promote", "staging")
    assert p.roles_of("zed") == ("viewer",)


@pytest.mark.parametrize("action", ["force", "retire", "rollback", "approve", "reject", "set_policy"])
def test_guarded_actions_are_denied_unless_listed(action: str) -> None:
    """Issue 14 bug 6: with a [permissions] table, a guarded action missing from it is open to nobody."""
    p = parse_policy('[users]\nann = ["dev"]\n"*" = ["viewer"]\n[permissions]\nset_policy = ["admin"]\n')
    stage = "production" if action in ("force", "rollback") else None
    assert not p.allows("ann", action, stage) and not p.allows("zed", action, stage)
    assert not p.allows("ann", "promote", "production")  # promotion to the deploy stage is guarded too
    assert p.allows("ann", "promote", "staging") and p.allows("ann", "request", "production")
    assert parse_policy("version = 1\n").allows("ann", action, stage)  # no [permissions]: open, as documented


def test_permissions_without_set_policy_is_refused_naming_the_line() -> None:
    with pytest.raises(PolicyError, match="set_policy is missing") as ei:
        parse_policy('version = 1\n[permissions]\napprove = ["reviewer"]\n')
    assert ei.value.line == 2


def test_syntax_error_mid_file_line() -> None:
    text = 'version = 1\n\n[users]\nann = ["dev"\nbob = ["x"]\n'
    with pytest.raises(PolicyError) as ei:
        parse_policy(text)
    assert ei.value.line == 5, str(ei.value)
    text = "version = 1\n[permissions]\npromote = [dev]\n"
    with pytest.raises(PolicyError) as ei:
        parse_policy(text)
    assert ei.value.line == 3, str(ei.value)
