"""Pure gate evaluation over a folded state built from events (no storage)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lifecycle_ext.core.clock import iso
from lifecycle_ext.core.events import GENESIS, make_event
from lifecycle_ext.core.gates import (
    FAIL,
    PASS,
    PENDING,
    CheckResult,
    GateContext,
    OptionError,
    evaluate_gates,
    register_check,
)
from lifecycle_ext.core.policy import parse_policy
from lifecycle_ext.core.state import apply, empty_state

T0 = datetime(2026, 3, 1, tzinfo=UTC)


class Log:
    def __init__(self) -> None:
        self.state = empty_state()
        self.t = T0

    def add(self, type: str, data: dict[str, Any], actor: str = "alice", hours: float = 0) -> None:
        self.t += timedelta(hours=hours)
        st = self.state
        apply(st, make_event(st["seq"] + 1, st["head"] or GENESIS, type, actor, iso(self.t), data))

    def version(self, kind: str, name: str, actor: str = "alice", **fields: Any) -> dict[str, Any]:
        a = self.state["assets"].get(f"{kind}:{name}")
        n = 1 if a is None else len(a["versions"]) + 1
        data = {
            "kind": kind,
            "name": name,
            "number": n,
            "content_hash": f"xxh3-128:{n:032x}",
            "meta_hash": "m",
            "object_type": "json",
            "params": {},
            "metrics": {},
            "metadata": {},
            "inputs": [],
            "record": {},
            **fields,
        }
        self.add("VersionCreated", data, actor)
        return self.state["assets"][f"{kind}:{name}"]["versions"][-1]

    def promote(self, rec: dict[str, Any], to: str, hours: float = 0) -> None:
        self.add(
            "VersionPromoted",
            {"asset": f"{rec['kind']}:{rec['name']}", "number": rec["number"], "to": to, "from": rec.get("stage")},
            hours=hours,
        )


def run(
    policy_text: str,
    log: Log,
    rec: dict[str, Any],
    to: str,
    integrity: list[str] | None = None,
    now: datetime | None = None,
) -> dict[str, CheckResult]:
    policy = parse_policy(policy_text)
    ctx = GateContext(log.state, rec, to, now or log.t, policy, integrity)
    return {c.name: c for c in evaluate_gates(policy, ctx)}


def test_metric_thresholds_pass_fail_and_missing() -> None:
    log = Log()
    good = log.version("model", "m", metrics={"accuracy": 0.93, "latency_p95_ms": 40})
    bad = log.version("model", "m", metrics={"accuracy": 0.85})
    pol = '[[gates.development]]\ntype = "metric"\nthresholds = ["accuracy >= 0.9", "latency_p95_ms <= 50"]\n'
    r = run(pol, log, good, "development")["metric"]
    assert r.status == PASS and r.evidence["accuracy >= 0.9"] == {"value": 0.93, "target": 0.9}
    r = run(pol, log, bad, "development")["metric"]
    assert r.status == FAIL
    assert "latency_p95_ms not recorded" in r.message and "accuracy = 0.85 (needs >= 0.9)" in r.message


def test_compare_against_the_version_at_a_stage() -> None:
    log = Log()
    pol = '[[gates.staging]]\ntype = "compare"\nthreshold = "accuracy >= staging.accuracy - 0.005"\n'
    v1 = log.version("model", "m", metrics={"accuracy": 0.90})
    assert run(pol, log, v1, "staging")["compare"].status == PASS  # nothing at staging: missing = pass
    log.promote(v1, "development")
    log.promote(v1, "staging")
    v2 = log.version("model", "m", metrics={"accuracy": 0.896})
    v3 = log.version("model", "m", metrics={"accuracy": 0.894})
    r2 = run(pol, log, v2, "staging")["compare"]
    assert r2.status == PASS and r2.evidence[next(iter(r2.evidence))]["against"] == "model:m@1"
    r3 = run(pol, log, v3, "staging")["compare"]
    assert r3.status == FAIL and "from model:m@1" in r3.message
    strict = pol + 'missing = "fail"\n'
    other = log.version("model", "x", metrics={"accuracy": 1.0})
    assert run(strict, log, other, "staging")["compare"].status == FAIL


def test_provenance_looks_in_record_params_metadata_and_inputs() -> None:
    log = Log()
    ds = log.version("dataset", "d")
    m = log.version(
        "model",
        "m",
        params={"seed": 7, "lr": 0.1},
        record={"git_commit": "abc"},
        metadata={"source": "crm"},
        inputs=["dataset:d@1"],
    )
    pol = (
        '[[gates.development]]\ntype = "provenance"\nrequire = ["seed", "record.git_commit", "source", '
        '"inputs.dataset", "params.lr"]\n'
    )
    r = run(pol, log, m, "development")["provenance"]
    assert r.status == PASS and r.evidence["seed"] == 7 and r.evidence["inputs.dataset"] == ["dataset:d@1"]
    bare = log.version("model", "m", params={"seed": ""})
    r = run(pol, log, bare, "development")["provenance"]
    assert r.status == FAIL and "seed" in r.message and "inputs.dataset" in r.message
    assert ds["number"] == 1


LINEAGE = (
    '[[gates.staging]]\ntype = "lineage"\nstage = "validated"\nlicences = ["MIT"]\n'
    'deny_restrictions = ["research-only"]\n'
)


def _lineage_case(**md: Any) -> tuple[Log, dict[str, Any]]:
    log = Log()
    d = log.version("dataset", "d", metadata={"licence": "MIT", **md})
    log.promote(d, "draft")
    log.promote(d, "validated")
    m = log.version("model", "m", inputs=["dataset:d@1"])
    return log, m


def test_lineage_accepts_a_clean_validated_dataset() -> None:
    log, m = _lineage_case()
    r = run(LINEAGE, log, m, "staging")["lineage"]
    assert r.status == PASS and r.evidence["dataset:d@1"]["stage"] == "validated"


@pytest.mark.parametrize(
    "md, words",
    [
        ({"licence": "GPL-3.0"}, "licence 'GPL-3.0' is not in the allow list"),
        ({"pii": True}, "pii = true and not pseudonymized"),
        ({"usage_restrictions": ["research-only"]}, "usage restriction research-only"),
        ({"usage_restrictions": "no-staging"}, "usage restriction no-staging"),
        ({"retain_until": "2026-02-01"}, "past its retention date"),
    ],
)
def test_lineage_failures(md: dict[str, Any], words: str) -> None:
    log, m = _lineage_case(**md)
    r = run(LINEAGE, log, m, "staging")["lineage"]
    assert r.status == FAIL and words in r.message


def test_lineage_pseudonymized_pii_and_future_retention_pass() -> None:
    log, m = _lineage_case(pii=True, pseudonymized=True, retain_until="2027-01-01")
    assert run(LINEAGE, log, m, "staging")["lineage"].status == PASS


def test_lineage_upstream_stage_is_transitive_and_required() -> None:
    log = Log()
    raw = log.version("dataset", "raw", metadata={"licence": "MIT"})  # never validated
    feat = log.version("dataset", "feat", metadata={"licence": "MIT"}, inputs=["dataset:raw@1"])
    log.promote(feat, "draft")
    log.promote(feat, "validated")
    m = log.version("model", "m", inputs=["dataset:feat@1"])
    r = run(LINEAGE, log, m, "staging")["lineage"]
    assert r.status == FAIL and "dataset:raw@1 has reached no stage, needs validated" in r.message
    assert raw["stage"] is None
    log.version("dataset", "nolic")
    m2 = log.version("model", "m2", inputs=["dataset:nolic@1"])
    assert "records no licence" in run(LINEAGE, log, m2, "staging")["lineage"].message


APPROVALS = (
    '[users]\nbob = ["reviewer"]\ncarol = ["reviewer"]\ndan = ["ops"]\n'
    '[[gates.production]]\ntype = "approvals"\nrole = "reviewer"\ncount = 2\n'
)


def _decide(log: Log, type: str, actor: str) -> None:
    log.add(type, {"asset": "model:m", "number": 1, "to": "production", "reason": "r"}, actor)


def test_approvals_count_distinct_role_holders_not_the_author() -> None:
    log = Log()
    m = log.version("model", "m", actor="bob")  # bob is the author
    assert run(APPROVALS, log, m, "production")["approvals"].status == PENDING
    for who in ("bob", "dan", "carol", "carol"):
        _decide(log, "PromotionApproved", who)
    r = run(APPROVALS, log, m, "production")["approvals"]
    assert r.status == PENDING and r.evidence["approved_by"] == ["carol"]
    assert r.evidence["ignored"] == {"bob": "author of the version", "dan": "does not hold role reviewer"}


def test_rejection_blocks_until_a_new_request_supersedes_it() -> None:
    log = Log()
    m = log.version("model", "m", actor="alice")
    _decide(log, "PromotionApproved", "bob")
    _decide(log, "PromotionApproved", "carol")
    assert run(APPROVALS, log, m, "production")["approvals"].status == PASS
    _decide(log, "PromotionRejected", "carol")
    r = run(APPROVALS, log, m, "production")["approvals"]
    assert r.status == FAIL and "rejected by carol" in r.message
    _decide(log, "PromotionRequested", "alice")
    assert run(APPROVALS, log, m, "production")["approvals"].status == PASS
    # without an approvals check a rejection still blocks
    _decide(log, "PromotionRejected", "bob")
    r = run('[[gates.production]]\ntype = "integrity"\n', log, m, "production", integrity=[])
    assert r["rejection"].status == FAIL


def test_soak_pending_then_pass_with_injected_time() -> None:
    log = Log()
    m = log.version("model", "m")
    log.promote(m, "development")
    log.promote(m, "staging", hours=1)
    pol = '[[gates.production]]\ntype = "soak"\nhours = 24\n'
    r = run(pol, log, m, "production", now=log.t + timedelta(hours=23))
    assert r["soak"].status == PENDING and r["soak"].evidence["ready_at"] == iso(log.t + timedelta(hours=24))
    assert run(pol, log, m, "production", now=log.t + timedelta(hours=24))["soak"].status == PASS
    other = log.version("model", "m")
    assert run(pol, log, other, "production")["soak"].status == FAIL


def test_integrity_uses_the_precomputed_verify_result() -> None:
    log = Log()
    m = log.version("model", "m")
    pol = '[[gates.development]]\ntype = "integrity"\n'
    assert run(pol, log, m, "development", integrity=None)["integrity"].status == PENDING
    assert run(pol, log, m, "development", integrity=[])["integrity"].status == PASS
    r = run(pol, log, m, "development", integrity=["chunk c/0: corrupt"])["integrity"]
    assert r.status == FAIL and "corrupt" in r.message


def test_schema_requires_the_current_label_schema() -> None:
    log = Log()
    log.version("label_schema", "labels")
    d = log.version("dataset", "d", inputs=["label_schema:labels@1"])
    m = log.version("model", "m", inputs=["dataset:d@1"])
    pol = '[[gates.staging]]\ntype = "schema"\n'
    assert run(pol, log, m, "staging")["schema"].status == PASS
    log.version("label_schema", "labels")
    r = run(pol, log, m, "staging")["schema"]
    assert (
        r.status == FAIL and "label_schema:labels@1 has retroactive changes since: label_schema:labels@2" in r.message
    )
    assert run(pol, log, log.version("model", "x"), "staging")["schema"].status == FAIL
    assert d["inputs"] == ["label_schema:labels@1"]


def test_check_registry_is_open_and_a_crashing_check_fails_closed() -> None:
    def validate(opts: dict[str, Any], stages: set[str]) -> None:
        if "limit" not in opts:
            raise OptionError("needs limit", "limit")

    def evaluate(check: Any, ctx: GateContext) -> CheckResult:
        raise RuntimeError("boom")

    register_check("drift_test", validate, evaluate)
    log = Log()
    m = log.version("model", "m")
    r = run('[[gates.development]]\ntype = "drift_test"\nlimit = 1\n', log, m, "development")["drift_test"]
    assert r.status == FAIL and "could not run: boom" in r.message


def test_fold_moves_versions_and_keeps_stage_history() -> None:
    log = Log()
    v1 = log.version("model", "m")
    v2 = log.version("model", "m")
    log.promote(v1, "development")
    log.promote(v1, "staging", hours=2)
    log.promote(v2, "development", hours=1)
    log.promote(v2, "staging", hours=1)  # displaces v1
    a = log.state["assets"]["model:m"]
    assert a["stages"] == {"staging": 2}
    assert v1["stage"] is None and v2["stage"] == "staging"
    assert [(h["stage"], h["left"] is None) for h in v1["history"]] == [("development", False), ("staging", False)]
    assert v1["history"][1]["left"] == v2["history"][1]["entered"]
    log.add("VersionRetired", {"asset": "model:m", "number": 2, "reason": "old"})
    assert v2["retired"] is True and a["stages"] == {} and v2["retirement"]["reason"] == "old"
